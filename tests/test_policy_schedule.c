/* SPDX-License-Identifier: ISC */
/* The schedule policy (thesis Listing 3.3, script C.2) through the real loader and config.
 * Times are UTC epochs; the work_hours cases set TZ, which the harness (like the agent)
 * uses to fill the local time of the input, unless a step gives that local time itself. */
#include "config.h"

#include <time.h>

#include "policy_test.h"

#define D 1242172800      /* Wed 2009-05-13 00:00 UTC (CEST is UTC+2 in Oslo) */
#define JAN 1231891200    /* Wed 2009-01-14 00:00 UTC (CET is UTC+1 in Oslo) */
#define H 3600
#define M 60
#define DAY 86400
#define NONE VMM_ACT_NONE
#define MOVE VMM_ACT_MOVE
#define BASE VMM_ACT_MOVE_TO_BASE

/* working: the base policy's answer and counts; resting: nothing, counts 0 */
#define W(t, v, act, c, lc) \
	{ .value = (v), .time = (t), .action = (act), .count = (c), .lowcount = (lc) }
#define REST_IN(t, v) { .value = (v), .time = (t), .action = BASE, .resting = 1, \
	.reason = "rest period starts" }
#define REST(t, v) { .value = (v), .time = (t), .resting = 1, .reason = "resting" }

#define PAIR "threshold = 50\nlowthreshold = 1\ntarry = 2\nlowtarry = 3\n"
/* tarries no test reaches, for cases only about when work and rest are */
#define QUIET "threshold = 50\nlowthreshold = 1\ntarry = 100\nlowtarry = 100\n"

/* Legacy slots: UTC whatever TZ says (script C.2 used epoch % 86400). */
static const struct pt_case legacy_cases[] = {
	/* slots 108..170 are 09:00..14:10 UTC, as on nii5 */
	{ .name = "legacy slots: base policy at work, one move_to_base at rest, resume next day",
	  .conf = PAIR "workstart = 108\nworkstop = 170\n",
	  PT_STEPS(W(D + 9 * H, 60, NONE, 1, 0), W(D + 9 * H + M, 60, MOVE, 2, 0),
	      W(D + 9 * H + 2 * M, 0, NONE, 0, 1), W(D + 14 * H + 9 * M, 0, NONE, 0, 2),
	      REST_IN(D + 14 * H + 10 * M, 0), REST(D + 15 * H, 100), REST(D + 16 * H, 100),
	      REST(D + 17 * H, 0), REST(D + 18 * H, 0), REST(D + 19 * H, 0), REST(D + 20 * H, UNKNOWN),
	      REST(D + DAY + 9 * H - 1, 60),
	      W(D + DAY + 9 * H, 60, NONE, 1, 0), W(D + DAY + 9 * H + M, 60, MOVE, 2, 0)) },
	{ .name = "legacy slots: a first sample in rest goes to the base even when unknown",
	  .conf = PAIR "workstart = 108\nworkstop = 170\n",
	  PT_STEPS(REST_IN(D + 3 * H, UNKNOWN), REST(D + 3 * H + M, 0), REST(D + 3 * H + 2 * M, 0),
	      REST(D + 4 * H, 0), W(D + 9 * H, 0, NONE, 0, 1)) },
	{ .name = "legacy slots: unknown samples at work keep the counts",
	  .conf = PAIR "workstart = 108\nworkstop = 170\n",
	  PT_STEPS(W(D + 10 * H, 0, NONE, 0, 1), W(D + 10 * H + M, UNKNOWN, NONE, 0, 1),
	      W(D + 10 * H + 2 * M, 0, NONE, 0, 2), W(D + 10 * H + 3 * M, 0, BASE, 0, 3)) },
	{ .name = "legacy slots: counts restart when work starts again",
	  .conf = PAIR "workstart = 108\nworkstop = 170\n",
	  PT_STEPS(W(D + 14 * H + 8 * M, 60, NONE, 1, 0), REST_IN(D + 14 * H + 10 * M, 60),
	      W(D + DAY + 9 * H, 60, NONE, 1, 0), W(D + DAY + 9 * H + M, 60, MOVE, 2, 0)) },
	/* slots 264..72: 22:00 to 06:00 UTC */
	{ .name = "legacy slots: a window over midnight",
	  .conf = "threshold = 50\nlowthreshold = 1\ntarry = 3\nlowtarry = 3\n"
	      "workstart = 264\nworkstop = 72\n",
	  PT_STEPS(REST_IN(D + 21 * H + 59 * M, 60), W(D + 22 * H, 60, NONE, 1, 0),
	      W(D + 23 * H + 59 * M, 60, NONE, 2, 0), W(D + DAY + 5 * H + 59 * M, 60, MOVE, 3, 0),
	      REST_IN(D + DAY + 6 * H, 60), REST(D + DAY + 12 * H, 60),
	      W(D + DAY + 22 * H, 60, NONE, 1, 0)) },
	{ .name = "terse: resting says nothing, the move to the base still says why",
	  .conf = PAIR "workstart = 108\nworkstop = 170\n",
	  PT_STEPS({ .value = 0, .time = D + 14 * H + 10 * M, .terse = 1, .action = BASE, .resting = 1,
	        .reason = "rest period starts" },
	      { .value = 0, .time = D + 15 * H, .terse = 1, .resting = 1 },
	      { .value = UNKNOWN, .time = D + DAY + 9 * H, .terse = 1 }) },
	{ .name = "rest_monitoring = false: skip the sensor while resting",
	  .conf = PAIR "workstart = 108\nworkstop = 170\nrest_monitoring = false\n",
	  PT_STEPS(W(D + 9 * H, 0, NONE, 0, 1),
	      { .value = UNKNOWN, .time = D + 15 * H, .action = BASE, .resting = 1, .skip_sensor = 1 },
	      { .value = UNKNOWN, .time = D + 16 * H, .resting = 1, .skip_sensor = 1,
	        .reason = "not monitoring" },
	      W(D + DAY + 9 * H, UNKNOWN, NONE, 0, 0)) },
};

/* The readable form, run with TZ=UTC. */
static const struct pt_case utc_cases[] = {
	{ .name = "work_hours in UTC: 09:00-16:00 Mon-Fri",
	  .conf = PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon-Fri\"\n",
	  PT_STEPS(REST_IN(D + 7 * H, 60), REST(D + 9 * H - 1, 60), W(D + 9 * H, 60, NONE, 1, 0),
	      W(D + 16 * H - 1, 0, NONE, 0, 1), REST_IN(D + 16 * H, 0)) },
	{ .name = "work_days Mon,Wed,Fri (whole days)",
	  .conf = QUIET "work_hours = \"00:00-24:00\"\nwork_days = \"Mon,Wed,Fri\"\n",
	  PT_STEPS(W(D + 12 * H, 60, NONE, 1, 0), REST_IN(D + DAY + 12 * H, 60),
	      W(D + 2 * DAY, 60, NONE, 1, 0), W(D + 3 * DAY - 1, 60, NONE, 2, 0),
	      REST_IN(D + 3 * DAY, 60), REST(D + 4 * DAY + 12 * H, 60),
	      W(D + 5 * DAY + 12 * H, 60, NONE, 1, 0), REST_IN(D + 6 * DAY + 12 * H, 60)) },
	{ .name = "work_days Sat-Sun",
	  .conf = QUIET "work_hours = \"08:00-12:00\"\nwork_days = \"Sat-Sun\"\n",
	  PT_STEPS(REST_IN(D + 2 * DAY + 9 * H, 60), W(D + 3 * DAY + 9 * H, 60, NONE, 1, 0),
	      REST_IN(D + 3 * DAY + 12 * H, 60), W(D + 4 * DAY + 8 * H, 60, NONE, 1, 0),
	      REST_IN(D + 5 * DAY + 9 * H, 60)) },
	{ .name = "work_days Fri-Mon wraps over the week end",
	  .conf = QUIET "work_hours = \"00:00-24:00\"\nwork_days = \"fri-mon\"\n",
	  PT_STEPS(REST_IN(D + DAY + 12 * H, 60), W(D + 2 * DAY + 12 * H, 60, NONE, 1, 0),
	      W(D + 3 * DAY + 12 * H, 60, NONE, 2, 0), W(D + 4 * DAY + 12 * H, 60, NONE, 3, 0),
	      W(D + 5 * DAY + 12 * H, 60, NONE, 4, 0), REST_IN(D + 6 * DAY, 60)) },
	/* Fri 2009-05-15 22:00 to Sat 06:00 is Friday's shift; Sat 22:00 is not a shift */
	{ .name = "work_hours over midnight belong to the day they start",
	  .conf = QUIET "work_hours = \"22:00-06:00\"\nwork_days = \"Fri\"\n",
	  PT_STEPS(REST_IN(D + DAY + 5 * H, 60), REST(D + 2 * DAY + 5 * H, 60),
	      W(D + 2 * DAY + 22 * H, 60, NONE, 1, 0), W(D + 3 * DAY + 5 * H + 59 * M, 60, NONE, 2, 0),
	      REST_IN(D + 3 * DAY + 6 * H, 60), REST(D + 3 * DAY + 22 * H, 60),
	      REST(D + 4 * DAY + 3 * H, 60)) },
	{ .name = "work_hours without work_days is every day",
	  .conf = QUIET "work_hours = \"9:00-16:00\"\n",
	  PT_STEPS(W(D + 3 * DAY + 9 * H, 60, NONE, 1, 0), REST_IN(D + 3 * DAY + 16 * H, 60),
	      W(D + 4 * DAY + 9 * H, 60, NONE, 1, 0)) },
};

/* The same kind of window, read in Oslo's local time, summer and winter. */
static const struct pt_case oslo_cases[] = {
	{ .name = "Europe/Oslo, summer: 09:00-16:00 CEST is 07:00-14:00 UTC",
	  .conf = PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon-Fri\"\n",
	  PT_STEPS(REST_IN(D + 7 * H - M, 60), W(D + 7 * H, 60, NONE, 1, 0),
	      W(D + 14 * H - M, 60, MOVE, 2, 0), W(D + 14 * H - 30, 0, NONE, 0, 1),
	      REST_IN(D + 14 * H, 60), REST(D + 3 * DAY + 8 * H, 60),
	      REST(D + 5 * DAY + 7 * H - 1, 60), W(D + 5 * DAY + 7 * H, 60, NONE, 1, 0)) },
	{ .name = "Europe/Oslo, winter: 09:00-16:00 CET is 08:00-15:00 UTC",
	  .conf = PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon-Fri\"\n",
	  PT_STEPS(REST_IN(JAN + 7 * H, 60), REST(JAN + 8 * H - 1, 60), W(JAN + 8 * H, 60, NONE, 1, 0),
	      W(JAN + 15 * H - 1, 0, NONE, 0, 1), REST_IN(JAN + 15 * H, 0)) },
	/* 00:00 local Saturday is still Friday 22:00 UTC: the local day decides */
	{ .name = "Europe/Oslo: the week day is the local one",
	  .conf = QUIET "work_hours = \"00:00-24:00\"\nwork_days = \"Sat-Sun\"\n",
	  PT_STEPS(REST_IN(D + 2 * DAY + 21 * H + 59 * M, 60), W(D + 2 * DAY + 22 * H, 60, NONE, 1, 0),
	      W(D + 4 * DAY + 21 * H + 59 * M, 60, NONE, 2, 0), REST_IN(D + 4 * DAY + 22 * H, 60)) },
};

/* The local time given in the input, whatever the epoch and TZ say: every step below is
 * at Wednesday 03:00 UTC, when TZ=UTC would rest. wday 0 is Sunday. */
#define WED3 (D + 3 * H)
#define LT(wd, h, m, off) { .valid = 1, .year = 2009, .month = 3, .day = 22 + (wd), \
	.hour = (h), .minute = (m), .weekday = (wd), .utc_offset = (off) }
#define WL(lt, v, act, c, lc) { .value = (v), .time = WED3, .action = (act), .count = (c), \
	.lowcount = (lc), .local = lt }
#define REST_INL(lt, v) { .value = (v), .time = WED3, .action = BASE, .resting = 1, \
	.reason = "rest period starts", .local = lt }
#define RESTL(lt, v) { .value = (v), .time = WED3, .resting = 1, .reason = "resting", \
	.local = lt }
#define CET 3600
#define CEST 7200

static const struct pt_case local_cases[] = {
	{ .name = "local time in the input: a working day 09:00-16:00",
	  .conf = PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon-Fri\"\n",
	  PT_STEPS(REST_INL(LT(3, 8, 59, 0), 60), WL(LT(3, 9, 0, 0), 60, NONE, 1, 0),
	      WL(LT(3, 12, 30, 0), 60, MOVE, 2, 0), WL(LT(3, 15, 59, 0), 0, NONE, 0, 1),
	      REST_INL(LT(3, 16, 0, 0), 0), RESTL(LT(3, 23, 59, 0), 60),
	      RESTL(LT(4, 0, 0, 0), 60), WL(LT(4, 9, 0, 0), 60, NONE, 1, 0)) },
	{ .name = "local time in the input: a week of Mon-Fri",
	  .conf = QUIET "work_hours = \"00:00-24:00\"\nwork_days = \"Mon-Fri\"\n",
	  PT_STEPS(WL(LT(1, 12, 0, 0), 60, NONE, 1, 0), WL(LT(2, 12, 0, 0), 60, NONE, 2, 0),
	      WL(LT(3, 12, 0, 0), 60, NONE, 3, 0), WL(LT(4, 12, 0, 0), 60, NONE, 4, 0),
	      WL(LT(5, 23, 59, 0), 60, NONE, 5, 0), REST_INL(LT(6, 0, 0, 0), 60),
	      RESTL(LT(0, 12, 0, 0), 60), RESTL(LT(0, 23, 59, 0), 60),
	      WL(LT(1, 0, 0, 0), 60, NONE, 1, 0)) },
	{ .name = "local time in the input: a night shift belongs to the day it starts",
	  .conf = QUIET "work_hours = \"22:00-06:00\"\nwork_days = \"Fri\"\n",
	  PT_STEPS(REST_INL(LT(5, 21, 59, 0), 60), WL(LT(5, 22, 0, 0), 60, NONE, 1, 0),
	      WL(LT(6, 5, 59, 0), 60, NONE, 2, 0), REST_INL(LT(6, 6, 0, 0), 60),
	      RESTL(LT(6, 22, 0, 0), 60), RESTL(LT(0, 3, 0, 0), 60)) },
	/* only the clock on the wall counts, not the offset: spring forward skips 02:00-03:00,
	 * autumn repeats 02:00-03:00; each reading is taken for what it says */
	{ .name = "local time in the input: summer time starts (01:59 CET, then 03:00 CEST)",
	  .conf = QUIET "work_hours = \"02:30-03:30\"\nwork_days = \"Sun\"\n",
	  PT_STEPS(REST_INL(LT(0, 1, 59, CET), 60), WL(LT(0, 3, 0, CEST), 60, NONE, 1, 0),
	      WL(LT(0, 3, 29, CEST), 60, NONE, 2, 0), REST_INL(LT(0, 3, 30, CEST), 60)) },
	{ .name = "local time in the input: summer time ends (02:45 twice)",
	  .conf = QUIET "work_hours = \"02:30-03:30\"\nwork_days = \"Sun\"\n",
	  PT_STEPS(REST_INL(LT(0, 2, 29, CEST), 60), WL(LT(0, 2, 45, CEST), 60, NONE, 1, 0),
	      WL(LT(0, 2, 45, CET), 60, NONE, 2, 0), REST_INL(LT(0, 3, 30, CET), 60)) },
	{ .name = "local time in the input: the legacy slots still read the epoch (UTC)",
	  .conf = QUIET "workstart = 24\nworkstop = 48\n",
	  PT_STEPS(WL(LT(3, 22, 0, 0), 60, NONE, 1, 0), WL(LT(6, 12, 0, 0), 60, NONE, 2, 0)) },
};

static const struct pt_bad bads[] = {
	{ "a cooldown as long as the working day",
	  PAIR "work_hours = \"09:00-10:00\"\ncooldown = 3600\n", 0,
	  { "test.conf:6: cooldown (3600 s) is as long as the working day 09:00-10:00 (3600 s)", "lower cooldown", NULL } },
	{ "both forms of working hours",
	  PAIR "workstart = 108\nworkstop = 170\nwork_hours = \"09:00-16:00\"\n", 0,
	  { "test.conf:7:", "workstart and work_hours", "keep one", NULL } },
	{ "both forms, work_days and workstop",
	  PAIR "workstop = 170\nwork_days = \"Mon-Fri\"\n", 0,
	  { "workstop and work_days", NULL } },
	{ "no working hours", PAIR, 0,
	  { "test.conf: working hours are not set", "work_hours = \"09:00-16:00\"", NULL } },
	{ "workstart without workstop", PAIR "workstart = 108\n", 0,
	  { "test.conf:5: workstart is set but workstop is not", NULL } },
	{ "workstart out of range", PAIR "workstart = 300\nworkstop = 170\n", 0,
	  { "test.conf:5: workstart:", "0 to 288", NULL } },
	{ "empty legacy window", PAIR "workstart = 100\nworkstop = 100\n", 0,
	  { "workstart and workstop are both 100", NULL } },
	{ "work_hours unreadable", PAIR "work_hours = \"9-16\"\n", 0,
	  { "test.conf:5: work_hours: cannot use \"9-16\"", "09:00-16:00", NULL } },
	{ "work_hours past 24:00", PAIR "work_hours = \"09:00-24:30\"\n", 0,
	  { "test.conf:5: work_hours", NULL } },
	{ "work_hours empty", PAIR "work_hours = \"09:00-09:00\"\n", 0,
	  { "test.conf:5: work_hours", NULL } },
	{ "work_hours not a string", PAIR "work_hours = [1, 2]\n", 0,
	  { "test.conf:5: work_hours: expected a string", NULL } },
	{ "work_days unreadable", PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon-Funday\"\n", 0,
	  { "test.conf:6: work_days: cannot use \"Mon-Funday\"", "Mon-Fri", NULL } },
	{ "work_days trailing comma", PAIR "work_hours = \"09:00-16:00\"\nwork_days = \"Mon,\"\n", 0,
	  { "test.conf:6: work_days", NULL } },
	{ "work_days without work_hours", PAIR "work_days = \"Mon-Fri\"\n", 0,
	  { "test.conf:5: work_days needs work_hours", NULL } },
	{ "rest_monitoring quoted", PAIR "work_hours = \"09:00-16:00\"\nrest_monitoring = \"no\"\n", 0,
	  { "test.conf:6: rest_monitoring: expected true or false", NULL } },
	{ "base keys still checked", "threshold = 50\nwork_hours = \"09:00-16:00\"\n", 0,
	  { "lowthreshold is not set", NULL } },
	{ "wrong-side lowthreshold", "threshold = 50\nlowthreshold = 70\nwork_hours = \"09:00-16:00\"\n", 0,
	  { "test.conf:2: lowthreshold = 70 must be below threshold = 50", NULL } },
};

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
	pt_diag("TZ=%s", tz);
}

int
main(void)
{
	static const char *const keys[] = { "threshold", "tarry", "within", "lowthreshold", "lowtarry",
		"workstart", "workstop", "work_hours", "work_days", "rest_monitoring", "cooldown", NULL };
	struct module *mod;
	const struct vmm_policy_ops *ops = pt_load("schedule", &mod);

	pt_check_keys(ops, keys);
	set_tz("UTC");
	pt_run_cases(ops, legacy_cases, PT_COUNT(legacy_cases));
	pt_run_cases(ops, utc_cases, PT_COUNT(utc_cases));
	pt_run_bads(ops, bads, PT_COUNT(bads));
	set_tz("Europe/Oslo");
	pt_run_cases(ops, oslo_cases, PT_COUNT(oslo_cases));
	pt_run_cases(ops, legacy_cases, PT_COUNT(legacy_cases));
	set_tz("UTC");
	pt_run_cases(ops, local_cases, PT_COUNT(local_cases));
	set_tz("Pacific/Kiritimati");
	pt_run_cases(ops, local_cases, PT_COUNT(local_cases));
	module_unload(mod);
	return pt_done();
}
