/* SPDX-License-Identifier: ISC */
/* The journal: every kind formats to the daemon's documented words (which the simulator
 * writes too, through the same formatter) and parses back to its kind and fields; the
 * thesis's line and the JSON line. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "core/journal.h"
#include "tap.h"

static char msg[JOURNAL_MSG];
static struct journal_parsed got;

/* Format e, check the words, parse them back and check the kind. */
static void
round_trip(const struct journal_event *e, const char *want, const char *name)
{
	journal_message(e, msg, sizeof(msg));
	TAP_STR(msg, want, "the words");
	TAP_STR(journal_name(e), name, "the JSON event name");
	journal_parse(msg, strlen(msg), &got);
	TAP_OK(got.kind == e->kind, "'%.40s...' parses back as kind %d (got %d)", msg, e->kind, got.kind);
}

static int
span_is(struct journal_span s, const char *want)
{
	return s.n == strlen(want) && (s.n == 0 || memcmp(s.p, want, s.n) == 0);
}

#define TAP_SPAN(s, want, what) TAP_OK(span_is((s), (want)), "%s: '%.*s', want '%s'", what, \
	(int)(s).n, (s).p ? (s).p : "", want)

static void
test_lifecycle(void)
{
	round_trip(&(struct journal_event){ .kind = JOURNAL_START, .u.start = { .version = "1.0",
	    .policy = "threshold", .sensor = "mysql_slow", .endpoint = "mln" } },
	    "Starting VMManage 1.0: policy threshold, sensor mysql_slow, endpoint mln", "start");
	round_trip(&(struct journal_event){ .kind = JOURNAL_SIM_START,
	    .u.sim_start = { .policy = "base", .host = "mln3" } },
	    "Starting VMManage (simulated): policy base on mln3", "start");
	TAP_SPAN(got.target, "mln3", "the simulated start says where");
	round_trip(&(struct journal_event){ .kind = JOURNAL_STOP }, "Stopping VMManage", "stop");
	round_trip(&(struct journal_event){ .kind = JOURNAL_NOTE, .name = "reload",
	    .u.note.text = "Reloaded /etc/vmmanage.conf" }, "Reloaded /etc/vmmanage.conf", "reload");
	round_trip(&(struct journal_event){ .kind = JOURNAL_WARNING, .name = "pingpong",
	    .u.note.text = "h1 -> h2 -> h1 within 600 s" }, "Warning: h1 -> h2 -> h1 within 600 s",
	    "pingpong");
}

/* The thesis's Appendix A.2 words, one or two lines per action. */
static void
test_request(void)
{
	static const struct {
		enum vmm_action act;
		const char *first, *second;
	} cases[] = {
		{ VMM_ACT_MOVE, "Requesting migration of VM: just moving", "Now using h2 (slow)" },
		{ VMM_ACT_MOVE_UP, "Requesting migration of VM: moving up", "Now using h2 (slow)" },
		{ VMM_ACT_MOVE_DOWN, "Requesting migration of VM: moving down", "Now using h2 (slow)" },
		{ VMM_ACT_MOVE_TO_BASE, NULL, "Now using h2 —moving to Base (slow)" },
		{ VMM_ACT_MOVE_FROM_HOME, NULL, "Now using h2 —moving from home (slow)" },
		{ VMM_ACT_MOVE_TO_HOME, NULL, "Now using h2 —moving home (slow)" },
	};
	struct journal_event ev[2];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = journal_request(cases[i].act, "h2", "slow", ev);
		TAP_OK(n == (cases[i].first ? 2u : 1u), "%s: %zu lines", vmm_action_name(cases[i].act), n);
		if (cases[i].first) {
			round_trip(&ev[0], cases[i].first, "request");
			TAP_OK(got.action == cases[i].act, "the migration line gives %s back",
			    vmm_action_name(cases[i].act));
		}
		round_trip(&ev[n - 1], cases[i].second, "request");
		TAP_SPAN(got.target, "h2", "the request's target");
		/* up and down are said on the migration line; "Now using" alone reads as a move */
		enum vmm_action want = cases[i].first ? VMM_ACT_MOVE : cases[i].act;
		TAP_OK(got.action == want, "the request gives %s back", vmm_action_name(want));
	}
	journal_parse("Now using 3 —moving to base (old)", 34, &got);
	TAP_OK(got.kind == JOURNAL_REQUEST && got.action == VMM_ACT_MOVE_TO_BASE,
	    "the thesis's lower-case 'moving to base' is read too");
	round_trip(&(struct journal_event){ .kind = JOURNAL_CHOICE, .u.choice = { .target = "h3",
	    .why = "learned: mean 3 there" } }, "Chose h3: learned: mean 3 there", "choice");
	TAP_SPAN(got.target, "h3", "the choice's target");
}

static void
test_outcomes(void)
{
	round_trip(&(struct journal_event){ .kind = JOURNAL_CONFIRMED, .u.confirmed = {
	    .target = "h2", .seconds = 12.54 } }, "Move to h2 confirmed in 12.5 s", "confirmed");
	TAP_SPAN(got.target, "h2", "confirmed: target");
	TAP_OK(fabs(got.seconds - 12.5) < 1e-9, "confirmed: 12.5 s back (%g)", got.seconds);
	round_trip(&(struct journal_event){ .kind = JOURNAL_CONFIRMED, .u.confirmed = {
	    .target = "h2", .seconds = 3, .detail = "live" } }, "Move to h2 confirmed in 3.0 s: live",
	    "confirmed");
	round_trip(&(struct journal_event){ .kind = JOURNAL_UNCONFIRMED, .u.unconfirmed = {
	    .target = "h2" } },
	    "Move to h2 unconfirmed: the endpoint accepted it but did not say where the VM runs",
	    "unconfirmed");
	TAP_SPAN(got.target, "h2", "unconfirmed: target");
	/* tests/agent_targets.sh and tests/libvirt_failure.sh hold the daemon to these */
	round_trip(&(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = { .target = "h2",
	    .detail = "exited with status 3", .failure = VMM_FAIL_REFUSED, .wait = 2, .failures = 1 } },
	    "Move to h2 failed (refused): exited with status 3; backing off h2 for 2 s (1 failure in a row)",
	    "failed");
	TAP_SPAN(got.target, "h2", "failed: target");
	round_trip(&(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = { .target = "h4",
	    .detail = "the target host is down", .failure = VMM_FAIL_TIMEOUT, .wait = 3600,
	    .failures = 2 } },
	    "Move to h4 failed (timeout): the target host is down; backing off h4 for 3600 s (2 failures in a row)",
	    "failed");
	round_trip(&(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = { .target = "3",
	    .failure = VMM_FAIL_CONFIG, .wait = -1, .failures = 1 } },
	    "Move to 3 failed (configuration, permanent): no detail; 3 is passed over until the configuration is reloaded",
	    "failed");
}

static void
test_held_back(void)
{
	round_trip(&(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
	    .action = VMM_ACT_MOVE, .target = "h2", .origin = "policy", .why = "cooldown: 30 s to go" } },
	    "Suppressed move to h2 from policy: cooldown: 30 s to go", "suppressed");
	TAP_SPAN(got.target, "h2", "suppressed: target");
	TAP_OK(got.action == VMM_ACT_MOVE, "suppressed: the action back");
	round_trip(&(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
	    .action = VMM_ACT_MOVE, .origin = "policy", .why = "no host to move to" } },
	    "Suppressed move from policy: no host to move to", "suppressed");
	round_trip(&(struct journal_event){ .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
	    .action = VMM_ACT_MOVE_TO_BASE, .target = "b", .origin = "cli", .in_flight = 1 } },
	    "Suppressed move_to_base from cli: a move is in flight", "suppressed");
	/* tests/agent_damping.sh holds the daemon to these */
	round_trip(&(struct journal_event){ .kind = JOURNAL_RECOMMEND, .u.recommend = {
	    .action = VMM_ACT_MOVE, .target = "h2", .reason = "indicator 60 above 50 for 1 cycles",
	    .why = "mode recommend" } },
	    "Recommend move to h2 (indicator 60 above 50 for 1 cycles): not acting, mode recommend",
	    "recommend");
	TAP_SPAN(got.target, "h2", "recommend: target");
	round_trip(&(struct journal_event){ .kind = JOURNAL_RECOMMEND, .u.recommend = {
	    .action = VMM_ACT_MOVE, .target = "h3", .choice = "learned", .why = "breaker tripped" } },
	    "Recommend move to h3 (policy); learned: not acting, breaker tripped", "recommend");
}

static void
test_measures(void)
{
	round_trip(&(struct journal_event){ .kind = JOURNAL_EFFICACY, .u.efficacy = { .from = "h1",
	    .to = "h2", .before = 60, .after = 10, .gain = 50 } },
	    "Efficacy of the move h1 -> h2: mean 60 before, 10 after: gain 50 (better)", "efficacy");
	TAP_SPAN(got.from, "h1", "efficacy: from");
	TAP_SPAN(got.target, "h2", "efficacy: to");
	TAP_OK(got.before == 60 && got.after == 10 && got.value == 50, "efficacy: the means and gain back");
	round_trip(&(struct journal_event){ .kind = JOURNAL_EFFICACY, .u.efficacy = { .from = "a",
	    .to = "b", .before = 1, .after = 2, .gain = -1 } },
	    "Efficacy of the move a -> b: mean 1 before, 2 after: gain -1 (worse)", "efficacy");
	round_trip(&(struct journal_event){ .kind = JOURNAL_LOCATION, .u.location = { .host = "h2" } },
	    "The endpoint reports the VM on h2 (cached: none)", "location");
	TAP_SPAN(got.target, "h2", "location: host");
	round_trip(&(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = { .sensor = "mysql_slow",
	    .location = "h1", .known = 1, .value = 76, .count = 1, .threshold = 50, .has_low = 1,
	    .lowcount = 0, .lowthreshold = 1, .action = VMM_ACT_MOVE } },
	    "cycle mysql_slow=76 count=1 threshold=50 lowcount=0 lowthreshold=1 action=move location=h1",
	    "cycle");
	TAP_OK(got.value == 76 && got.threshold == 50 && got.lowthreshold == 1,
	    "cycle: value and thresholds back");
	TAP_OK(got.action == VMM_ACT_MOVE, "cycle: the action back");
	TAP_SPAN(got.target, "h1", "cycle: location");
	round_trip(&(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = { .sensor = "idle",
	    .threshold = 2.5 } }, "cycle idle=unknown count=0 threshold=2.5 action=none location=unknown",
	    "cycle");
	TAP_OK(isnan(got.value) && got.target.n == 0, "cycle: unknown value and location stay unknown");
}

/* The thesis's line and the JSON line, in the thesis's zone. */
static void
test_lines(void)
{
	char line[JOURNAL_LINE], date[64];

	setenv("TZ", "Europe/Oslo", 1);
	tzset();
	journal_date(1242052043, date, sizeof(date));
	TAP_STR(date, "Mon May 11 16:27:23 CEST 2009", "the date as date(1) prints it");
	journal_date(1230800000, date, sizeof(date));
	TAP_STR(date, "Thu Jan  1 09:53:20 CET 2009", "a single-digit day is padded like date(1)");
	journal_line(line, sizeof(line), 1242052043, "nii1", "Stopping VMManage");
	TAP_STR(line, "1242052043 Mon May 11 16:27:23 CEST 2009 nii1: Stopping VMManage", "the thesis's line");

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	TAP_OK(f != NULL, "memory stream");
	if (f == NULL)
		return;
	journal_put_json(f, 1242052043, "nii\"1", "failed", "a\tb");
	fclose(f);
	TAP_STR(buf, "{\"type\":\"event\",\"time\":1242052043,\"host\":\"nii\\\"1\",\"event\":\"failed\",\"message\":\"a\\u0009b\"}\n",
	    "the JSON line, escaped");
	free(buf);
}

/* Anything that is none of the kinds is a note; nothing is read past len. */
static void
test_not_ours(void)
{
	static const char *const lines[] = { "", "Move to", "Move to h2 went", "cycle", "Now using ",
		"Efficacy of the move x", "Something else entirely" };
	static const enum journal_kind want[] = { JOURNAL_NOTE, JOURNAL_NOTE, JOURNAL_NOTE,
		JOURNAL_NOTE, JOURNAL_NOTE, JOURNAL_NOTE, JOURNAL_NOTE };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = strlen(lines[i]);
		char *copy = malloc(n ? n : 1);
		if (copy == NULL)
			continue;
		memcpy(copy, lines[i], n); /* not terminated: ASan sees a read past it */
		journal_parse(copy, strlen(lines[i]), &got);
		TAP_OK(got.kind == want[i], "'%s' is a note", lines[i]);
		free(copy);
	}
}

int
main(void)
{
	test_lifecycle();
	test_request();
	test_outcomes();
	test_held_back();
	test_measures();
	test_lines();
	test_not_ours();
	return tap_done();
}
