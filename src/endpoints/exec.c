/* SPDX-License-Identifier: ISC */
/* Endpoint `exec`: runs `endpoint_command ACTION TARGET` without a shell. Exit 0 means
 * accepted; a stdout line `location=HOST` says where the VM runs now. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/endpoint.h>

struct exec_endpoint {
	const struct vmm_host *host;
	const char **cmd;
	size_t ncmd;
	double timeout;
};

static const char *const exec_keys[] = { "endpoint_command", "endpoint_timeout", NULL };

static int
exec_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct exec_endpoint *e = calloc(1, sizeof(*e));
	char where[512];

	if (e == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->host = host;
	e->timeout = 600;
	int rc = host->conf_strings(conf, "endpoint_command", &e->cmd, &e->ncmd, err, errlen);
	if (rc == 0 || (rc > 0 && e->ncmd == 0)) {
		snprintf(err, errlen, "%s: endpoint_command is not set: add e.g. endpoint_command = [\"/usr/local/sbin/move-vm\"] (it is run as COMMAND ACTION TARGET)",
		    host->conf_where(conf, "endpoint_command", where, sizeof(where)));
		rc = -1;
	}
	if (rc < 0 || host->conf_number(conf, "endpoint_timeout", &e->timeout, err, errlen) < 0) {
		free(e->cmd);
		free(e);
		return -1;
	}
	*state = e;
	return 0;
}

/* The value of the last `location=HOST` line; "" when there is none. */
static void
exec_location(const char *out, char *loc, size_t len)
{
	loc[0] = '\0';
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "location=", 9) != 0)
			continue;
		size_t n = strcspn(p + 9, "\r\n \t");
		snprintf(loc, len, "%.*s", (int)n, p + 9);
	}
}

static void
exec_move(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct exec_endpoint *e = state;
	const char *argv[e->ncmd + 3];
	struct vmm_run_result r;

	memcpy(argv, e->cmd, e->ncmd * sizeof(*argv));
	argv[e->ncmd] = vmm_action_name(req->action);
	argv[e->ncmd + 1] = req->target;
	argv[e->ncmd + 2] = NULL;
	res->outcome = VMM_MOVE_FAILED;
	if (e->host->run(argv, NULL, e->timeout, 16384, &r) < 0) {
		res->failure = r.timed_out ? VMM_FAIL_TIMEOUT : VMM_FAIL_CONFIG;
		res->permanent = !r.timed_out;
		snprintf(res->detail, sizeof(res->detail), "%s", r.err);
	} else if (r.status != 0) {
		res->failure = VMM_FAIL_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "%s exited with status %d%s%s", argv[0],
		    r.status, r.err[0] ? ": " : "", r.err);
	} else {
		exec_location(r.out, res->location, sizeof(res->location));
		if (res->location[0] == '\0')
			res->outcome = VMM_MOVE_UNCONFIRMED;
		else if (strcmp(res->location, req->target) == 0)
			res->outcome = VMM_MOVE_CONFIRMED;
		else {
			res->failure = VMM_FAIL_OTHER;
			snprintf(res->detail, sizeof(res->detail), "%s reports the VM on %s, not on %s",
			    argv[0], res->location, req->target);
		}
	}
	res->detail[strcspn(res->detail, "\n")] = '\0';
	e->host->run_free(&r);
}

static void
exec_fini(void *state)
{
	struct exec_endpoint *e = state;

	free(e->cmd);
	free(e);
}

static const struct vmm_endpoint_ops exec_ops = {
	.abi = VMM_ENDPOINT_ABI,
	.size = sizeof(struct vmm_endpoint_ops),
	.name = "exec",
	.summary = "runs endpoint_command ACTION TARGET",
	.keys = exec_keys,
	.init = exec_init,
	.move = exec_move,
	.locate = NULL,
	.fini = exec_fini,
};

const struct vmm_endpoint_ops *
vmm_endpoint_entry(void)
{
	return &exec_ops;
}
