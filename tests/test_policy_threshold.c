/* SPDX-License-Identifier: ISC */
/* The threshold policy (thesis Listing 3.1, script B.1) through the real loader and config. */
#include "config.h"

#include "policy_test.h"

#define T0 1242230457 /* Wed May 13 18:00:57 CEST 2009, the first cycle of Listing 4.3 */
/* one cycle a minute, as daemon_interval = 60 in the thesis */
#define S(i, v, act, c) { .value = (v), .time = T0 + 60 * (i), .action = (act), .count = (c) }
/* the same with the daemon's forecast f */
#define F(i, v, f, act, c) { .value = (v), .time = T0 + 60 * (i), .has_forecast = 1, \
	.forecast = (f), .action = (act), .count = (c) }
#define NONE VMM_ACT_NONE
#define MOVE VMM_ACT_MOVE

static const struct pt_case cases[] = {
	{ .name = "tarry 3 fires on the third high sample, not before",
	  .conf = "threshold = 50\ntarry = 3\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 70, NONE, 2),
	      { .value = 76, .time = T0 + 120, .action = MOVE, .count = 3,
	        .reason = "76 above 50 for 3 cycles" }) },
	{ .name = "tarry defaults to 3",
	  .conf = "threshold = 50\n",
	  PT_STEPS(S(0, 51, NONE, 1), S(1, 51, NONE, 2), S(2, 51, MOVE, 3)) },
	{ .name = "a sample equal to the threshold does not count and restarts",
	  .conf = "threshold = 50\ntarry = 3\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 50, NONE, 0), S(2, 60, NONE, 1), S(3, 60, NONE, 2),
	      S(4, 50, NONE, 0), S(5, 50, NONE, 0)) },
	{ .name = "a low sample restarts the count",
	  .conf = "threshold = 50\ntarry = 3\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 60, NONE, 2), S(2, 10, NONE, 0), S(3, 60, NONE, 1),
	      S(4, 60, NONE, 2), S(5, 60, MOVE, 3)) },
	{ .name = "unknown samples neither advance nor reset the count",
	  .conf = "threshold = 50\ntarry = 3\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 60, NONE, 2),
	      { .value = UNKNOWN, .time = T0 + 120, .action = NONE, .count = 2, .reason = "unknown" },
	      S(3, UNKNOWN, NONE, 2), S(4, 60, MOVE, 3),
	      S(5, UNKNOWN, NONE, 0), S(6, UNKNOWN, NONE, 0)) },
	/* the firing cycle logs the count that fired, as the thesis printed it before its reset */
	{ .name = "the count restarts from 0 after firing",
	  .conf = "threshold = 50\ntarry = 3\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 60, NONE, 2), S(2, 60, MOVE, 3), S(3, 60, NONE, 1),
	      S(4, 60, NONE, 2), S(5, 60, MOVE, 3), S(6, 60, NONE, 1)) },
	{ .name = "within 3/5 fires on the 3rd bad of the last 5, unknowns skipped",
	  .conf = "threshold = 50\nwithin = \"3/5\"\n",
	  PT_STEPS(S(0, 60, NONE, 1), S(1, 40, NONE, 1), S(2, UNKNOWN, NONE, 1), S(3, 60, NONE, 2),
	      { .value = 40, .time = T0 + 240, .action = NONE, .count = 2 },
	      { .value = 70, .time = T0 + 300, .action = MOVE, .count = 3,
	        .reason = "70 above 50 in 3 of the last 5 cycles" }) },
	{ .name = "tarry 1 fires on every high sample",
	  .conf = "threshold = 50\ntarry = 1\n",
	  PT_STEPS(S(0, 60, MOVE, 1), S(1, 60, MOVE, 1), S(2, 40, NONE, 0), S(3, 60, MOVE, 1)) },
	{ .name = "a fractional threshold compares as a number",
	  .conf = "threshold = 0.5\ntarry = 2\n",
	  PT_STEPS(S(0, 0.75, NONE, 1), S(1, 0.5, NONE, 0), S(2, 0.51, NONE, 1), S(3, 0.6, MOVE, 2)) },
	{ .name = "lower_is_worse: below the threshold is high load",
	  .conf = "threshold = 5\ntarry = 2\n", .direction = VMM_LOWER_IS_WORSE,
	  PT_STEPS(S(0, 10, NONE, 0), S(1, 4, NONE, 1),
	      { .value = 3, .time = T0 + 120, .action = MOVE, .count = 2, .reason = "3 below 5" },
	      S(3, 5, NONE, 0), S(4, 6, NONE, 0), S(5, 0, NONE, 1), S(6, 99, NONE, 0)) },
	/* anticipate: the daemon's line through the last samples, read 300 s on */
	{ .name = "a forecast beyond the threshold counts cycles before the crossing",
	  .conf = "threshold = 20\ntarry = 3\n",
	  PT_STEPS(F(0, 10, 18, NONE, 0), F(1, 12, 22, NONE, 1),
	      { .value = 13, .time = T0 + 120, .has_forecast = 1, .forecast = 24.04, .count = 2,
	        .reason = "indicator 13 heading above 20 (24 in 300 s), 2 of 3 cycles" },
	      { .value = 14, .time = T0 + 180, .has_forecast = 1, .forecast = 26, .action = MOVE,
	        .count = 3, .reason = "indicator 14 heading above 20 (26 in 300 s) for 3 cycles" }) },
	{ .name = "a forecast within the threshold restarts the count",
	  .conf = "threshold = 20\ntarry = 3\n",
	  PT_STEPS(F(0, 15, 25, NONE, 1), F(1, 16, 19, NONE, 0), F(2, 17, 21, NONE, 1),
	      F(3, 18, 20, NONE, 0)) },
	{ .name = "a sample beyond the threshold counts whatever the forecast says",
	  .conf = "threshold = 20\ntarry = 2\n",
	  PT_STEPS(F(0, 30, 5, NONE, 1),
	      { .value = 25, .time = T0 + 60, .has_forecast = 1, .forecast = 0, .action = MOVE,
	        .count = 2, .reason = "indicator 25 above 20 for 2 cycles" }) },
	/* the simulator's untraced VMs: no reason without an action, the same counts */
	{ .name = "terse: no reason for a cycle that asks nothing, a full one with the move",
	  .conf = "threshold = 50\ntarry = 2\n",
	  PT_STEPS({ .value = 10, .time = T0, .terse = 1 }, { .value = 60, .time = T0 + 60, .terse = 1, .count = 1 },
	      { .value = UNKNOWN, .time = T0 + 120, .terse = 1, .count = 1 },
	      { .value = 70, .time = T0 + 180, .terse = 1, .action = MOVE, .count = 2,
	        .reason = "indicator 70 above 50 for 2 cycles" }) },
	{ .name = "lower_is_worse: a forecast below the threshold counts",
	  .conf = "threshold = 5\ntarry = 2\n", .direction = VMM_LOWER_IS_WORSE,
	  PT_STEPS(F(0, 8, 4, NONE, 1),
	      { .value = 7, .time = T0 + 60, .has_forecast = 1, .forecast = 3.5, .action = MOVE,
	        .count = 2, .reason = "indicator 7 heading below 5 (3.5 in 300 s) for 2 cycles" }) },
};

static const struct pt_bad bads[] = {
	{ "missing threshold", "tarry = 3\n", 0,
	  { "test.conf: threshold is not set", "threshold = 50", NULL } },
	{ "quoted threshold", "threshold = \"50\"\n", 0,
	  { "test.conf:1: threshold: expected a number", "without quotes", NULL } },
	{ "boolean threshold", "threshold = true\n", 0, { "test.conf:1: threshold:", NULL } },
	{ "tarry = 0", "threshold = 50\ntarry = 0\n", 0,
	  { "test.conf:2: tarry: must be at least 1", NULL } },
	{ "negative tarry", "threshold = 50\ntarry = -2\n", 0,
	  { "test.conf:2: tarry: must be at least 1", NULL } },
	{ "fractional tarry", "threshold = 50\n\ntarry = 2.5\n", 0,
	  { "test.conf:3: tarry: expected a whole number", NULL } },
	{ "quoted tarry", "threshold = 50\ntarry = \"3\"\n", 0, { "test.conf:2: tarry:", NULL } },
	{ "within and tarry", "threshold = 50\ntarry = 3\nwithin = \"4/6\"\n", 0,
	  { "test.conf:3: within and tarry are both set: keep one", NULL } },
	{ "within 5/4", "threshold = 50\nwithin = \"5/4\"\n", 0,
	  { "test.conf:2: within: '5/4' is not \"X/Y\" with 1 <= X <= Y <= 64", NULL } },
	{ "within not X/Y", "threshold = 50\nwithin = \"4 of 6\"\n", 0,
	  { "test.conf:2: within:", "e.g. within = \"4/6\"", NULL } },
};

/* A policy name that has no module fails, and says which ones there are. */
static void
test_unknown_policy(void)
{
	char err[2048] = "";
	struct module *m = module_load(MODULE_POLICY, PT_POLICY_DIR, "thresold", err, sizeof(err));

	pt_ok(m == NULL && strstr(err, "thresold") && strstr(err, "available policy modules") &&
	    strstr(err, "threshold") && strstr(err, "base") && strstr(err, "schedule") &&
	    strstr(err, "site"), "a missing policy module is refused, listing the available ones");
	pt_diag("%s", err);
	module_unload(m);
}

int
main(void)
{
	static const char *const keys[] = { "threshold", "tarry", "within", NULL };
	struct module *mod;
	const struct vmm_policy_ops *ops = pt_load("threshold", &mod);

	pt_check_keys(ops, keys);
	pt_run_cases(ops, cases, PT_COUNT(cases));
	pt_run_bads(ops, bads, PT_COUNT(bads));
	test_unknown_policy();
	module_unload(mod);
	return pt_done();
}
