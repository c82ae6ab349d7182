/* SPDX-License-Identifier: ISC */
/* Policy 1, threshold-aware (thesis Listing 3.1, script B.1): move after `tarry` bad samples. */
#include "config.h"

#include <stdlib.h>

#include "counter.h"

struct threshold_state {
	enum vmm_direction direction;
	struct counter high;
};

static const char *const threshold_keys[] = { "threshold", "tarry", "within", NULL };

static int
threshold_init(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, void **state, char *err, size_t errlen)
{
	struct threshold_state *s;

	if (counter_host_ok(host, "threshold", err, errlen) < 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "policy threshold: out of memory");
		return -1;
	}
	s->direction = env != NULL ? env->direction : VMM_HIGHER_IS_WORSE;
	if (counter_conf_high(host, conf, &s->high, err, errlen) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static void
threshold_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	struct threshold_state *s = state;

	counter_decision_clear(out);
	counter_new_cycle(&s->high);
	if (!in->sample.known) {
		counter_unknown(&s->high, in, out);
		return;
	}
	counter_eval_high(&s->high, s->direction, in, out);
}

static void
threshold_counters(const void *state, struct vmm_policy_counters *out)
{
	const struct threshold_state *s = state;

	memset(out, 0, sizeof(*out));
	out->count = counter_shown(&s->high);
	out->threshold = s->high.threshold;
}

static void
threshold_fini(void *state)
{
	free(state);
}

static const struct vmm_policy_ops threshold_ops = {
	.abi = VMM_POLICY_ABI,
	.size = sizeof(struct vmm_policy_ops),
	.name = "threshold",
	.summary = "move to the next host after tarry samples worse than threshold",
	.keys = threshold_keys,
	.init = threshold_init,
	.evaluate = threshold_evaluate,
	.counters = threshold_counters,
	.fini = threshold_fini,
};

const struct vmm_policy_ops *
vmm_policy_entry(void)
{
	return &threshold_ops;
}
