/* SPDX-License-Identifier: ISC */
/* Quiet windows and splay (src/core/quiet.c): the window syntax (shared with the schedule
 * policy's work_hours/work_days), when a window holds and until when, a request held by a
 * window in decide_cycle and let go at its end, an administrator's action through one,
 * and splay: the same name gives the same offset, different names spread over the window,
 * and a move at the schedule's edge waits its offset. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <vmmanage/daytime.h>

#include "core/conf.h"
#include "core/decide.h"
#include "core/quiet.h"
#include "tap.h"

enum { SUN, MON, TUE, WED, THU, FRI, SAT };
#define AT(h, m) ((h) * 60 + (m))

static int
parse(const char *s, struct hold_conf *h)
{
	char err[256];

	memset(h, 0, sizeof(*h));
	return quiet_parse(s, h, err, sizeof(err));
}

static void
test_parse(void)
{
	struct hold_conf h;
	static const char *const bad[] = { "", "Mon-Fri", "02:00", "02:00-02:00", "25:00-26:00",
		"02:00-03:60", "Mon-Fri 02:00-03:00,", "Mon-Fri 02:00-03:00 Sat 00:00-06:00",
		"Mon, 02:00-03:00", "Funday 02:00-03:00", "Mon-Fri 02:00-03:00; Sat 00:00-06:00",
		"24:00-01:00", "Mon- 02:00-03:00", NULL };

	TAP_OK(parse("Mon-Fri 02:00-03:00, Sat 00:00-06:00", &h) == 0 && h.n == 2, "two windows");
	TAP_STR(h.win[0].text, "Mon-Fri 02:00-03:00", "the first window's text");
	TAP_STR(h.win[1].text, "Sat 00:00-06:00", "the second window's text");
	TAP_OK(h.win[0].days == 0x3e && h.win[0].start == AT(2, 0) && h.win[0].stop == AT(3, 0),
	    "Mon-Fri 02:00-03:00 as days and minutes");
	TAP_OK(parse("Mon,Wed,Fri 9:00-9:30", &h) == 0 && h.n == 1 && h.win[0].days == 0x2a,
	    "a list of days, one-digit hours");
	TAP_OK(parse("  12:00-13:00 ,Sun 22:00-24:00", &h) == 0 && h.n == 2 &&
	    h.win[0].days == VMM_ALL_DAYS && h.win[1].stop == AT(24, 0), "no days: every day; up to 24:00");
	TAP_OK(parse("Fri-Mon 23:00-01:00", &h) == 0 && h.win[0].days == 0x63 &&
	    h.win[0].start > h.win[0].stop, "days over the week's end, hours over midnight");
	TAP_OK(parse("monday 02:00-03:00", &h) == 0 && h.win[0].days == 0x02, "whole day names");
	for (const char *const *b = bad; *b; b++)
		TAP_OK(parse(*b, &h) < 0, "refused: \"%s\"", *b);
	char many[1024] = "";
	for (int i = 0; i <= QUIET_MAX; i++)
		strcat(many, i ? ", 01:00-02:00" : "01:00-02:00");
	TAP_OK(parse(many, &h) < 0, "more than %d windows refused", QUIET_MAX);
}

static void
test_left(void)
{
	struct hold_conf h;
	const struct quiet_window *w;

	parse("Mon-Fri 02:00-03:00, Sat 22:00-02:00", &h);
	TAP_OK(quiet_left(&h, MON, AT(1, 59), &w) == 0 && w == NULL, "before the window: free");
	TAP_OK(quiet_left(&h, MON, AT(2, 0), &w) == 60 && w == &h.win[0], "at its start: 60 min left");
	TAP_OK(quiet_left(&h, FRI, AT(2, 59), NULL) == 1, "its last minute");
	TAP_OK(quiet_left(&h, MON, AT(3, 0), NULL) == 0, "at its stop: free (the stop is not in it)");
	TAP_OK(quiet_left(&h, SUN, AT(2, 30), NULL) == 0, "not on Sunday");
	TAP_OK(quiet_left(&h, SAT, AT(23, 0), NULL) == 180, "Saturday night: until Sunday 02:00");
	TAP_OK(quiet_left(&h, SUN, AT(1, 0), &w) == 60 && w == &h.win[1],
	    "after midnight the window belongs to Saturday");
	TAP_OK(quiet_left(&h, FRI, AT(23, 0), NULL) == 0, "Friday night is not Saturday's");

	/* windows that meet count as one */
	parse("Mon 22:00-24:00, Tue 00:00-01:30", &h);
	TAP_OK(quiet_left(&h, MON, AT(23, 0), NULL) == 150, "meeting windows chain (%d)",
	    quiet_left(&h, MON, AT(23, 0), NULL));
	/* the week's end wraps */
	parse("Sat 23:00-24:00, Sun 00:00-01:00", &h);
	TAP_OK(quiet_left(&h, SAT, AT(23, 30), NULL) == 90, "over the week's end");
	parse("00:00-24:00", &h);
	TAP_OK(quiet_left(&h, WED, AT(12, 0), NULL) == QUIET_WEEK, "a whole week: no end");

	struct vmm_local_time lt = { .valid = 1, .weekday = SAT, .hour = 23, .minute = 15 };
	const char *text;
	char until[16];
	parse("Sat 22:00-02:00", &h);
	TAP_OK(quiet_now(&h, &lt, &text, until, sizeof(until)) == 1, "quiet now");
	TAP_STR(until, "Sun 02:00", "another day's end names the day");
	TAP_STR(text, "Sat 22:00-02:00", "and the window");
	lt.weekday = SUN;
	lt.hour = 1;
	TAP_OK(quiet_now(&h, &lt, &text, until, sizeof(until)) == 1, "quiet after midnight");
	TAP_STR(until, "02:00", "the same day's end is the time");
	lt.valid = 0;
	TAP_OK(quiet_now(&h, &lt, &text, until, sizeof(until)) == 0, "no local time: not held");
}

static void
test_conf(void)
{
	static const struct { const char *text; int ok; const char *says; } cases[] = {
		{ "quiet = \"Mon-Fri 02:00-03:00\";\nsplay = 300;\n", 1, NULL },
		{ "quiet = [\"Mon-Fri 02:00-03:00\", \"Sat 00:00-06:00, Sun 01:00-02:00\"];\n", 1, NULL },
		{ "\nquiet = \"Mon-Fri 2-3\";\n", 0, "test.conf:2: quiet: cannot read a window at \"Mon-Fri 2-3\": write e.g." },
		{ "quiet = \"Mon-Sun 00:00-24:00\";\n", 0, "the windows cover the whole week" },
		{ "splay = -1;\n", 0, "test.conf:1: splay must be between 0 and 86400" },
		{ "quiet = 3;\n", 0, "quiet" },
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hold_conf h;
		struct vmm_conf *c = conf_read_string(cases[i].text, "test.conf", err, sizeof(err));
		err[0] = '\0';
		int r = c != NULL ? hold_setup(c, &h, err, sizeof(err)) : -1;
		TAP_OK((r == 0) == cases[i].ok, "config %zu: %s (%s)", i, cases[i].ok ? "taken" : "refused", err);
		if (cases[i].says != NULL)
			TAP_CONTAINS(err, cases[i].says, "the message names file, line and key");
		if (i == 1)
			TAP_OK(h.n == 3, "a list of strings gives every window");
		conf_free(c);
	}
}

static void
test_splay(void)
{
	char name[32];
	int bins[10] = { 0 };
	double lo = 1e9, hi = -1;

	TAP_OK(splay_offset("web1", 300) == splay_offset("web1", 300), "the same name, the same offset");
	TAP_OK(splay_offset("web1", 0) == 0, "no splay: no offset");
	TAP_OK(splay_offset("web1", 300) != splay_offset("web2", 300), "names one letter apart differ");
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "vm%d.example.org", i);
		double o = splay_offset(name, 300);
		if (o < lo)
			lo = o;
		if (o > hi)
			hi = o;
		if (o >= 0 && o < 300)
			bins[(int)(o / 30)]++;
	}
	TAP_OK(lo >= 0 && hi < 300, "offsets inside the window (%g..%g)", lo, hi);
	int fewest = 1000, most = 0;
	for (int i = 0; i < 10; i++) {
		fewest = bins[i] < fewest ? bins[i] : fewest;
		most = bins[i] > most ? bins[i] : most;
	}
	TAP_OK(fewest >= 60 && most <= 140, "1000 names spread over ten 30 s bins (%d..%d each)", fewest, most);
}

/* A policy that asks for what the test says, resting when told. */
static enum vmm_action fake_action;
static int fake_resting;

static void
fake_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	(void)state;
	(void)in;
	memset(out, 0, sizeof(*out));
	out->action = fake_action;
	snprintf(out->reason, sizeof(out->reason), "test");
}

static void
fake_counters(const void *state, struct vmm_policy_counters *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	out->resting = fake_resting;
}

static const struct vmm_policy_ops fake_ops = { .name = "fake", .evaluate = fake_evaluate,
	.counters = fake_counters };
static const char *const hosts[] = { "h1", "h2" };

struct rig {
	struct guard guard;
	struct hold_conf hc;
	struct hold_state st;
	struct decider d;
};

static void
rig_init(struct rig *r, const char *quiet, double splay)
{
	memset(r, 0, sizeof(*r));
	guard_init(&r->guard, 0, 0);
	if (quiet != NULL)
		parse(quiet, &r->hc);
	r->hc.splay = splay;
	r->d = (struct decider){ .policy = &fake_ops, .guard = &r->guard, .base = "base",
		.topo = { .hosts = hosts, .nhosts = 2, .base = "base" }, .interval = 60,
		.hold = { .c = &r->hc, .offset = splay_offset("vm1", splay), .st = &r->st } };
}

static struct decide_input
at(double wall, int weekday, int hour, int minute, const char *loc)
{
	return (struct decide_input){ .sample = { .known = 1, .value = 1, .time = (int64_t)wall },
		.location = loc, .at_home = -1, .mono = wall, .wall = wall,
		.local = { .valid = 1, .weekday = weekday, .hour = hour, .minute = minute } };
}

static void
test_decide_quiet(void)
{
	struct rig r;
	struct decide_result out;
	struct decide_input in;

	rig_init(&r, "Mon-Fri 02:00-03:00", 0);
	fake_action = VMM_ACT_MOVE;
	in = at(1000, TUE, 2, 30, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.kind == DECIDE_SUPPRESSED, "a policy's move inside the window is held (%d)", out.kind);
	TAP_STR(out.why, "quiet window Mon-Fri 02:00-03:00 until 03:00", "the why names the window and its end");

	in = at(2000, TUE, 3, 0, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.kind == DECIDE_REQUEST, "at the window's end it goes out (%d: %s)", out.kind, out.why);
	TAP_STR(out.target, "h2", "to the next host");

	in = at(3000, TUE, 2, 10, "h1");
	in.cli = 1;
	decide_action(&r.d, VMM_ACT_MOVE, &in, &out);
	TAP_OK(out.kind == DECIDE_REQUEST, "an administrator's move goes through the window");
	TAP_CONTAINS(out.through, "quiet window Mon-Fri 02:00-03:00", "and says which window");

	in.cli = 0;
	decide_action(&r.d, VMM_ACT_MOVE, &in, &out);
	TAP_OK(out.kind == DECIDE_SUPPRESSED && out.through[0] == '\0', "another part's action is held");

	/* the schedule's base request held by a window is asked again after it, not during */
	fake_action = VMM_ACT_MOVE_TO_BASE;
	fake_resting = 1;
	in = at(4000, WED, 2, 0, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.kind == DECIDE_SUPPRESSED, "move_to_base inside the window is held");
	fake_action = VMM_ACT_NONE;
	in = at(4060, WED, 2, 1, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.action == VMM_ACT_NONE && out.kind == DECIDE_NONE, "not re-asked inside the window");
	in = at(7600, WED, 3, 0, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.action == VMM_ACT_MOVE_TO_BASE && out.kind == DECIDE_REQUEST,
	    "re-asked and sent when the window ends (%d: %s)", out.kind, out.why);
	fake_resting = 0;
}

static void
test_decide_splay(void)
{
	struct rig r;
	struct decide_result out;
	struct decide_input in;
	double off;

	rig_init(&r, NULL, 600);
	off = r.d.hold.offset;
	TAP_OK(off > 0 && off < 600, "vm1's offset (%g s)", off);
	/* working hours: the first cycle sees no edge */
	fake_resting = 0;
	fake_action = VMM_ACT_MOVE;
	in = at(1000, MON, 15, 59, "h1");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.kind == DECIDE_REQUEST, "no edge yet: a move goes out");
	/* the edge: resting starts, the policy asks for the base */
	fake_resting = 1;
	fake_action = VMM_ACT_MOVE_TO_BASE;
	in = at(2000, MON, 16, 0, "h2");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.kind == DECIDE_SUPPRESSED, "at the edge the base request waits its splay");
	TAP_CONTAINS(out.why, "splay: ", "the why says splay");
	fake_action = VMM_ACT_NONE;
	in = at(2000 + off - 1, MON, 16, 5, "h2");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.action == VMM_ACT_NONE, "one second before its turn: nothing asked");
	in = at(2000 + off, MON, 16, 10, "h2");
	decide_cycle(&r.d, &in, &out);
	TAP_OK(out.action == VMM_ACT_MOVE_TO_BASE && out.kind == DECIDE_REQUEST,
	    "at edge + offset the base is asked again and sent (%d: %s)", out.kind, out.why);
	TAP_STR(out.target, "base", "to the base");
	/* an administrator is not splayed */
	fake_resting = 0;
	in = at(9000, TUE, 9, 0, "base");
	decide_cycle(&r.d, &in, &out); /* the morning's edge */
	in.cli = 1;
	decide_action(&r.d, VMM_ACT_MOVE, &in, &out);
	TAP_OK(out.kind == DECIDE_REQUEST, "an administrator's move is not splayed");
	fake_resting = 0;
}

int
main(void)
{
	test_parse();
	test_left();
	test_conf();
	test_splay();
	test_decide_quiet();
	test_decide_splay();
	return tap_done();
}
