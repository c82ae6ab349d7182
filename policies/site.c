/* SPDX-License-Identifier: ISC */
/* Policy 4, site-aware (thesis Listing 3.4, script D.1): big jobs go away from the cheap
 * home site, small ones come back; the sample is the number of big jobs in the queue. */
#include "config.h"

#include <stdlib.h>

#include "counter.h"

struct site_state {
	int64_t threshold; /* this many big jobs or more: process them away from home */
	int64_t last;      /* big jobs in the last known queue, for the cycle log */
};

static const char *const site_keys[] = { "threshold", "bigjobs", NULL };

/* bigjobs belongs to the queue sensor; it is read here only so that a wrong type is
 * reported when the policy is configured, and so that `keys` declares it. */
static int
site_conf_bigjobs(const struct vmm_host *host, const struct vmm_conf *conf, char *err,
    size_t errlen)
{
	const char *bigjobs;

	return host->conf_string(conf, "bigjobs", &bigjobs, err, errlen) < 0 ? -1 : 0;
}

/* threshold is a whole number of big jobs, at least 1 (thesis: 2). */
static int
site_conf_threshold(const struct vmm_host *host, const struct vmm_conf *conf, int64_t *out,
    char *err, size_t errlen)
{
	char where[512];
	int rc = host->conf_int(conf, "threshold", INT64_MIN, INT64_MAX, out, err, errlen);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(err, errlen, "%s: threshold is not set: add e.g. threshold = 2 (big jobs that make the move away pay)",
		    host->conf_where(conf, "threshold", where, sizeof(where)));
		return -1;
	}
	if (*out < 1) {
		snprintf(err, errlen, "%s: threshold: must be at least 1 (a number of big jobs), got %lld",
		    host->conf_where(conf, "threshold", where, sizeof(where)), (long long)*out);
		return -1;
	}
	return 0;
}

static int
site_init(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, void **state, char *err, size_t errlen)
{
	struct site_state *s;

	(void)env; /* a count of jobs has no "lower is worse" reading */
	if (counter_host_ok(host, "site", err, errlen) < 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "policy site: out of memory");
		return -1;
	}
	if (site_conf_threshold(host, conf, &s->threshold, err, errlen) < 0 ||
	    site_conf_bigjobs(host, conf, err, errlen) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* Many big jobs: they are worth the trip away from home; otherwise home is cheaper. */
static void
site_decide(int64_t n, int64_t threshold, int at_home, struct vmm_decision *out)
{
	if (n >= threshold && at_home) {
		out->action = VMM_ACT_MOVE_FROM_HOME;
		snprintf(out->reason, sizeof(out->reason), "Would process queue after move from home");
	} else if (n >= threshold) {
		out->process_queue = 1;
		snprintf(out->reason, sizeof(out->reason), "Would process: away from home now");
	} else if (!at_home) {
		out->action = VMM_ACT_MOVE_TO_HOME;
		snprintf(out->reason, sizeof(out->reason), "Would process queue after move to home");
	} else {
		out->process_queue = 1;
		snprintf(out->reason, sizeof(out->reason), "Would process: at home now");
	}
}

static void
site_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	struct site_state *s = state;

	counter_decision_clear(out);
	if (!in->sample.known) {
		snprintf(out->reason, sizeof(out->reason), "queue unknown: nothing to decide");
		return;
	}
	/* a sensor bug must not become a move: only a plausible count decides */
	if (!(in->sample.value >= 0 && in->sample.value < 1e15)) {
		snprintf(out->reason, sizeof(out->reason), "job count %g is not a count: nothing decided",
		    in->sample.value);
		return;
	}
	s->last = (int64_t)in->sample.value; /* whole jobs: 1.5 does not count as 2 */
	if (in->at_home < 0) {
		snprintf(out->reason, sizeof(out->reason), "location unknown: %lld big jobs, nothing decided",
		    (long long)s->last);
		return;
	}
	site_decide(s->last, s->threshold, in->at_home, out);
}

static void
site_counters(const void *state, struct vmm_policy_counters *out)
{
	const struct site_state *s = state;

	memset(out, 0, sizeof(*out));
	out->count = s->last;
	out->threshold = (double)s->threshold;
}

static void
site_fini(void *state)
{
	free(state);
}

static const struct vmm_policy_ops site_ops = {
	.abi = VMM_POLICY_ABI,
	.size = sizeof(struct vmm_policy_ops),
	.name = "site",
	.summary = "process big jobs away from home, the rest at home",
	.keys = site_keys,
	.init = site_init,
	.evaluate = site_evaluate,
	.counters = site_counters,
	.fini = site_fini,
};

const struct vmm_policy_ops *
vmm_policy_entry(void)
{
	return &site_ops;
}
