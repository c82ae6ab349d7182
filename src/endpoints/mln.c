/* SPDX-License-Identifier: ISC */
/* Endpoint `mln`: the thesis's way. For the target host it writes the project file from
 * the template (its service_host set to the host's MLN name), or takes the
 * administrator's own file as it is, and runs `mln client -c upgrade -f FILE -h SERVER`,
 * with -S and the other site's server across sites. MLN accepts the upgrade but cannot
 * say where the VM runs: a move is confirmed only by the administrator's
 * mln_locate_command, else it is `unconfirmed`. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "mln.h"

static const char *const mln_keys[] = { "mln_program", "mln_server", "mln_site_server",
	"mln_template", "mln_templates", "mln_hosts", "mln_project_dir", "mln_project_mode",
	"mln_locate_command", "mln_locate_timeout", "endpoint_timeout", "state_dir",
	"hostname", NULL };

static int
mln_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct mln_endpoint *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->host = host;
	if (mln_conf_read(e, conf, err, errlen) < 0) {
		mln_conf_free(e);
		free(e);
		return -1;
	}
	/* the thesis's configs named no server (its scripts did): say so, fail each move */
	if (e->server == NULL)
		host->log(VMM_LOG_WARNING, "mln: mln_server is not set: move requests will fail until it is");
	for (size_t i = 0; !e->own && i < e->ntargets; i++)
		if (e->targets[i].template == NULL) {
			host->log(VMM_LOG_WARNING, "mln: host %s has no template (mln_template, mln_templates): moves there will fail until it has one",
			    e->targets[i].name);
			break;
		}
	*state = e;
	return 0;
}

static void
mln_fail(struct vmm_move_result *res, enum vmm_failure f, int permanent, const char *detail)
{
	res->outcome = VMM_MOVE_FAILED;
	res->failure = f;
	res->permanent = permanent;
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
	res->detail[strcspn(res->detail, "\n")] = '\0';
}

/* One answer of mln_locate_command: 0 with host, or -1 with why it gave none. */
static int
mln_ask_locate(struct mln_endpoint *e, double timeout, char *host, size_t len, char *why,
    size_t whylen)
{
	struct vmm_run_result r;
	int rc = e->host->run(e->locate, NULL, timeout, 4096, &r);

	host[0] = '\0';
	if (rc < 0)
		snprintf(why, whylen, "%s", r.timed_out ? "it timed out" : r.err);
	else if (r.status != 0)
		snprintf(why, whylen, "it exited with status %d%s%s", r.status, r.err[0] ? ": " : "", r.err);
	else if (mln_locate_answer(r.out, host, len), host[0] == '\0')
		snprintf(why, whylen, "its output names no host");
	e->host->run_free(&r);
	why[strcspn(why, "\n")] = '\0';
	return host[0] ? 0 : -1;
}

/* After MLN accepted: ask until the VM is on the target or mln_locate_timeout is over.
 * An answer naming another host may be a move still under way: ask again. No answer at
 * all is logged once, until the command answers again. */
static void
mln_confirm(struct mln_endpoint *e, const struct mln_target *t, struct vmm_move_result *res)
{
	const double deadline = vmm_mono_now() + e->locate_timeout;
	const struct timespec pause = { 1, 0 };
	char host[128], last[128] = "", why[256] = "it timed out";
	size_t used = strlen(res->detail);
	double left;

	/* an oversleep on a busy machine must not make a run without a deadline */
	while ((left = deadline - vmm_mono_now()) > 0 &&
	    mln_ask_locate(e, left, host, sizeof(host), why, sizeof(why)) == 0) {
		if (e->locate_misses > 0)
			e->host->log(VMM_LOG_INFO, "mln: mln_locate_command answers again (no answer for %u move%s)",
			    e->locate_misses, e->locate_misses == 1 ? "" : "s");
		e->locate_misses = 0;
		if (strcmp(host, t->name) == 0 || strcmp(host, mln_target_host(t)) == 0) {
			res->outcome = VMM_MOVE_CONFIRMED;
			snprintf(res->location, sizeof(res->location), "%s", t->name);
			snprintf(res->detail, sizeof(res->detail), "mln_locate_command reports the VM on %s", host);
			return;
		}
		snprintf(last, sizeof(last), "%s", host);
		if (deadline - vmm_mono_now() <= 1)
			break;
		nanosleep(&pause, NULL);
	}
	if (last[0]) {
		snprintf(res->detail + used, sizeof(res->detail) - used,
		    "; after %.0f s mln_locate_command still reports the VM on %s", e->locate_timeout, last);
		return;
	}
	if (e->locate_misses++ == 0)
		e->host->log(VMM_LOG_WARNING, "mln: mln_locate_command gives no answer (%s): MLN moves stay unconfirmed until it does",
		    why);
	snprintf(res->detail + used, sizeof(res->detail) - used, "; mln_locate_command gave no answer");
}

static void
mln_run(struct mln_endpoint *e, const struct mln_target *t, int cross_site,
    struct vmm_move_result *res)
{
	const char *server = cross_site ? e->site_server : e->server;
	const char *argv[] = { e->program, "client", "-c", "upgrade", "-f", t->project, "-h",
		server, cross_site ? "-S" : NULL, NULL };
	struct vmm_run_result r;
	char detail[512];

	if (e->host->run(argv, NULL, e->timeout, 16384, &r) < 0)
		mln_fail(res, r.timed_out ? VMM_FAIL_TIMEOUT : VMM_FAIL_CONFIG, !r.timed_out, r.err);
	else if (r.status != 0) {
		snprintf(detail, sizeof(detail), "mln client exited with status %d%s%s", r.status,
		    r.err[0] ? ": " : "", r.err);
		mln_fail(res, VMM_FAIL_REFUSED, 0, detail);
	} else {
		res->outcome = VMM_MOVE_UNCONFIRMED;
		snprintf(res->detail, sizeof(res->detail), "%s accepted the upgrade of %s; MLN cannot confirm where the VM runs",
		    server, t->project);
		if (e->locate != NULL)
			mln_confirm(e, t, res);
	}
	e->host->run_free(&r);
}

/* generate: the target's project file, from its template, now. */
static int
mln_prepare(struct mln_endpoint *e, const struct mln_target *t, struct vmm_move_result *res)
{
	char err[1024];

	if (e->own)
		return 0; /* checked at start; mln says so if it has gone since */
	if (t->template == NULL) {
		snprintf(err, sizeof(err), "host %s has no template: set mln_template or add \"%s=FILE\" to mln_templates",
		    t->name, t->name);
		mln_fail(res, VMM_FAIL_CONFIG, 1, err);
		return -1;
	}
	char *text = mln_project_text(t->template, t->template_path, t->name, mln_target_host(t));
	if (text == NULL) {
		mln_fail(res, VMM_FAIL_OTHER, 0, "out of memory");
		return -1;
	}
	int rc = mln_project_write(t->project, text, err, sizeof(err));
	free(text);
	if (rc < 0)
		mln_fail(res, VMM_FAIL_CONFIG, 0, err);
	return rc;
}

static void
mln_move(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct mln_endpoint *e = state;
	const char *server = req->cross_site ? e->site_server : e->server;
	struct mln_target *t = mln_target_find(e, req->target);

	if (server == NULL) {
		mln_fail(res, VMM_FAIL_CONFIG, 1, "mln_server is not set");
		return;
	}
	if (t == NULL) {
		mln_fail(res, VMM_FAIL_CONFIG, 1, "the target is none of hosts, min_range..max_range, base, home or away");
		return;
	}
	if (mln_prepare(e, t, res) == 0)
		mln_run(e, t, req->cross_site, res);
}

static void
mln_fini(void *state)
{
	struct mln_endpoint *e = state;

	mln_conf_free(e);
	free(e);
}

static const struct vmm_endpoint_ops mln_ops = {
	.abi = VMM_ENDPOINT_ABI,
	.size = sizeof(struct vmm_endpoint_ops),
	.name = "mln",
	.summary = "mln client -c upgrade with a project file per target host",
	.keys = mln_keys,
	.init = mln_init,
	.move = mln_move,
	.locate = NULL,
	.fini = mln_fini,
};

const struct vmm_endpoint_ops *
vmm_endpoint_entry(void)
{
	return &mln_ops;
}
