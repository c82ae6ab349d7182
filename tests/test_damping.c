/* SPDX-License-Identifier: ISC */
/* Damping as pure state machines (issue 8): warm-up, minimum stay and its override, X of
 * the last Y cycles, the circuit breaker and resume, the gain margin, the modes, and each
 * move's efficacy; through decide.c, which the daemon and the simulator share, driving the
 * real policy modules (loaded from the build's modules/ with the module loader, as the
 * simulator does). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/conf.h"
#include "counter.h"
#include "core/decide.h"
#include "core/host.h"
#include "tap.h"

#ifndef VMM_TEST_MODULE_DIR
#error "build with -DVMM_TEST_MODULE_DIR=\"<builddir>/modules\""
#endif

/* "move when the value is above 50": the threshold policy, firing at once */
#define ABOVE_50 "threshold = 50\ntarry = 1\n"
/* a schedule whose work is 09:00 to 14:10 UTC: at the epoch's first hours it rests, and
 * its first sample there asks for the base once */
#define RESTING "threshold = 50\nlowthreshold = 1\ntarry = 1\nlowtarry = 1\nworkstart = 108\nworkstop = 170\n"

/* A policy module, started from the text of a config. */
struct policy {
	struct module *mod;
	struct vmm_conf *conf;
	void *state;
};

static const struct vmm_policy_ops *
policy_start(struct policy *p, const char *name, const char *text)
{
	struct vmm_policy_env env = { .direction = VMM_HIGHER_IS_WORSE };
	char err[1024];

	memset(p, 0, sizeof(*p));
	p->mod = module_load(MODULE_POLICY, VMM_TEST_MODULE_DIR "/policies", name, err, sizeof(err));
	if (p->mod == NULL) {
		printf("Bail out! cannot load policy %s: %s\n", name, err);
		exit(1);
	}
	const struct vmm_policy_ops *ops = p->mod->ops;
	if ((p->conf = conf_read_string(text, "test.conf", err, sizeof(err))) == NULL ||
	    ops->init(&vmm_host_api, p->conf, &env, &p->state, err, sizeof(err)) != 0) {
		printf("Bail out! policy %s refuses the test's config: %s\n", name, err);
		exit(1);
	}
	return ops;
}

static void
policy_stop(struct policy *p)
{
	((const struct vmm_policy_ops *)p->mod->ops)->fini(p->state);
	conf_free(p->conf);
	module_unload(p->mod);
}

static const char *const array[] = { "h1", "h2", "h3", NULL };

struct rig {
	struct policy policy;
	struct guard guard;
	struct host_table known;
	struct damper damp;
	struct efficacy eff;
	struct decider d;
};

/* A decider as the daemon builds it, with the policy NAME configured by TEXT. */
static void
rig_start(struct rig *r, const struct damping_conf *c, const char *name, const char *text)
{
	memset(r, 0, sizeof(*r));
	const struct vmm_policy_ops *ops = policy_start(&r->policy, name, text);
	guard_init(&r->guard, 0, 0);
	hosts_init(&r->known, 86400, 60, 3600, VMM_HIGHER_IS_WORSE);
	damper_init(&r->damp, c, 0);
	efficacy_init(&r->eff, 3, VMM_HIGHER_IS_WORSE);
	r->d = (struct decider){ .policy = ops, .policy_state = r->policy.state,
		.topo = { .hosts = array, .nhosts = 3 }, .guard = &r->guard, .known = &r->known,
		.choice = TARGET_LEARNED, .interval = 60, .damp = &r->damp, .eff = &r->eff };
}

static void
rig_init(struct rig *r, const struct damping_conf *c)
{
	rig_start(r, c, "threshold", ABOVE_50);
}

static void
rig_free(struct rig *r)
{
	hosts_free(&r->known);
	policy_stop(&r->policy);
}

static enum decide_kind
cycle(struct rig *r, double t, double v, const char *where, struct decide_result *out)
{
	struct decide_input in = { .sample = { .known = 1, .value = v, .time = (int64_t)t },
		.location = where, .at_home = 1, .mono = t, .wall = 1e6 + t };

	decide_cycle(&r->d, &in, out);
	if (out->kind == DECIDE_REQUEST)
		decide_sent(&r->d, &in, out->why, sizeof(out->why)), guard_request_done(&r->guard);
	return out->kind;
}

static void
test_warmup_and_stay(void)
{
	struct damping_conf c = { .warmup = 120, .min_stay = 600, .min_stay_override = NAN };
	struct decide_result o;
	struct rig r;

	rig_init(&r, &c);
	TAP_OK(cycle(&r, 60, 99, "h1", &o) == DECIDE_NONE && o.warming == 60 &&
	    o.decision.action == VMM_ACT_NONE,
	    "at start, warming up: a bad sample does not reach the policy (%s)", o.decision.reason);
	TAP_CONTAINS(o.decision.reason, "warming up", "the cycle says why");
	TAP_OK(hosts_find(&r.known, "h1") == NULL, "nor is it learned about h1");
	TAP_OK(cycle(&r, 180, 99, "h1", &o) == DECIDE_SUPPRESSED && o.decision.action == VMM_ACT_MOVE,
	    "warm: the policy moves, but the VM stays 600 s (%s)", o.why);
	TAP_CONTAINS(o.why, "min_stay", "naming the rule");
	TAP_OK(cycle(&r, 600, 99, "h1", &o) == DECIDE_REQUEST, "after min_stay the move goes out (%s)", o.target);
	decide_arrived(&r.d, 610, "h1", o.target);
	TAP_OK(cycle(&r, 700, 99, o.target, &o) == DECIDE_NONE && o.warming > 0,
	    "after the move: warming up again");
	rig_free(&r);

	c.min_stay_override = 500;
	rig_init(&r, &c);
	TAP_OK(cycle(&r, 180, 99, "h1", &o) == DECIDE_SUPPRESSED, "99 is bad but not failing hard");
	TAP_OK(cycle(&r, 240, 501, "h1", &o) == DECIDE_REQUEST,
	    "501 beyond min_stay_override: it moves inside min_stay (%s)", o.why);
	rig_free(&r);
}

static void
test_within(void)
{
	struct counter c = { .threshold = 50, .tarry = 4, .within_x = 4, .within_y = 6 };
	struct vmm_decision d;
	const double flap[] = { 60, 40, 60, 40, 60, 60 };
	int fired = -1;

	for (int i = 0; i < 6; i++) {
		memset(&d, 0, sizeof(d));
		counter_eval_high(&c, VMM_HIGHER_IS_WORSE,
		    &(struct vmm_policy_input){ .sample = { .known = 1, .value = flap[i] } }, &d);
		if (d.action == VMM_ACT_MOVE && fired < 0)
			fired = i;
	}
	TAP_OK(fired == 5, "within 4/6: a flapping indicator fires on the 4th bad of 6 (cycle %d)", fired + 1);
	TAP_CONTAINS(d.reason, "in 4 of the last 6 cycles", "the reason says so");
	struct counter t = { .threshold = 50, .tarry = 4 };
	fired = -1;
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 6; i++) {
			memset(&d, 0, sizeof(d));
			counter_eval_high(&t, VMM_HIGHER_IS_WORSE,
			    &(struct vmm_policy_input){ .sample = { .known = 1, .value = flap[i] } }, &d);
			if (d.action == VMM_ACT_MOVE)
				fired = i;
		}
	TAP_OK(fired < 0, "tarry 4 in a row never fires on the same flapping indicator");
	TAP_OK(c.count == 0 && c.hist == 0, "after firing the window starts empty");
}

static void
test_breaker(void)
{
	struct damping_conf c = { .breaker_moves = 3, .breaker_window = 600, .breaker_hold = 1800,
		.min_stay_override = NAN };
	struct decide_result o;
	char why[256];
	struct rig r;
	const char *where = "h1";

	rig_init(&r, &c);
	for (int i = 0; i < 3; i++) {
		TAP_OK(cycle(&r, 100 + i * 100, 99, where, &o) == DECIDE_REQUEST, "move %d goes out", i + 1);
		where = i % 2 ? "h1" : "h2";
	}
	TAP_OK(damper_tripped(&r.damp, 301, why, sizeof(why)), "3 moves within 10 min trip it: %s", why);
	TAP_OK(cycle(&r, 400, 99, where, &o) == DECIDE_RECOMMEND, "tripped: only a recommendation (%s)", o.why);
	TAP_CONTAINS(o.why, "breaker tripped", "saying why");
	struct decide_input cli = { .location = where, .mono = 401, .wall = 1e6 + 401, .cli = 1 };
	decide_action(&r.d, VMM_ACT_MOVE, &cli, &o);
	TAP_OK(o.kind == DECIDE_REQUEST, "an administrator's move still goes out");
	TAP_OK(damper_resume(&r.damp) && !damper_tripped(&r.damp, 402, why, sizeof(why)), "resume resets it");
	TAP_OK(cycle(&r, 403, 99, where, &o) == DECIDE_REQUEST, "and the agent acts again");
	rig_free(&r);

	rig_init(&r, &c);
	for (int i = 0; i < 3; i++)
		cycle(&r, 100 + i * 100, 99, i % 2 ? "h2" : "h1", &o);
	TAP_OK(damper_tripped(&r.damp, 300 + 1799, why, sizeof(why)), "still tripped just before breaker_hold");
	TAP_OK(!damper_tripped(&r.damp, 300 + 1800, why, sizeof(why)), "breaker_hold ends it by itself");
	rig_free(&r);

	/* a hold shorter than the window: when it ends, the three moves that tripped it are
	 * still within breaker_window, and must not count again */
	c.breaker_hold = 100;
	rig_init(&r, &c);
	for (int i = 0; i < 3; i++)
		cycle(&r, 100 + i * 100, 99, i % 2 ? "h2" : "h1", &o);
	TAP_OK(damper_tripped(&r.damp, 399, why, sizeof(why)), "tripped at 300, held until 400");
	TAP_OK(cycle(&r, 400, 99, "h1", &o) == DECIDE_REQUEST, "the hold is over: the move goes out");
	TAP_OK(!damper_tripped(&r.damp, 401, why, sizeof(why)),
	    "and the old moves (100, 200, 300 s, within the 600 s window) do not trip it again at once");
	TAP_OK(cycle(&r, 450, 99, "h2", &o) == DECIDE_REQUEST, "a second move after the hold goes out too");
	TAP_OK(cycle(&r, 500, 99, "h1", &o) == DECIDE_REQUEST && damper_tripped(&r.damp, 501, why, sizeof(why)),
	    "three new moves within the window trip it again (%s)", why);
	rig_free(&r);
}

static void
test_margin_and_modes(void)
{
	struct damping_conf c = { .move_margin = 0.2, .min_stay_override = NAN };
	struct decide_result o;
	struct rig r;

	rig_init(&r, &c);
	hosts_sample(&r.known, "h2", 90, 1e6, 60);
	hosts_sample(&r.known, "h3", 85, 1e6, 60);
	TAP_OK(cycle(&r, 100, 100, "h1", &o) == DECIDE_SUPPRESSED, "h3's 85 does not beat h1's 100 by 20%% (%s)", o.why);
	TAP_CONTAINS(o.why, "move_margin: staying", "the VM stays and says why");
	hosts_sample(&r.known, "h3", 10, 1e6 + 50, 60);
	TAP_OK(cycle(&r, 200, 100, "h1", &o) == DECIDE_REQUEST && strcmp(o.target, "h3") == 0,
	    "h3 now much better: the move goes there (%s)", o.target);
	rig_free(&r);

	c.move_margin = 0;
	c.mode = VMM_MODE_RECOMMEND;
	rig_init(&r, &c);
	TAP_OK(cycle(&r, 100, 99, "h1", &o) == DECIDE_RECOMMEND && strcmp(o.target, "h2") == 0,
	    "mode recommend: the decision and its target, not acted on (%s)", o.why);
	TAP_OK(r.guard.last_request < 0, "nothing was sent");
	c.mode = VMM_MODE_MANUAL;
	damper_configure(&r.damp, &c);
	TAP_OK(cycle(&r, 200, 99, "h1", &o) == DECIDE_RECOMMEND, "mode manual: the policy does not act either");
	struct decide_input cli = { .location = "h1", .mono = 201, .wall = 1e6 + 201, .cli = 1 };
	decide_action(&r.d, VMM_ACT_MOVE, &cli, &o);
	TAP_OK(o.kind == DECIDE_REQUEST, "mode manual: a CLI action is carried out");
	rig_free(&r);
}

static void
test_efficacy(void)
{
	struct efficacy e;

	efficacy_init(&e, 3, VMM_HIGHER_IS_WORSE);
	efficacy_sample(&e, 10);
	efficacy_sample(&e, 80);
	efficacy_sample(&e, 70);
	efficacy_sample(&e, 90);
	efficacy_moved(&e, "h1", "h2");
	TAP_OK(fabs(e.cur.before - 80) < 1e-9, "before: the mean of the last 3 samples, 80");
	TAP_OK(efficacy_sample(&e, 20) == 0 && efficacy_sample(&e, 10) == 0 && efficacy_sample(&e, 30) == 1,
	    "after: the 3rd sample on h2 completes it");
	TAP_OK(e.done[0].after == 20 && e.done[0].gain == 60, "after 20, gain 60 (slow queries fell)");
	efficacy_moved(&e, "h2", "h3");
	efficacy_sample(&e, 50), efficacy_sample(&e, 50), efficacy_sample(&e, 50);
	TAP_OK(e.done[1].gain == -30 && e.measured == 2, "a move that made it worse has a negative gain");
	TAP_OK(efficacy_mean_gain(&e) == 15, "mean gain over both: 15");
	struct efficacy w;
	efficacy_init(&w, 2, VMM_LOWER_IS_WORSE);
	efficacy_sample(&w, 2), efficacy_sample(&w, 4);
	efficacy_moved(&w, "a", "b");
	efficacy_sample(&w, 30), efficacy_sample(&w, 40);
	TAP_OK(w.done[0].gain == 32, "lower_is_worse: more idle workers is a gain (32)");
}

/* A schedule at rest off the base: after its one request for the base, the core asks
 * again only when the request could go out now: automatic mode, breaker not tripped, no
 * min_stay holding the VM. */
static void
test_base_reask(void)
{
	struct damping_conf c = { .breaker_moves = 1, .breaker_window = 600, .breaker_hold = 100,
		.min_stay_override = NAN };
	struct decide_result o;
	struct rig r;

	rig_start(&r, &c, "schedule", RESTING);
	r.d.base = r.d.topo.base = "base";
	TAP_OK(cycle(&r, 10, 1, "h1", &o) == DECIDE_REQUEST && o.action == VMM_ACT_MOVE_TO_BASE,
	    "the rest period starts: the schedule asks for the base (%s)", o.reason);
	TAP_OK(o.counters.resting && damper_tripped(&r.damp, 11, o.why, sizeof(o.why)),
	    "resting; that request tripped the breaker (breaker_moves 1)");
	TAP_OK(cycle(&r, 50, 1, "h1", &o) == DECIDE_NONE, "resting off the base, breaker tripped: no re-ask");
	TAP_OK(cycle(&r, 150, 1, "h1", &o) == DECIDE_REQUEST && o.action == VMM_ACT_MOVE_TO_BASE,
	    "once breaker_hold is over the core asks for the base again (%s)", o.reason);
	rig_free(&r);

	c = (struct damping_conf){ .mode = VMM_MODE_RECOMMEND, .min_stay_override = NAN };
	rig_start(&r, &c, "schedule", RESTING);
	r.d.base = r.d.topo.base = "base";
	TAP_OK(cycle(&r, 10, 1, "h1", &o) == DECIDE_RECOMMEND && o.action == VMM_ACT_MOVE_TO_BASE,
	    "mode recommend: the schedule's request for the base is a recommendation (%s)", o.why);
	TAP_OK(cycle(&r, 50, 1, "h1", &o) == DECIDE_NONE,
	    "and the core does not ask again while the mode is not automatic (%s)", o.reason);
	rig_free(&r);

	c = (struct damping_conf){ .min_stay = 100, .min_stay_override = NAN };
	rig_start(&r, &c, "schedule", RESTING);
	r.d.base = r.d.topo.base = "base";
	TAP_OK(cycle(&r, 10, 1, "h1", &o) == DECIDE_SUPPRESSED && o.action == VMM_ACT_MOVE_TO_BASE,
	    "min_stay 100 s: the schedule's request for the base is held back (%s)", o.why);
	TAP_OK(cycle(&r, 50, 1, "h1", &o) == DECIDE_NONE,
	    "and the core does not ask again while min_stay holds the VM (%s)", o.reason);
	TAP_OK(cycle(&r, 150, 1, "h1", &o) == DECIDE_REQUEST && o.action == VMM_ACT_MOVE_TO_BASE,
	    "once min_stay is over it asks for the base again (%s)", o.reason);
	rig_free(&r);
}

int
main(void)
{
	test_warmup_and_stay();
	test_within();
	test_breaker();
	test_margin_and_modes();
	test_efficacy();
	test_base_reask();
	return tap_done();
}
