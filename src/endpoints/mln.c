/* Endpoint `mln`: the thesis's way: write the MLN project file for the target host (the
 * template with its service_host replaced) and run `mln client -c upgrade -f FILE -h
 * SERVER`, with -S across sites. MLN accepts the upgrade but cannot say where the VM
 * runs, so a move that MLN accepted is `unconfirmed`. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmmanage/endpoint.h>

struct mln_endpoint {
	const struct vmm_host *host;
	const char *program, *server, *template_path, *project_dir;
	char *template_text;
	double timeout;
};

static const char *const mln_keys[] = { "mln_program", "mln_server", "mln_template",
	"mln_project_dir", "endpoint_timeout", "state_dir", NULL };

static char *
mln_slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL) {
		snprintf(err, errlen, "mln_template %s: %s", path, strerror(errno));
		return NULL;
	}
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (m != NULL)
		fclose(m);
	fclose(f);
	if (buf == NULL)
		snprintf(err, errlen, "out of memory");
	return buf;
}

static int
mln_read_keys(struct mln_endpoint *e, const struct vmm_conf *conf, char *err, size_t errlen)
{
	const struct vmm_host *h = e->host;
	const char *state_dir = VMM_LOCALSTATEDIR "/lib/vmmanage";

	e->program = "mln";
	e->timeout = 600;
	if (h->conf_string(conf, "mln_program", &e->program, err, errlen) < 0 ||
	    h->conf_string(conf, "mln_server", &e->server, err, errlen) < 0 ||
	    h->conf_string(conf, "mln_template", &e->template_path, err, errlen) < 0 ||
	    h->conf_string(conf, "state_dir", &state_dir, err, errlen) < 0 ||
	    h->conf_number(conf, "endpoint_timeout", &e->timeout, err, errlen) < 0)
		return -1;
	e->project_dir = state_dir;
	return h->conf_string(conf, "mln_project_dir", &e->project_dir, err, errlen) < 0 ? -1 : 0;
}

static int
mln_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct mln_endpoint *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->host = host;
	if (mln_read_keys(e, conf, err, errlen) < 0 ||
	    (e->template_path && (e->template_text = mln_slurp(e->template_path, err, errlen)) == NULL)) {
		free(e);
		return -1;
	}
	/* the thesis's configs named no server (its scripts did): say so, fail each move */
	if (e->server == NULL)
		host->log(VMM_LOG_WARNING, "mln: mln_server is not set: move requests will fail until it is");
	if (e->template_path == NULL)
		host->log(VMM_LOG_WARNING, "mln: mln_template is not set: move requests will fail until it is");
	*state = e;
	return 0;
}

/* A host name becomes part of a file name: no slashes, no leading dot. */
static int
mln_safe_name(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* The template with every `service_host X` line pointing at target. */
static int
mln_write_project(struct mln_endpoint *e, const char *target, const char *path, char *err,
    size_t errlen)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	for (const char *line = e->template_text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *p = line;
		while (p < line + len && isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "service_host", 12) == 0 && isspace((unsigned char)p[12]))
			fprintf(f, "%.*sservice_host %s\n", (int)(p - line), line, target);
		else
			fprintf(f, "%.*s\n", (int)len, line);
		line += len + (line[len] == '\n');
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
mln_fail(struct vmm_move_result *res, enum vmm_failure f, int permanent, const char *detail)
{
	res->outcome = VMM_MOVE_FAILED;
	res->failure = f;
	res->permanent = permanent;
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
}

static void
mln_run(struct mln_endpoint *e, const char *file, int cross_site, struct vmm_move_result *res)
{
	const char *argv[] = { e->program, "client", "-c", "upgrade", "-f", file, "-h", e->server,
		cross_site ? "-S" : NULL, NULL };
	struct vmm_run_result r;
	char detail[512];

	if (e->host->run(argv, NULL, e->timeout, 16384, &r) < 0)
		mln_fail(res, r.timed_out ? VMM_FAIL_TIMEOUT : VMM_FAIL_CONFIG, !r.timed_out, r.err);
	else if (r.status != 0) {
		snprintf(detail, sizeof(detail), "mln client exited with status %d%s%s", r.status,
		    r.err[0] ? ": " : "", r.err);
		detail[strcspn(detail, "\n")] = '\0';
		mln_fail(res, VMM_FAIL_REFUSED, 0, detail);
	} else {
		res->outcome = VMM_MOVE_UNCONFIRMED;
		snprintf(res->detail, sizeof(res->detail), "mln accepted the upgrade of %s; MLN cannot confirm where the VM runs", file);
	}
	e->host->run_free(&r);
}

static void
mln_move(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct mln_endpoint *e = state;
	char path[4096], err[512];

	if (e->server == NULL || e->template_text == NULL) {
		mln_fail(res, VMM_FAIL_CONFIG, 1, e->server ? "mln_template is not set" : "mln_server is not set");
		return;
	}
	if (!mln_safe_name(req->target)) {
		mln_fail(res, VMM_FAIL_CONFIG, 1, "the target host name cannot be part of a file name");
		return;
	}
	/* the thesis's names: nii1.2.mln for host 2 of nii1 */
	snprintf(path, sizeof(path), "%s/%s.%s.mln", e->project_dir, e->host->hostname(), req->target);
	if (mln_write_project(e, req->target, path, err, sizeof(err)) < 0) {
		mln_fail(res, VMM_FAIL_CONFIG, 0, err);
		return;
	}
	mln_run(e, path, req->cross_site, res);
}

static void
mln_fini(void *state)
{
	struct mln_endpoint *e = state;

	free(e->template_text);
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
