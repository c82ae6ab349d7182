/* SPDX-License-Identifier: ISC */
/* Example policy: move when the indicator was worse than threshold
 * in window_hits of the last window known samples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/policy.h>

#define WINDOW_MAX 64

struct window_state {
	enum vmm_direction direction;
	double threshold;
	int64_t window, hits;
	int64_t next;                  /* where the next sample goes */
	unsigned char bad[WINDOW_MAX]; /* 1: that sample was worse */
};

static const char *const window_keys[] = {
	"threshold", "window", "window_hits", NULL
};

static int
window_init(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, void **state, char *err,
    size_t errlen)
{
	struct window_state *s;
	char where[512];
	int rc;

	if (host->abi != VMM_HOST_ABI || host->size < sizeof(*host)) {
		snprintf(err, errlen, "built for host ABI %d: rebuild",
		    VMM_HOST_ABI);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->direction = env->direction;
	s->window = 5;
	s->hits = 3;
	rc = host->conf_number(conf, "threshold", &s->threshold, err,
	    errlen);
	if (rc == 0)
		snprintf(err, errlen, "%s: threshold is not set: add e.g. "
		    "threshold = 50", host->conf_where(conf, "threshold",
		    where, sizeof(where)));
	if (rc <= 0 || host->conf_int(conf, "window", 1, WINDOW_MAX,
	    &s->window, err, errlen) < 0 || host->conf_int(conf,
	    "window_hits", 1, s->window, &s->hits, err, errlen) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int64_t
window_count(const struct window_state *s)
{
	int64_t i, n = 0;

	for (i = 0; i < s->window; i++)
		n += s->bad[i];
	return n;
}

static void
window_evaluate(void *state, const struct vmm_policy_input *in,
    struct vmm_decision *out)
{
	struct window_state *s = state;
	double v = in->sample.value;
	int lower = s->direction == VMM_LOWER_IS_WORSE;
	int64_t n;

	memset(out, 0, sizeof(*out));
	if (!in->sample.known) {
		snprintf(out->reason, sizeof(out->reason),
		    "indicator unknown: window kept");
		return;
	}
	s->bad[s->next] = lower ? v < s->threshold : v > s->threshold;
	s->next = (s->next + 1) % s->window;
	n = window_count(s);
	snprintf(out->reason, sizeof(out->reason),
	    "indicator %g, %lld of the last %lld samples %s %g", v,
	    (long long)n, (long long)s->window, lower ? "below" : "above",
	    s->threshold);
	if (n < s->hits)
		return;
	out->action = VMM_ACT_MOVE;
	memset(s->bad, 0, sizeof(s->bad)); /* start afresh there */
	s->next = 0;
}

static void
window_counters(const void *state, struct vmm_policy_counters *out)
{
	const struct window_state *s = state;

	memset(out, 0, sizeof(*out));
	out->count = window_count(s);
	out->threshold = s->threshold;
}

static void
window_fini(void *state)
{
	free(state);
}

static const struct vmm_policy_ops window_ops = {
	.abi = VMM_POLICY_ABI,
	.size = sizeof(struct vmm_policy_ops),
	.name = "window",
	.summary = "move when window_hits of the last window samples "
	    "are worse than threshold",
	.keys = window_keys,
	.init = window_init,
	.evaluate = window_evaluate,
	.counters = window_counters,
	.fini = window_fini,
};

const struct vmm_policy_ops *
vmm_policy_entry(void)
{
	return &window_ops;
}
