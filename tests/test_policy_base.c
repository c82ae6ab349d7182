/* SPDX-License-Identifier: ISC */
/* The base policy (thesis Listing 3.2, script C.1) through the real loader and config. */
#include "config.h"

#include "policy_test.h"

#define T0 1242230457 /* Wed May 13 18:00:57 CEST 2009, the first cycle of Listing 4.3 */
#define S(i, v, act, c, lc) \
	{ .value = (v), .time = T0 + 60 * (i), .action = (act), .count = (c), .lowcount = (lc) }
#define NONE VMM_ACT_NONE
#define MOVE VMM_ACT_MOVE
#define BASE VMM_ACT_MOVE_TO_BASE

static const struct pt_case cases[] = {
	/* Listing 4.3 as logged on nii3 (the 18:06:02 cycle came 65 s after the one before) */
	{ .name = "scenario 2 (Listing 4.3)",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 3\nlowtarry = 20\n",
	  PT_STEPS(
	      { .value = 0, .time = 1242230457, .lowcount = 1 },
	      { .value = 0, .time = 1242230517, .lowcount = 2 },
	      { .value = 0, .time = 1242230577, .lowcount = 3 },
	      { .value = 0, .time = 1242230637, .lowcount = 4 },
	      { .value = 0, .time = 1242230697, .lowcount = 5 },
	      { .value = 0, .time = 1242230762, .lowcount = 6 },
	      { .value = 76, .time = 1242230822, .count = 1, .lowcount = 0 }) },
	{ .name = "lowtarry defaults to 20 and the low count restarts after firing",
	  .conf = "threshold = 50\nlowthreshold = 1\n",
	  PT_STEPS(S(0, 0, NONE, 0, 1), S(1, 0, NONE, 0, 2), S(2, 0, NONE, 0, 3),
	      S(3, 0, NONE, 0, 4), S(4, 0, NONE, 0, 5), S(5, 0, NONE, 0, 6), S(6, 0, NONE, 0, 7),
	      S(7, 0, NONE, 0, 8), S(8, 0, NONE, 0, 9), S(9, 0, NONE, 0, 10),
	      S(10, 0, NONE, 0, 11), S(11, 0, NONE, 0, 12), S(12, 0, NONE, 0, 13),
	      S(13, 0, NONE, 0, 14), S(14, 0, NONE, 0, 15), S(15, 0, NONE, 0, 16),
	      S(16, 0, NONE, 0, 17), S(17, 0, NONE, 0, 18), S(18, 0, NONE, 0, 19),
	      { .value = 0, .time = T0 + 60 * 19, .action = BASE, .lowcount = 20,
	        .reason = "0 below 1 for 20 cycles" },
	      S(20, 0, NONE, 0, 1)) },
	{ .name = "tarry defaults to 3 on the high side",
	  .conf = "threshold = 50\nlowthreshold = 1\n",
	  PT_STEPS(S(0, 60, NONE, 1, 0), S(1, 60, NONE, 2, 0),
	      { .value = 60, .time = T0 + 120, .action = MOVE, .count = 3,
	        .reason = "60 above 50 for 3 cycles" },
	      S(3, 60, NONE, 1, 0)) },
	{ .name = "each side restarts the other; the band between restarts both",
	  .conf = "threshold = 50\nlowthreshold = 10\ntarry = 2\nlowtarry = 2\n",
	  PT_STEPS(S(0, 5, NONE, 0, 1), S(1, 60, NONE, 1, 0), S(2, 5, NONE, 0, 1),
	      S(3, 30, NONE, 0, 0), S(4, 60, NONE, 1, 0), S(5, 30, NONE, 0, 0),
	      S(6, 60, NONE, 1, 0), S(7, 60, MOVE, 2, 0), S(8, 5, NONE, 0, 1),
	      S(9, 5, BASE, 0, 2), S(10, 5, NONE, 0, 1)) },
	/* anticipate: the high side counts the daemon's forecast; an idle sample does not */
	{ .name = "the forecast counts on the high side only",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 2\nlowtarry = 2\n",
	  PT_STEPS({ .value = 30, .time = T0, .has_forecast = 1, .forecast = 60, .count = 1 },
	      { .value = 40, .time = T0 + 60, .has_forecast = 1, .forecast = 70, .action = MOVE,
	        .count = 2, .reason = "indicator 40 heading above 50 (70 in 300 s) for 2 cycles" },
	      { .value = 0, .time = T0 + 120, .has_forecast = 1, .forecast = 80, .lowcount = 1 },
	      { .value = 0, .time = T0 + 180, .has_forecast = 1, .forecast = 90, .action = BASE,
	        .lowcount = 2 }) },
	{ .name = "terse: no reason while idle or busy without an action, a full one with it",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 2\nlowtarry = 2\n",
	  PT_STEPS({ .value = 0, .time = T0, .terse = 1, .lowcount = 1 },
	      { .value = 0, .time = T0 + 60, .terse = 1, .action = BASE, .lowcount = 2,
	        .reason = "indicator 0 below 1 for 2 cycles" },
	      { .value = 60, .time = T0 + 120, .terse = 1, .count = 1 }) },
	{ .name = "samples equal to either threshold count for neither side",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 2\nlowtarry = 2\n",
	  PT_STEPS(S(0, 0, NONE, 0, 1), S(1, 1, NONE, 0, 0), S(2, 0, NONE, 0, 1),
	      S(3, 60, NONE, 1, 0), S(4, 50, NONE, 0, 0), S(5, 60, NONE, 1, 0)) },
	{ .name = "unknown samples keep both counts",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 3\nlowtarry = 3\n",
	  PT_STEPS(S(0, 0, NONE, 0, 1), S(1, 0, NONE, 0, 2),
	      { .value = UNKNOWN, .time = T0 + 120, .lowcount = 2, .reason = "unknown" },
	      S(3, 0, BASE, 0, 3), S(4, 60, NONE, 1, 0), S(5, UNKNOWN, NONE, 1, 0),
	      S(6, 60, NONE, 2, 0), S(7, UNKNOWN, NONE, 2, 0), S(8, 60, MOVE, 3, 0)) },
	/* idle workers: few idle is busy, many idle is a waste */
	{ .name = "lower_is_worse flips both sides",
	  .conf = "threshold = 5\nlowthreshold = 80\ntarry = 2\nlowtarry = 2\n",
	  .direction = VMM_LOWER_IS_WORSE,
	  PT_STEPS(S(0, 3, NONE, 1, 0), S(1, 90, NONE, 0, 1), S(2, 80, NONE, 0, 0),
	      S(3, 5, NONE, 0, 0), S(4, 2, NONE, 1, 0),
	      { .value = 4, .time = T0 + 300, .action = MOVE, .count = 2,
	        .reason = "4 below 5 for 2 cycles" },
	      S(6, 81, NONE, 0, 1),
	      { .value = 95, .time = T0 + 420, .action = BASE, .lowcount = 2,
	        .reason = "95 above 80 for 2 cycles" },
	      S(8, 40, NONE, 0, 0)) },
};

static const struct pt_bad bads[] = {
	{ "missing threshold", "lowthreshold = 1\n", 0,
	  { "test.conf: threshold is not set", "threshold = 50", NULL } },
	{ "missing lowthreshold", "threshold = 50\n", 0,
	  { "test.conf: lowthreshold is not set", "lowthreshold = ", NULL } },
	{ "quoted lowthreshold", "threshold = 50\nlowthreshold = \"1\"\n", 0,
	  { "test.conf:2: lowthreshold: expected a number", NULL } },
	{ "lowtarry = 0", "threshold = 50\nlowthreshold = 1\nlowtarry = 0\n", 0,
	  { "test.conf:3: lowtarry: must be at least 1", NULL } },
	{ "tarry = 0", "threshold = 50\ntarry = 0\nlowthreshold = 1\n", 0,
	  { "test.conf:2: tarry: must be at least 1", NULL } },
	{ "lowthreshold above threshold (higher is worse)", "threshold = 50\nlowthreshold = 60\n", 0,
	  { "test.conf:2: lowthreshold = 60 must be below threshold = 50", "test.conf:1", NULL } },
	{ "lowthreshold equal to threshold", "threshold = 50\nlowthreshold = 50\n", 0,
	  { "test.conf:2: lowthreshold", "threshold = 50 (test.conf:1)", NULL } },
	{ "lowthreshold below threshold (lower is worse)", "threshold = 5\nlowthreshold = 1\n",
	  VMM_LOWER_IS_WORSE,
	  { "test.conf:2: lowthreshold = 1 must be above threshold = 5", "lower is worse", NULL } },
};

int
main(void)
{
	static const char *const keys[] = { "threshold", "tarry", "within", "lowthreshold", "lowtarry", NULL };
	struct module *mod;
	const struct vmm_policy_ops *ops = pt_load("base", &mod);

	pt_check_keys(ops, keys);
	pt_run_cases(ops, cases, PT_COUNT(cases));
	pt_run_bads(ops, bads, PT_COUNT(bads));
	module_unload(mod);
	return pt_done();
}
