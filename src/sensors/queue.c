/* SPDX-License-Identifier: ISC */
/* Sensor queue: claims the site's job page over WebDAV, keeps it in state_dir, counts
 * its big jobs (the sample) and runs its jobs when the site policy says so. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/sensor.h>

#include "sensors/http.h"
#include "sensors/queue_store.h"

#define QUEUE_DEFAULT_STATE_DIR VMM_LOCALSTATEDIR "/lib/vmmanage"
#define QUEUE_DEFAULT_JOB_TIMEOUT 60.0

struct queue_state {
	const struct vmm_host *host;
	char *queue_url, *claim_url, *state_dir;
	char grade[QUEUE_MAX_GRADE + 1];
	size_t grade_len;
	const char **argv;       /* job_command, NULL-terminated */
	double job_timeout;
	struct http *http;
	struct queue_store *store; /* opened at the first sample */
	int remote_cleared;        /* our claimed copy on the server is deleted */
	char last_delete_err[256];
};

static const char *const queue_keys[] = {
	"queue_url", "queue_claim_url", "bigjobs", "job_command", "job_timeout", "state_dir",
	"http_timeout", "http_max_bytes", "tls_verify", NULL
};

static int
queue_conf_url(const struct vmm_host *host, const struct vmm_conf *conf, const char *key,
    char **out, char *err, size_t errlen)
{
	const char *s = NULL;

	if (host->conf_string(conf, key, &s, err, errlen) < 0)
		return -1;
	if (s == NULL) {
		/* the thesis's Listing 3.9 named no queue (its script did): it loads, and every
		 * sample says what is missing */
		host->log(VMM_LOG_WARNING, "queue: %s is not set: samples are unknown until it is, e.g. %s = \"http://server/%s\"",
		    key, key, strcmp(key, "queue_url") == 0 ? "jobs" : "nii4jobs");
		*out = NULL;
		return 0;
	}
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
		snprintf(err, errlen, "%s \"%s\": not an http:// or https:// URL", key, s);
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
queue_conf_bigjobs(struct queue_state *st, const struct vmm_conf *conf, char *err,
    size_t errlen)
{
	const char *s = NULL, *g;

	if (st->host->conf_string(conf, "bigjobs", &s, err, errlen) < 0)
		return -1;
	if (s == NULL || queue_bigjobs_grade(s, &g, &st->grade_len) < 0) {
		snprintf(err, errlen, "bigjobs%s%s%s: name one grade, e.g. bigjobs = \"grade a\"",
		    s ? " \"" : "", s ? s : " is not set", s ? "\"" : "");
		return -1;
	}
	memcpy(st->grade, g, st->grade_len);
	st->grade[st->grade_len] = '\0';
	return 0;
}

/* argv in one block of our own: the conf's strings may go before we do (reload). */
static const char **
queue_copy_argv(const char *const *argv, size_t n)
{
	size_t text = 0;

	for (size_t i = 0; i < n; i++)
		text += strlen(argv[i]) + 1;
	const char **copy = malloc((n + 1) * sizeof(*copy) + text);
	if (copy == NULL)
		return NULL;
	char *p = (char *)(copy + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(argv[i]) + 1;
		copy[i] = memcpy(p, argv[i], len);
		p += len;
	}
	copy[n] = NULL;
	return copy;
}

static int
queue_conf_job(struct queue_state *st, const struct vmm_conf *conf, char *err, size_t errlen)
{
	/* the thesis piped each expression into bc; so do we, minus the shell */
	static const char *const bc[] = { "bc", NULL };
	const char **argv = NULL;
	size_t n = 1;
	int rc;

	st->job_timeout = QUEUE_DEFAULT_JOB_TIMEOUT;
	if (st->host->conf_number(conf, "job_timeout", &st->job_timeout, err, errlen) < 0)
		return -1;
	if (!(st->job_timeout > 0 && st->job_timeout <= 86400)) {
		snprintf(err, errlen, "job_timeout must be between 0 and 86400 seconds");
		return -1;
	}
	if ((rc = st->host->conf_strings(conf, "job_command", &argv, &n, err, errlen)) < 0)
		return -1;
	if (rc == 1 && n == 0) {
		free(argv);
		snprintf(err, errlen, "job_command is empty: give a program and its arguments, "
		    "e.g. job_command = [\"bc\", \"-l\"]");
		return -1;
	}
	st->argv = queue_copy_argv(rc == 1 ? argv : bc, n);
	free(argv);
	if (st->argv == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
queue_conf(struct queue_state *st, const struct vmm_conf *conf, char *err, size_t errlen)
{
	const char *dir = QUEUE_DEFAULT_STATE_DIR;

	if (queue_conf_url(st->host, conf, "queue_url", &st->queue_url, err, errlen) < 0 ||
	    queue_conf_url(st->host, conf, "queue_claim_url", &st->claim_url, err, errlen) < 0 ||
	    queue_conf_bigjobs(st, conf, err, errlen) < 0 ||
	    queue_conf_job(st, conf, err, errlen) < 0 ||
	    st->host->conf_string(conf, "state_dir", &dir, err, errlen) < 0)
		return -1;
	if (st->queue_url && st->claim_url && strcmp(st->queue_url, st->claim_url) == 0) {
		snprintf(err, errlen, "queue_claim_url must differ from queue_url: claiming renames "
		    "the main queue to this VM's own");
		return -1;
	}
	if ((st->state_dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
queue_state_free(struct queue_state *st)
{
	queue_store_close(st->store);
	http_free(st->http);
	free(st->queue_url);
	free(st->claim_url);
	free(st->state_dir);
	free(st->argv);
	free(st);
}

static int
queue_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct queue_state *st = calloc(1, sizeof(*st));
	struct http_opts o;

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->host = host;
	/* nothing touches the network or state_dir before the first sample (vmmanage -t) */
	if (queue_conf(st, conf, err, errlen) < 0 || http_conf(host, conf, &o, err, errlen) < 0 ||
	    (st->http = http_new(&o, err, errlen)) == NULL) {
		queue_state_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static void
queue_log_bad(void *ctx, size_t line, const char *text, size_t len, const char *why)
{
	const struct queue_state *st = ctx;
	char shown[81];

	/* the line may hold anything: show it escaped and short */
	queue_escape(text, len < 60 ? len : 60, shown, sizeof(shown));
	st->host->log(VMM_LOG_WARNING, "queue: %s/%s line %zu skipped, never run: %s: \"%s%s\"",
	    st->state_dir, QUEUE_FILE, line, why, shown, len > 60 ? "..." : "");
}

static int
queue_open_store(struct queue_state *st, char *err, size_t errlen)
{
	if (st->store == NULL &&
	    (st->store = queue_store_open(st->state_dir, queue_log_bad, st, err, errlen)) == NULL)
		return -1;
	return 0;
}

/* DELETE our copy on the server: only we write the claim URL, and only while no queue
 * is stored here, so with one stored the copy there is a leftover (404 is fine). */
static void
queue_clear_remote(struct queue_state *st)
{
	struct http_resp r;
	char err[200];

	if (st->remote_cleared)
		return;
	if (http_request(st->http, "DELETE", st->claim_url, NULL, &r, err, sizeof(err)) == 0) {
		if ((r.status >= 200 && r.status < 300) || r.status == 404)
			st->remote_cleared = 1;
		else
			snprintf(err, sizeof(err), "HTTP %ld", r.status);
		http_resp_free(&r);
	}
	if (st->remote_cleared)
		st->last_delete_err[0] = '\0';
	else if (strcmp(err, st->last_delete_err) != 0) {
		/* the sample stays known, so the core would not say this: once per change */
		st->host->log(VMM_LOG_WARNING, "queue: DELETE %s: %s; the local queue is kept until "
		    "it succeeds", st->claim_url, err);
		snprintf(st->last_delete_err, sizeof(st->last_delete_err), "%s", err);
	}
}

/* Is the main queue still there? 1 yes, 0 no, -1 cannot tell. */
static int
queue_main_exists(struct queue_state *st)
{
	struct http_resp r;
	char what[200];
	int rc = -1;

	if (http_get(st->http, st->queue_url, &r, what, sizeof(what)) == 0) {
		rc = r.status == 404 ? 0 : r.status == 200 ? 1 : -1;
		http_resp_free(&r);
	}
	return rc;
}

/* What a MOVE's status means: 1 something may be at the claim URL now, 0 not, -1 error. */
static int
queue_move_status(struct queue_state *st, long status)
{
	switch (status) {
	case 201: case 204:  /* claimed */
	case 412:            /* ours is still there: an earlier claim not yet stored */
		return 1;
	case 404:            /* no main queue, or another VM claimed it first */
		return 0;
	case 500:
		/* Measured with mod_dav_fs: when two MOVEs race, both pass the existence check,
		 * one rename wins and the other fails with ENOENT, answered 500. The rename
		 * decided; a main queue gone now means another VM has it. */
		return queue_main_exists(st) == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/* MOVE the main queue to ours (never over an existing one). 1 when something may be at
 * the claim URL now, 0 when not, -1 with err. */
static int
queue_move(struct queue_state *st, char *err, size_t errlen)
{
	char dest[2048];
	const char *headers[] = { dest, "Overwrite: F", NULL };
	struct http_resp r;
	char what[200];
	int rc;

	snprintf(dest, sizeof(dest), "Destination: %s", st->claim_url);
	if (http_request(st->http, "MOVE", st->queue_url, headers, &r, what, sizeof(what)) < 0) {
		snprintf(err, errlen, "queue: MOVE %s: %s", st->queue_url, what);
		return -1;
	}
	if ((rc = queue_move_status(st, r.status)) < 0)
		snprintf(err, errlen, "queue: MOVE %s to %s: HTTP %ld", st->queue_url, st->claim_url,
		    r.status);
	http_resp_free(&r);
	return rc;
}

/* Fetch what is at the claim URL and store it before any job can run. 1 stored, 0 none. */
static int
queue_fetch(struct queue_state *st, char *err, size_t errlen)
{
	struct http_resp r;
	char what[200];
	int rc = 0;

	if (http_get(st->http, st->claim_url, &r, what, sizeof(what)) < 0) {
		snprintf(err, errlen, "queue: GET %s: %s", st->claim_url, what);
		return -1;
	}
	if (r.status == 200) {
		if (queue_store_save(st->store, r.body, r.len, st->claim_url, what, sizeof(what)) < 0) {
			snprintf(err, errlen, "queue: %s", what);
			rc = -1;
		} else
			rc = 1;
	} else if (r.status != 404) {
		snprintf(err, errlen, "queue: GET %s: HTTP %ld", st->claim_url, r.status);
		rc = -1;
	}
	http_resp_free(&r);
	return rc;
}

static int
queue_claim(struct queue_state *st, char *err, size_t errlen)
{
	size_t left, big;
	int rc = queue_move(st, err, errlen);

	if (rc < 0)
		return -1;
	/* even after a 404: a claim whose fetch a crash cut short is still ours */
	if ((rc = queue_fetch(st, err, errlen)) <= 0)
		return rc;
	st->remote_cleared = 0;
	queue_store_remaining(st->store, st->grade, st->grade_len, &left, &big);
	st->host->log(VMM_LOG_INFO, "queue: claimed %s as %s: %zu jobs, %zu of grade %s; stored as "
	    "queue %s", st->queue_url, st->claim_url, left, big, st->grade,
	    queue_store_id(st->store));
	queue_clear_remote(st);
	return 0;
}

/* A finished queue is forgotten once the server's copy is gone, making room for the
 * next claim. */
static void
queue_retire(struct queue_state *st)
{
	size_t left, big;
	char err[256];

	queue_clear_remote(st);
	queue_store_remaining(st->store, NULL, 0, &left, &big);
	if (left > 0 || !st->remote_cleared)
		return;
	char id[64];
	snprintf(id, sizeof(id), "%s", queue_store_id(st->store));
	if (queue_store_remove(st->store, err, sizeof(err)) < 0)
		st->host->log(VMM_LOG_WARNING, "queue: %s", err);
	else
		st->host->log(VMM_LOG_INFO, "queue: queue %s finished; results in %s/%s", id,
		    st->state_dir, QUEUE_RESULTS_FILE);
}

static void
queue_sample(void *state, struct vmm_sensor_reading *out)
{
	struct queue_state *st = state;
	char err[240];
	size_t left, big;

	out->known = 0;
	out->nextra = 0;
	out->why[0] = '\0';
	if (st->queue_url == NULL || st->claim_url == NULL) {
		snprintf(out->why, sizeof(out->why), "queue: queue_url and queue_claim_url must both be set");
		return;
	}
	if (queue_open_store(st, err, sizeof(err)) < 0) {
		snprintf(out->why, sizeof(out->why), "queue: %s", err);
		return;
	}
	if (queue_store_has(st->store))
		queue_retire(st);
	if (!queue_store_has(st->store) && queue_claim(st, out->why, sizeof(out->why)) < 0)
		return;
	queue_store_remaining(st->store, st->grade, st->grade_len, &left, &big);
	out->known = 1;
	out->value = (double)big;
	out->nextra = 1;
	snprintf(out->extra[0].key, sizeof(out->extra[0].key), "jobs_left");
	out->extra[0].value = (double)left;
}

/* Strip what a calculator ends its answer with. */
static size_t
queue_trim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static enum queue_run_status
queue_run_job(void *ctx, const struct queue_job *job, char *text, size_t len)
{
	const struct queue_state *st = ctx;
	char expr[QUEUE_MAX_EXPR + 2];
	struct vmm_run_result res;
	enum queue_run_status rs = QUEUE_RUN_OK;

	/* the expression is data on stdin, never a command line or a shell's input */
	snprintf(expr, sizeof(expr), "%.*s\n", (int)job->expr_len, job->expr);
	int rc = st->host->run(st->argv, expr, st->job_timeout, len - 1, &res);
	if (rc < 0 && !res.timed_out) {
		snprintf(text, len, "%s", res.err);
		rs = QUEUE_RUN_ERROR;
	} else if (res.timed_out) {
		snprintf(text, len, "no result within %.0f s (job_timeout), killed", st->job_timeout);
		rs = QUEUE_RUN_FAILED;
	} else if (res.status != 0 || res.err[0] != '\0') {
		/* bc reports a bad expression on stderr and still exits 0 */
		snprintf(text, len, "exit %d: %s", res.status, res.err);
		rs = QUEUE_RUN_FAILED;
	} else
		snprintf(text, len, "%.*s", (int)queue_trim(res.out, res.out_len), res.out);
	st->host->run_free(&res);
	return rs;
}

static int
queue_process(void *state, double budget_s, char *err, size_t errlen)
{
	struct queue_state *st = state;
	size_t ran;
	int rc;

	if (queue_open_store(st, err, errlen) < 0)
		return -1;
	if (!queue_store_has(st->store))
		return 2;
	rc = queue_store_process(st->store, queue_run_job, st, budget_s, &ran, err, errlen);
	if (rc == 1)
		queue_retire(st);
	/* a queue already run to its end (awaiting its retirement) is nothing new either */
	return rc == 1 && ran == 0 ? 2 : rc;
}

static void
queue_fini(void *state)
{
	if (state != NULL)
		queue_state_free(state);
}

static const struct vmm_sensor_ops queue_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "queue",
	.summary = "big jobs in this VM's claimed job queue (WebDAV MOVE from queue_url)",
	.keys = queue_keys,
	.direction = VMM_HIGHER_IS_WORSE,
	.label = "big jobs",
	.init = queue_init,
	.sample = queue_sample,
	.fini = queue_fini,
	.process = queue_process,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &queue_ops;
}
