/* SPDX-License-Identifier: ISC */
/* The site policy (thesis Listing 3.4, script D.1) through the real loader and config.
 * The sample is the number of big jobs in the claimed queue. */
#include "config.h"

#include "policy_test.h"

#define T0 1242230457
#define NONE VMM_ACT_NONE
/* n big jobs, where the VM is (1 home, 0 away, -1 unknown) -> action, queue here now? */
#define S(i, n, home, act, pq, last, why) { .value = (n), .time = T0 + 120 * (i), \
	.at_home = (home), .action = (act), .process_queue = (pq), .count = (last), .reason = (why) }
#define FROM VMM_ACT_MOVE_FROM_HOME
#define TO VMM_ACT_MOVE_TO_HOME

static const struct pt_case cases[] = {
	{ .name = "the four branches of Listing 3.4",
	  .conf = "threshold = 2\nbigjobs = \"grade a\"\n",
	  PT_STEPS(S(0, 3, 1, FROM, 0, 3, "Would process queue after move from home"),
	      S(1, 3, 0, NONE, 1, 3, "Would process: away from home now"),
	      S(2, 1, 0, TO, 0, 1, "Would process queue after move to home"),
	      S(3, 1, 1, NONE, 1, 1, "Would process: at home now")) },
	{ .name = "exactly threshold big jobs is many (>=)",
	  .conf = "threshold = 2\nbigjobs = \"grade a\"\n",
	  PT_STEPS(S(0, 2, 1, FROM, 0, 2, "after move from home"), S(1, 2, 0, NONE, 1, 2, "away"),
	      S(2, 0, 0, TO, 0, 0, "after move to home"), S(3, 0, 1, NONE, 1, 0, "at home now")) },
	{ .name = "unknown location or queue decides nothing",
	  .conf = "threshold = 2\nbigjobs = \"grade a\"\n",
	  PT_STEPS(S(0, 5, -1, NONE, 0, 5, "location unknown"), S(1, 0, -1, NONE, 0, 0, "location unknown"),
	      S(2, 4, 1, FROM, 0, 4, NULL), S(3, UNKNOWN, 1, NONE, 0, 4, "queue unknown"),
	      S(4, UNKNOWN, 0, NONE, 0, 4, "queue unknown"), S(5, UNKNOWN, -1, NONE, 0, 4, NULL)) },
	{ .name = "a negative job count decides nothing",
	  .conf = "threshold = 2\n",
	  PT_STEPS(S(0, 1, 1, NONE, 1, 1, NULL), S(1, -3, 0, NONE, 0, 1, "not a count")) },
	{ .name = "threshold 1: any big job sends the queue away",
	  .conf = "threshold = 1\nbigjobs = \"grade a\"\n",
	  PT_STEPS(S(0, 1, 1, FROM, 0, 1, NULL), S(1, 0, 0, TO, 0, 0, NULL)) },
	/* the queue sensor's reading is not a badness: direction changes nothing */
	{ .name = "lower_is_worse does not flip a job count",
	  .conf = "threshold = 2\n", .direction = VMM_LOWER_IS_WORSE,
	  PT_STEPS(S(0, 3, 1, FROM, 0, 3, NULL), S(1, 1, 0, TO, 0, 1, NULL)) },
};

static const struct pt_bad bads[] = {
	{ "missing threshold", "bigjobs = \"grade a\"\n", 0,
	  { "test.conf: threshold is not set", "threshold = 2", NULL } },
	{ "threshold = 0", "threshold = 0\n", 0, { "test.conf:1: threshold: must be at least 1", NULL } },
	{ "fractional threshold", "threshold = 1.5\n", 0,
	  { "test.conf:1: threshold: expected a whole number", NULL } },
	{ "quoted threshold", "threshold = \"2\"\n", 0,
	  { "test.conf:1: threshold: expected a whole number", "without quotes", NULL } },
	{ "bigjobs not a string", "threshold = 2\nbigjobs = true\n", 0,
	  { "test.conf:2: bigjobs: expected a string", NULL } },
};

int
main(void)
{
	static const char *const keys[] = { "threshold", "bigjobs", NULL };
	struct module *mod;
	const struct vmm_policy_ops *ops = pt_load("site", &mod);

	pt_check_keys(ops, keys);
	pt_run_cases(ops, cases, PT_COUNT(cases));
	pt_run_bads(ops, bads, PT_COUNT(bads));
	module_unload(mod);
	return pt_done();
}
