/* SPDX-License-Identifier: ISC */
/* Policy 2, base-aware (thesis Listing 3.2, script C.1): move when busy, go to the base
 * when idle, each after its own number of samples in a row. */
#include "config.h"

#include <stdlib.h>

#include "counter.h"

static const char *const base_keys[] = { "threshold", "tarry", "within", "lowthreshold", "lowtarry", NULL };

static int
base_init(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, void **state, char *err, size_t errlen)
{
	struct counter_pair *p;

	if (counter_host_ok(host, "base", err, errlen) < 0)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "policy base: out of memory");
		return -1;
	}
	if (counter_conf_pair(host, conf, env, p, err, errlen) < 0) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static void
base_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	counter_decision_clear(out);
	counter_pair_new_cycle(state);
	if (!in->sample.known) {
		counter_unknown(&((struct counter_pair *)state)->high, in, out);
		return;
	}
	counter_eval_pair(state, in, out);
}

static void
base_counters(const void *state, struct vmm_policy_counters *out)
{
	memset(out, 0, sizeof(*out));
	counter_pair_report(state, out);
}

static void
base_fini(void *state)
{
	free(state);
}

static const struct vmm_policy_ops base_ops = {
	.abi = VMM_POLICY_ABI,
	.size = sizeof(struct vmm_policy_ops),
	.name = "base",
	.summary = "move when busy for tarry samples, go to the base when idle for lowtarry",
	.keys = base_keys,
	.init = base_init,
	.evaluate = base_evaluate,
	.counters = base_counters,
	.fini = base_fini,
};

const struct vmm_policy_ops *
vmm_policy_entry(void)
{
	return &base_ops;
}
