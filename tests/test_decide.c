/* SPDX-License-Identifier: ISC */
/* decide_moved(): the bookkeeping after a move's outcome that the daemon and the simulator
 * share. Where the VM is, the guard's ping-pong check and in-flight flag, the damper's
 * arrival, efficacy, and what the host table learns (success, move time, backoff). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/decide.h"
#include "tap.h"

struct rig {
	struct guard guard;
	struct host_table known;
	struct damper damp;
	struct efficacy eff;
	struct decider d;
};

static void
rig_init(struct rig *r, int learning)
{
	struct damping_conf c = { .mode = VMM_MODE_AUTOMATIC, .warmup = 300, .min_stay = 0,
		.min_stay_override = NAN };

	guard_init(&r->guard, 0, 0);
	hosts_init(&r->known, 3600, 60, 240, VMM_HIGHER_IS_WORSE);
	damper_init(&r->damp, &c, 0);
	efficacy_init(&r->eff, 3, VMM_HIGHER_IS_WORSE);
	r->d = (struct decider){ .guard = &r->guard, .known = learning ? &r->known : NULL,
		.damp = learning ? &r->damp : NULL, .eff = learning ? &r->eff : NULL,
		.direction = VMM_HIGHER_IS_WORSE };
}

/* A request went out (the guard holds it in flight), and its outcome came. */
static void
rig_move(struct rig *r, const struct decide_move *m, struct decide_moved *o)
{
	guard_request_sent(&r->guard, m->mono);
	decide_moved(&r->d, m, o);
}

static void
test_confirmed(void)
{
	struct rig r;
	struct decide_moved o;
	char why[256];

	rig_init(&r, 1);
	hosts_failed(&r.known, "h2", 0, "earlier", 100);
	for (int i = 0; i < 3; i++)
		efficacy_sample(&r.eff, 60);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1",
	    .target = "h2", .took = 12.5, .mono = 1000, .wall = 5000 }, &o);
	TAP_OK(o.located && o.confirmed, "confirmed: located and confirmed");
	TAP_STR(o.location, "h2", "confirmed: where it was sent");
	TAP_OK(!o.pingpong && !o.warn, "a first move is no ping-pong");
	TAP_OK(guard_check(&r.guard, 1000, why, sizeof(why)) == GUARD_ALLOW,
	    "the guard lets the next request out (%s)", why);
	const struct host_info *h = hosts_find(&r.known, "h2");
	TAP_OK(h != NULL && h->failures == 0 && h->retry_at == 0, "the target's failures are forgotten");
	const struct move_time *tm = hosts_move_time_get(&r.known, "h1", "h2");
	TAP_OK(tm != NULL && tm->count == 1 && fabs(tm->mean - 12.5) < 1e-9, "T_M h1 -> h2 learned");
	TAP_OK(damper_warming(&r.damp, 1000) == 300, "the damper warms up from the arrival (%g)",
	    damper_warming(&r.damp, 1000));
	TAP_OK(r.eff.measuring && r.eff.cur.before == 60, "efficacy measures the move from a mean of 60");
	TAP_STR(r.eff.cur.to, "h2", "efficacy: to");

	/* the endpoint saw it elsewhere */
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h2",
	    .target = "h3", .location = "h4", .took = 3, .mono = 2000, .wall = 6000 }, &o);
	TAP_STR(o.location, "h4", "the endpoint's word wins over the target");
	TAP_OK(hosts_move_time_get(&r.known, "h2", "h4") != NULL, "T_M is learned for where it went");
	hosts_free(&r.known);
}

static void
test_unconfirmed(void)
{
	struct rig r;
	struct decide_moved o;

	rig_init(&r, 1);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_UNCONFIRMED, .from = "h1",
	    .target = "h2", .mono = 10, .wall = 10 }, &o);
	TAP_OK(o.located && !o.confirmed, "unconfirmed: assumed where it was sent, not confirmed");
	TAP_STR(o.location, "h2", "unconfirmed: the target");
	TAP_OK(hosts_move_time_get(&r.known, "h1", "h2") == NULL, "no T_M from an unconfirmed move");
	TAP_OK(!r.eff.measuring, "no efficacy from an unconfirmed move");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_UNCONFIRMED, .from = "h2",
	    .target = "h3", .location = "h2", .mono = 20, .wall = 20 }, &o);
	TAP_OK(o.located && o.confirmed, "unconfirmed, but the endpoint said where: confirmed");
	TAP_STR(o.location, "h2", "unconfirmed: the endpoint's word");
	hosts_free(&r.known);
}

static void
test_failed(void)
{
	struct rig r;
	struct decide_moved o;
	char why[320];

	rig_init(&r, 1);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_FAILED, .from = "h1", .target = "h2",
	    .failure = VMM_FAIL_TIMEOUT, .detail = "the target host is down", .mono = 10, .wall = 100 }, &o);
	TAP_OK(!o.located, "failed without a word on where: the location stays");
	TAP_OK(o.wait == 60 && o.failures == 1, "first failure: 60 s, 1 in a row (%g, %d)", o.wait, o.failures);
	TAP_OK(!hosts_available(&r.known, "h2", 150, why, sizeof(why)), "h2 backs off");
	TAP_CONTAINS(why, "the target host is down", "the host table keeps the endpoint's words");
	TAP_OK(guard_check(&r.guard, 10, why, sizeof(why)) == GUARD_ALLOW, "the guard is free again");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_FAILED, .from = "h1", .target = "h2",
	    .failure = VMM_FAIL_REFUSED, .mono = 20, .wall = 200 }, &o);
	TAP_OK(o.wait == 120 && o.failures == 2, "second failure: doubled, 2 in a row (%g, %d)", o.wait, o.failures);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_FAILED, .from = "h1", .target = "h3",
	    .failure = VMM_FAIL_CONFIG, .location = "h1", .mono = 30, .wall = 300 }, &o);
	TAP_OK(o.wait < 0, "a configuration failure passes the target over for good");
	TAP_OK(o.located && o.confirmed, "failed, the endpoint says where: confirmed there");
	TAP_STR(o.location, "h1", "failed: where the endpoint saw it");
	TAP_OK(hosts_find(&r.known, "h3")->permanent, "h3 is permanent");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_FAILED, .from = "h1", .target = "h4",
	    .permanent = 1, .mono = 40, .wall = 400 }, &o);
	TAP_OK(o.wait < 0, "the endpoint's permanent passes it over too");
	hosts_free(&r.known);
}

static void
test_pingpong(void)
{
	struct rig r;
	struct decide_moved o;

	rig_init(&r, 1);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1",
	    .target = "h2", .mono = 100, .wall = 100 }, &o);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h2",
	    .target = "h1", .mono = 200, .wall = 200 }, &o);
	TAP_OK(o.pingpong && o.warn, "back to h1 100 s later: a ping-pong, said");
	TAP_CONTAINS(o.why, "ping-pong: back to h1", "the warning says where");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1",
	    .target = "h2", .cross_site = 1, .mono = 300, .wall = 300 }, &o);
	TAP_OK(o.pingpong && !o.warn, "the site policy's trip: counted, not warned of");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "",
	    .target = "h1", .mono = 400, .wall = 400 }, &o);
	TAP_OK(!o.pingpong, "from nowhere known: no ping-pong check");
	hosts_free(&r.known);
}

/* A confirmed move holds the host it left (pingpong_hold), so that the next choice passes
 * it over; the site policy's trips and a decider without the rules (the thesis) do not. */
static void
test_hold(void)
{
	static const char *const three[] = { "h1", "h2", "h3", NULL };
	struct target_rules rules = { .pingpong_hold = 600, .pingpong_hold_max = 2400,
		.pingpong_gain = 0.5 };
	struct rig r;
	struct decide_moved o;
	struct decide_result res;
	char why[256];

	rig_init(&r, 1);
	r.d.topo = (struct topology){ .hosts = three, .nhosts = 3 };
	r.d.choice = TARGET_LEARNED;
	r.d.rules = &rules;
	hosts_sample(&r.known, "h1", 10, 900, 60);
	hosts_sample(&r.known, "h3", 20, 900, 60);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1",
	    .target = "h2", .mono = 1000, .wall = 1000 }, &o);
	TAP_OK(hosts_held(&r.known, "h1", 1100, why, sizeof(why)), "h1 is held after leaving it: %s", why);
	hosts_sample(&r.known, "h2", 15, 1050, 60);
	struct decide_input in = { .location = "h2", .at_home = 1, .mono = 1100, .wall = 1100, .cli = 0 };
	decide_action(&r.d, VMM_ACT_MOVE, &in, &res);
	TAP_STR(res.target, "h3", "the best-known h1 was just left: h3 instead");
	TAP_CONTAINS(res.choice, "h1 was left 100 s ago: pingpong_hold 600 s", "the choice says so");
	in.cli = 1;
	decide_action(&r.d, VMM_ACT_MOVE, &in, &res);
	TAP_STR(res.target, "h1", "an administrator's move may go back");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h3",
	    .target = "h1", .cross_site = 1, .mono = 1200, .wall = 1200 }, &o);
	TAP_OK(!hosts_held(&r.known, "h3", 1300, why, sizeof(why)), "a cross-site trip holds nothing");
	hosts_free(&r.known);

	rig_init(&r, 1);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1",
	    .target = "h2", .mono = 1000, .wall = 1000 }, &o);
	TAP_OK(!hosts_held(&r.known, "h1", 1100, why, sizeof(why)), "no rules: no hold");
	hosts_free(&r.known);
	TAP_OK(decide_seed("vm-1") == decide_seed("vm-1") && decide_seed("vm-1") != decide_seed("vm-2"),
	    "a VM's seed is its name's");
}

/* A policy that is idle every cycle: it asks for the base, as the base policy does after
 * lowtarry idle cycles (resting: as the schedule outside working hours). */
static int idle_resting;

static void
idle_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	(void)state;
	(void)in;
	memset(out, 0, sizeof(*out));
	out->action = VMM_ACT_MOVE_TO_BASE;
	snprintf(out->reason, sizeof(out->reason), "idle");
}

static void
idle_counters(const void *state, struct vmm_policy_counters *out)
{
	(void)state;
	*out = (struct vmm_policy_counters){ .threshold = 20, .has_low = 1, .lowthreshold = 1,
		.resting = idle_resting };
}

static const struct vmm_policy_ops idle_policy = { .name = "idle", .evaluate = idle_evaluate,
	.counters = idle_counters };

/* A learning rig with a base and two array hosts, the fleet rules and a policy. */
static void
rig_base(struct rig *r, const struct vmm_policy_ops *policy, const struct target_rules *rules)
{
	static const char *const two[] = { "h1", "h2", NULL };

	rig_init(r, 1);
	r->d.damp = NULL;
	r->d.policy = policy;
	r->d.base = "base";
	r->d.topo = (struct topology){ .hosts = two, .nhosts = 2, .base = "base" };
	r->d.choice = TARGET_LEARNED;
	r->d.rules = rules;
}

/* base_admit: a VM that left the base because it got bad there does not go back as soon as
 * it is idle on a roomy host; when that has faded (host_memory), it does. */
static void
test_base_admit(void)
{
	struct target_rules rules = { .pingpong_hold = 600, .pingpong_hold_max = 2400,
		.base_admit = 0.5 };
	struct rig r;
	struct decide_moved o;
	struct decide_result res;
	struct decide_input in = { .sample = { .known = 1, .value = 0 }, .location = "h1",
		.at_home = 1, .mono = 4000, .wall = 4000 };

	rig_base(&r, &idle_policy, &rules);
	/* a night idle at the base, then the morning: 3 samples over the threshold */
	for (int i = 0; i < 30; i++)
		hosts_sample(&r.known, "base", 0, 60.0 * i, 60);
	for (int i = 30; i < 33; i++)
		hosts_sample(&r.known, "base", 100, 60.0 * i, 60);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "base",
	    .target = "h1", .mono = 2000, .wall = 2000 }, &o);
	in.wall = in.mono = 2100;
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_SUPPRESSED, "within pingpong_hold of leaving it: not back (%d)", res.kind);
	TAP_CONTAINS(res.why, "base was left 100 s ago: pingpong_hold 600 s", "the hold says so");
	in.wall = in.mono = 4000;
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_SUPPRESSED && res.action == VMM_ACT_MOVE_TO_BASE,
	    "idle on h1 2000 s after the base got bad: no move to the base (%d)", res.kind);
	TAP_CONTAINS(res.why, "base_admit: staying, base was ", "the why names the rule");
	TAP_CONTAINS(res.why, "over 10 (50% of threshold 20)", "and the level");
	idle_resting = 1;
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_REQUEST && strcmp(res.target, "base") == 0,
	    "the schedule's rest is the clock's: it goes (%d %s)", res.kind, res.why);
	idle_resting = 0;
	rules.base_admit = 0;
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_REQUEST, "base_admit 0: it goes (%d %s)", res.kind, res.why);
	rules.base_admit = 0.5;
	/* the array was as bad for the VM: the base's bad hour is no reason to stay away */
	for (int i = 0; i < 5; i++)
		hosts_sample(&r.known, "h2", 120, 2100 + 60.0 * i, 60);
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_REQUEST && strcmp(res.target, "base") == 0,
	    "h2 was worse than the base: it goes (%d %s)", res.kind, res.why);
	hosts_free(&r.known);
	hosts_init(&r.known, 3600, 60, 240, VMM_HIGHER_IS_WORSE);
	for (int i = 0; i < 30; i++)
		hosts_sample(&r.known, "base", 0, 60.0 * i, 60);
	for (int i = 30; i < 33; i++)
		hosts_sample(&r.known, "base", 100, 60.0 * i, 60);
	in.wall = 2000 + 4 * 3600;
	in.mono = in.wall;
	decide_cycle(&r.d, &in, &res);
	TAP_OK(res.kind == DECIDE_REQUEST && strcmp(res.target, "base") == 0,
	    "four host_memory later the bad hour has faded: it goes (%d %s)", res.kind, res.why);
	hosts_free(&r.known);
}

/* A policy that asks for nothing, with the base policy's counters (idle_counters). */
static void
still_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	(void)state;
	(void)in;
	memset(out, 0, sizeof(*out));
	snprintf(out->reason, sizeof(out->reason), "nothing");
}

static const struct vmm_policy_ops still_policy = { .name = "still",
	.evaluate = still_evaluate, .counters = idle_counters };

/* One cycle at day d (from 2009-05-11, a Monday, UTC), hh:mm, on host, with value. */
static void
day_cycle(struct rig *r, int d, int hh, int mm, const char *host, double value,
    struct decide_result *res)
{
	struct decide_input in = { .sample = { .known = 1, .value = value }, .location = host,
		.at_home = 1 };

	in.wall = in.mono = 1242000000.0 + d * 86400.0 + hh * 3600.0 + mm * 60.0;
	in.sample.time = (int64_t)in.wall;
	in.local = (struct vmm_local_time){ .valid = 1, .year = 2009, .month = 5, .day = 11 + d,
		.hour = hh, .minute = mm, .weekday = (1 + d) % 7 };
	decide_cycle(&r->d, &in, res);
}

/* base_recall and base_lead: the base was bad at 01:00 on two nights; on the third the VM
 * leaves it ahead, does not come back before the load is over, and remembers it across a
 * restart (state_dir/hosts). Once is a burst: no reason to leave. */
static void
test_base_recall(void)
{
	struct target_rules rules = { .pingpong_hold = 600, .pingpong_hold_max = 2400,
		.base_admit = 0.25, .base_recall = 7 * 86400, .base_lead = 600 };
	struct rig r;
	struct decide_result res;
	char dir[] = "/tmp/test_decide.XXXXXX", err[256];
	size_t skipped;

	rig_base(&r, &still_policy, &rules);
	for (int m = 0; m < 3; m++)
		day_cycle(&r, 0, 1, m, "base", 100, &res);
	day_cycle(&r, 1, 0, 50, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_NONE, "bad at 01:00 on one night only: it stays (%d %s)",
	    res.kind, res.reason);
	for (int m = 0; m < 3; m++)
		day_cycle(&r, 1, 1, m, "base", 90, &res);
	day_cycle(&r, 2, 0, 49, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_NONE, "at 00:49, 01:00 is more than base_lead ahead (%d %s)",
	    res.kind, res.reason);
	day_cycle(&r, 2, 0, 50, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_REQUEST && res.action == VMM_ACT_MOVE && strcmp(res.target, "base") != 0,
	    "at 00:50 on the third night it leaves the base (%d %s %s)", res.kind, res.target, res.why);
	TAP_CONTAINS(res.reason, "base_lead: leaving base ahead of 01:00, when it was 90 there on two days",
	    "the reason names the rule, the time and the lesser of the two nights");
	rules.base_lead = 0;
	day_cycle(&r, 2, 0, 50, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_NONE, "base_lead 0: it stays (%d)", res.kind);
	rules.base_lead = 600;

	/* idle away from the base: the idle policy asks for it */
	r.d.policy = &idle_policy;
	day_cycle(&r, 2, 0, 30, "h1", 0, &res);
	TAP_OK(res.kind == DECIDE_SUPPRESSED && res.action == VMM_ACT_MOVE_TO_BASE,
	    "at 00:30, within base_lead and an hour of 01:00: not back (%d %s)", res.kind, res.why);
	TAP_CONTAINS(res.why, "base_recall: staying, base was 90 at 01:00 ", "the why says so");
	day_cycle(&r, 2, 2, 30, "h1", 0, &res);
	TAP_OK(res.kind == DECIDE_SUPPRESSED, "at 02:30 the load may still be on (%d %s)", res.kind, res.why);
	TAP_CONTAINS(res.why, "nothing seen there since", "the why says why");
	day_cycle(&r, 2, 4, 30, "h1", 0, &res);
	TAP_OK(res.kind == DECIDE_REQUEST && strcmp(res.target, "base") == 0,
	    "at 04:30 it goes back (%d %s)", res.kind, res.why);

	/* a restart: what was learned is in state_dir/hosts */
	TAP_OK(mkdtemp(dir) != NULL, "a state dir");
	TAP_OK(hosts_save(&r.known, dir, err, sizeof(err)) == 0, "saved (%s)", err);
	hosts_free(&r.known);
	hosts_init(&r.known, 3600, 60, 240, VMM_HIGHER_IS_WORSE);
	TAP_OK(hosts_load(&r.known, dir, &skipped, err, sizeof(err)) == 0 && skipped == 0,
	    "loaded, no line skipped (%zu %s)", skipped, err);
	r.d.policy = &still_policy;
	day_cycle(&r, 3, 0, 55, "base", 0, &res);
	TAP_CONTAINS(res.reason, "base_lead: leaving base ahead of 01:00",
	    "after the restart it still leaves ahead");
	rules.base_recall = 0;
	day_cycle(&r, 3, 0, 55, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_NONE, "base_recall 0: it stays (%d %s)", res.kind, res.reason);
	rules.base_recall = 2 * 86400;
	day_cycle(&r, 4, 0, 55, "base", 0, &res);
	TAP_OK(res.kind == DECIDE_NONE, "older than base_recall: forgotten (%d %s)", res.kind, res.reason);
	/* the reason names the quarter hour bad on two days, not a worse one seen once */
	hosts_free(&r.known);
	hosts_init(&r.known, 3600, 60, 240, VMM_HIGHER_IS_WORSE);
	rules.base_recall = 7 * 86400;
	rules.base_lead = 1800;
	double day5 = 1242000000.0 + 5 * 86400.0;
	TAP_OK(hostday_set(&r.known.day, "base", 4, day5 - 86400 + 3600, 200, NAN) == 0 &&
	    hostday_set(&r.known.day, "base", 5, day5 - 86400 + 4500, 90, 80) == 0, "two quarter hours set");
	day_cycle(&r, 5, 0, 50, "base", 0, &res);
	TAP_CONTAINS(res.reason, "ahead of 01:15, when it was 80 there on two days, the last 24 h ago",
	    "01:15 (80 and 90), not 01:00 (200 once)");
	char path[64];
	snprintf(path, sizeof(path), "%s/hosts", dir);
	unlink(path);
	rmdir(dir);
	hosts_free(&r.known);
}

/* A policy that keeps the forecast it was handed, and asks for nothing. */
static struct vmm_sample seen_forecast;

static void
seeing_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	seen_forecast = in->forecast;
	snprintf(out->reason, sizeof(out->reason), "seen");
}

static void
seeing_counters(const void *state, struct vmm_policy_counters *out)
{
	(void)state;
	*out = (struct vmm_policy_counters){ .threshold = 20 };
}

static const struct vmm_policy_ops seeing_policy = { .name = "seeing",
	.evaluate = seeing_evaluate, .counters = seeing_counters };

/* One cycle with a sample of v (NAN: unknown) at wall second t. */
static void
forecast_cycle(struct rig *r, double t, double v)
{
	struct decide_input in = { .sample = { .known = !isnan(v), .value = isnan(v) ? 0 : v,
		.time = (int64_t)t }, .location = "h1", .at_home = 1, .mono = t, .wall = t };
	struct decide_result res;

	memset(&seen_forecast, 0xa5, sizeof(seen_forecast));
	decide_cycle(&r->d, &in, &res);
}

/* anticipate: the line through the last samples that count, handed to the policy. */
static void
test_forecast(void)
{
	struct forecast fc;
	struct rig r;
	double v = 0;
	const double t0 = 1242000000;

	forecast_init(&fc, 300);
	forecast_add(&fc, t0, 10);
	forecast_add(&fc, t0 + 60, 12);
	TAP_OK(!forecast_value(&fc, &v), "two samples say nothing");
	forecast_add(&fc, t0 + 120, 14);
	TAP_OK(forecast_value(&fc, &v) && fabs(v - 24) < 1e-9, "10, 12, 14 a minute apart: 24 in 300 s (%g)", v);
	for (int i = 3; i < 8; i++)
		forecast_add(&fc, t0 + 60 * i, 14);
	TAP_OK(forecast_value(&fc, &v) && fabs(v - 14) < 1e-9, "the oldest fall out: five flat samples, flat (%g)", v);
	forecast_add(&fc, t0 + 480, NAN);
	TAP_OK(forecast_value(&fc, &v) && fabs(v - 14) < 1e-9, "a value that is no number is not added (%g)", v);
	forecast_clear(&fc);
	TAP_OK(!forecast_value(&fc, &v), "cleared: nothing");
	forecast_init(&fc, 0);
	for (int i = 0; i < 5; i++)
		forecast_add(&fc, t0 + 60 * i, 2.0 * i);
	TAP_OK(!forecast_value(&fc, &v), "anticipate 0: off");

	rig_init(&r, 1);
	r.d.damp = NULL;
	r.d.policy = &seeing_policy;
	forecast_init(&fc, 300);
	r.d.fc = &fc;
	forecast_cycle(&r, t0, 10);
	forecast_cycle(&r, t0 + 60, 12);
	TAP_OK(!seen_forecast.known, "the policy sees no forecast from two samples");
	forecast_cycle(&r, t0 + 90, NAN);
	TAP_OK(!seen_forecast.known, "nor with an unknown sample, which is not added");
	forecast_cycle(&r, t0 + 120, 14);
	TAP_OK(seen_forecast.known && fabs(seen_forecast.value - 24) < 1e-9 &&
	    seen_forecast.time == (int64_t)t0 + 420,
	    "the third known sample: 24 for 300 s after it (%g at %lld)", seen_forecast.value,
	    (long long)seen_forecast.time);
	decide_arrived(&r.d, t0 + 150, "h1", "h2");
	forecast_cycle(&r, t0 + 180, 30);
	TAP_OK(!seen_forecast.known, "a move starts the line again: another host's samples say nothing here");
	r.d.fc = NULL;
	for (int i = 0; i < 5; i++)
		forecast_cycle(&r, t0 + 240 + 60 * i, 10.0 * i);
	TAP_OK(!seen_forecast.known, "the thesis: no forecast");
	hosts_free(&r.known);
}

/* The thesis's mode in the simulator: no learning, the guard only. */
static void
test_thesis(void)
{
	struct rig r;
	struct decide_moved o;

	rig_init(&r, 0);
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_FAILED, .from = "h1", .target = "h2",
	    .failure = VMM_FAIL_TIMEOUT, .mono = 10, .wall = 10 }, &o);
	TAP_OK(o.wait == 0 && o.failures == 1 && r.known.nhosts == 0, "nothing learned without a host table");
	rig_move(&r, &(struct decide_move){ .outcome = VMM_MOVE_CONFIRMED, .from = "h1", .target = "h2",
	    .mono = 20, .wall = 20 }, &o);
	TAP_OK(o.located && r.known.npairs == 0 && !r.eff.measuring, "confirmed: located, nothing learned");
	hosts_free(&r.known);
}

/* The provider refused: the VM stays where it was, the target does not back off, the
 * breaker forgets the request, and the guard holds the next until the retry-after. */
static void
test_refused(void)
{
	struct rig r;
	struct decide_moved o;
	char why[256];

	struct decide_input in = { .mono = 100 };

	rig_init(&r, 1);
	r.damp.c.breaker_moves = 2;
	r.damp.c.breaker_window = 3600;
	decide_sent(&r.d, &in, why, sizeof(why));
	decide_moved(&r.d, &(struct decide_move){ .outcome = VMM_MOVE_REFUSED, .from = "h1", .target = "h2",
	    .location = "", .detail = "h2 is being drained for maintenance", .retry_after = 30, .mono = 100,
	    .wall = 100 }, &o);
	TAP_OK(!o.located && o.failures == 0 && o.wait == 0, "refused: not located elsewhere, no failure counted");
	TAP_OK(hosts_available(&r.known, "h2", 101, why, sizeof(why)), "h2 does not back off");
	TAP_OK(guard_peek(&r.guard, 110, why, sizeof(why)) == GUARD_REFUSED, "the guard holds: %s", why);
	TAP_OK(guard_peek(&r.guard, 131, why, sizeof(why)) == GUARD_ALLOW, "until the retry-after has passed");
	in.mono = 131;
	TAP_OK(decide_sent(&r.d, &in, why, sizeof(why)) == 0,
	    "the refused request does not count toward the breaker (2 in the window would trip it)");
}

int
main(void)
{
	test_confirmed();
	test_unconfirmed();
	test_failed();
	test_pingpong();
	test_hold();
	test_base_admit();
	test_base_recall();
	test_thesis();
	test_refused();
	test_forecast();
	return tap_done();
}
