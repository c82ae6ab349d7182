/* SPDX-License-Identifier: ISC */
/* One cycle's decision, shared by the daemon and the simulator. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/strutil.h"
#include "core/decide.h"

/* The policy's reason as the result's: what snprintf("%s") gave, by a copy of fixed
 * size (this runs every cycle of every simulated VM; the string ends within it). */
static void
decide_reason(struct decide_result *out)
{
	_Static_assert(sizeof(out->reason) >= sizeof(out->decision.reason), "the reason fits");
	memcpy(out->reason, out->decision.reason, sizeof(out->decision.reason));
	out->reason[sizeof(out->decision.reason) - 1] = '\0';
}

/* Is v so bad that min_stay gives way? */
static int
decide_hard(const struct decider *d, const struct decide_input *in)
{
	double o = d->damp ? d->damp->c.min_stay_override : NAN;

	if (!in->sample.known || isnan(o))
		return 0;
	return d->direction == VMM_LOWER_IS_WORSE ? in->sample.value < o : in->sample.value > o;
}

/* move_margin: the learned target must promise enough over staying (Proxmox CRS). */
static int
decide_margin(const struct decider *d, const struct decide_input *in, struct decide_result *out)
{
	int kt, kh;
	double margin = d->damp ? d->damp->c.move_margin : 0;

	if (margin <= 0 || d->known == NULL || d->choice != TARGET_LEARNED || out->action != VMM_ACT_MOVE)
		return 0;
	double there = hosts_promise(d->known, out->target, in->wall, &kt);
	double here = hosts_badness(d->known, in->location, in->wall, &kh);
	if (!kt || !kh || there < here - margin * fabs(here))
		return 0;
	snprintf(out->why, sizeof(out->why), "move_margin: staying, %s promises no gain of %.0f%% over %s (mean %.3g there, %.3g here)",
	    out->target, margin * 100, in->location, fabs(there), fabs(here));
	return 1;
}

/* Quiet windows hold the policy's requests; an administrator's goes through (Monit's
 * explicit action), and the result says which window it went through, for the log. */
static int
decide_held(const struct decider *d, const struct decide_input *in, struct decide_result *out)
{
	char why[256];
	int held = hold_check(&d->hold, in->wall, &in->local, in->cli, why, sizeof(why));

	if (held == HOLD_NONE)
		return 0;
	if (in->cli) {
		snprintf(out->through, sizeof(out->through), "%s", why);
		return 0;
	}
	out->kind = DECIDE_SUPPRESSED;
	out->held = held;
	snprintf(out->why, sizeof(out->why), "%s", why);
	return 1;
}

/* The rules after the target is known: the quiet windows and splay, damping (not for an
 * administrator), then the guard, then the mode. */
static void
decide_rules(struct decider *d, const struct decide_input *in, struct decide_result *out)
{
	if (decide_held(d, in, out))
		return;
	/* the provider's deadline outranks the VM's own damping: it must leave */
	if (!in->cli && in->leave == NULL && d->damp != NULL && !decide_hard(d, in) &&
	    damper_staying(d->damp, in->mono, out->why, sizeof(out->why))) {
		out->kind = DECIDE_SUPPRESSED;
		return;
	}
	if (!in->cli && in->leave == NULL && decide_margin(d, in, out)) {
		out->kind = DECIDE_SUPPRESSED;
		return;
	}
	enum guard_verdict v = guard_check(d->guard, in->mono, out->why, sizeof(out->why));
	if (v != GUARD_ALLOW) {
		out->kind = DECIDE_SUPPRESSED;
		out->provider_hold = v == GUARD_REFUSED;
		return;
	}
	out->kind = DECIDE_REQUEST;
	if (in->cli || d->damp == NULL)
		return;
	if (d->damp->c.mode != VMM_MODE_AUTOMATIC) {
		out->kind = DECIDE_RECOMMEND;
		snprintf(out->why, sizeof(out->why), "mode %s", damper_mode_name(d->damp->c.mode));
	} else if (damper_tripped(d->damp, in->mono, out->why, sizeof(out->why)))
		out->kind = DECIDE_RECOMMEND;
}

static void
decide_target(struct decider *d, enum vmm_action act, const struct decide_input *in,
    struct decide_result *out)
{
	struct target_knowledge k = { .known = d->known, .choice = d->choice, .now = in->wall,
		.ignore_backoff = in->cli, .seed = d->seed };
	enum target_result tr;

	if (d->rules != NULL) {
		k.near_best = d->rules->near_best;
		k.max_incoming = d->rules->max_incoming;
		k.check_memory = d->rules->check_memory;
		k.memory_headroom = d->rules->memory_headroom;
		k.pingpong_gain = d->rules->pingpong_gain;
	}

	out->action = act;
	if (in->busy) {
		out->kind = DECIDE_SUPPRESSED;
		snprintf(out->why, sizeof(out->why), "%s", in->busy_why ? in->busy_why : "a move is in flight");
		return;
	}
	tr = target_for(&d->topo, d->known ? &k : NULL, act, in->location, in->at_home, out->target,
	    sizeof(out->target), &out->cross_site, out->choice, sizeof(out->choice));
	if (tr != TARGET_CHOSEN) {
		out->kind = tr == TARGET_NOTHING ? DECIDE_NOTHING : tr == TARGET_WAIT ?
		    DECIDE_SUPPRESSED : DECIDE_ERROR;
		snprintf(out->why, sizeof(out->why), "%s", out->choice);
		out->choice[0] = '\0';
		return;
	}
	decide_rules(d, in, out);
}

uint64_t
decide_seed(const char *name)
{
	return vmm_fnv1a_str(VMM_FNV1A_BASIS, name);
}

int
decide_sent(struct decider *d, const struct decide_input *in, char *why, size_t len)
{
	guard_request_sent(d->guard, in->mono);
	if (in->cli || d->damp == NULL)
		return 0;
	return damper_requested(d->damp, in->mono, why, len);
}

void
decide_arrived(struct decider *d, double mono, const char *from, const char *to)
{
	if (d->damp != NULL)
		damper_arrived(d->damp, mono);
	if (d->fc != NULL)
		forecast_clear(d->fc); /* the line of another host says nothing of this one */
	if (d->eff != NULL)
		efficacy_moved(d->eff, from, to);
}

/* Where the VM is after the move: the endpoint's word, else where it was sent unless the
 * move failed. */
static void
decide_moved_where(struct decider *d, const struct decide_move *m, struct decide_moved *out)
{
	int said = m->location != NULL && m->location[0] != '\0';

	if ((m->outcome == VMM_MOVE_FAILED || m->outcome == VMM_MOVE_REFUSED) && !said)
		return;
	out->located = 1;
	out->location = said ? m->location : m->target;
	out->confirmed = said || m->outcome == VMM_MOVE_CONFIRMED;
	if (m->from[0] == '\0' || strcmp(m->from, out->location) == 0)
		return;
	/* the site policy's trips away and home are its design, not a ping-pong; they are
	 * remembered all the same, so that a move inside a site that undoes them warns */
	out->pingpong = guard_moved(d->guard, m->mono, m->from, out->location, out->why, sizeof(out->why));
	out->warn = out->pingpong && !m->cross_site;
}

static void
decide_moved_failed(struct decider *d, const struct decide_move *m, struct decide_moved *out)
{
	int permanent = m->permanent || m->failure == VMM_FAIL_CONFIG ||
	    m->failure == VMM_FAIL_UNSUPPORTED;
	const char *detail = m->detail != NULL && m->detail[0] ? m->detail : "no detail";

	out->failures = 1;
	if (d->known == NULL)
		return;
	out->wait = hosts_failed(d->known, m->target, permanent, detail, m->wall);
	const struct host_info *h = hosts_find(d->known, m->target);
	if (h != NULL)
		out->failures = h->failures;
}

void
decide_moved(struct decider *d, const struct decide_move *m, struct decide_moved *out)
{
	memset(out, 0, sizeof(*out));
	decide_moved_where(d, m, out);
	if (m->outcome == VMM_MOVE_CONFIRMED) {
		decide_arrived(d, m->mono, m->from, out->location);
		if (d->known != NULL) {
			hosts_succeeded(d->known, out->location);
			hosts_move_time(d->known, m->from, out->location, m->took);
			/* the site policy's trips are its design: no hold on the way back */
			if (d->rules != NULL && m->from[0] != '\0' && strcmp(m->from, out->location) != 0) {
				hosts_left(d->known, m->from, m->wall, m->cross_site ? 0 :
				    d->rules->pingpong_hold, d->rules->pingpong_hold_max);
				hosts_left_for(d->known, m->from, out->location);
			}
		}
	} else if (m->outcome == VMM_MOVE_FAILED)
		decide_moved_failed(d, m, out);
	else if (m->outcome == VMM_MOVE_REFUSED) {
		guard_refused(d->guard, m->mono, m->retry_after, m->detail);
		if (d->damp != NULL)
			damper_unrequest(d->damp);
	}
	guard_request_done(d->guard);
}

void
decide_action(struct decider *d, enum vmm_action act, const struct decide_input *in,
    struct decide_result *out)
{
	memset(out, 0, sizeof(*out));
	decide_target(d, act, in, out);
}

static int
decide_worse(const struct decider *d, double v, double than)
{
	return d->direction == VMM_LOWER_IS_WORSE ? v < than : v > than;
}

static int
decide_minute(const struct decide_input *in)
{
	return in->local.valid ? in->local.hour * 60 + in->local.minute : -1;
}

/* The level the base must have kept for the VM: base_admit of the threshold (for an
 * indicator where lower is worse, the threshold over base_admit), or the threshold itself
 * when base_admit is off. Where the array has been as bad for the VM (a learned mean),
 * the base's bad hour is no reason to stay away: every host is loaded, and the base is
 * the cheap one. */
static double
decide_admit_level(const struct decider *d, const struct decide_input *in, double thr)
{
	double admit = d->rules ? d->rules->base_admit : 0;
	int lower = d->direction == VMM_LOWER_IS_WORSE;

	if (admit <= 0)
		return thr;
	double at = lower ? thr / admit : thr * admit;
	for (size_t i = 0; i < d->topo.nhosts; i++) {
		int known;
		double b = hosts_badness(d->known, d->topo.hosts[i], in->wall, &known);
		if (known)
			at = lower ? fmin(at, -b) : fmax(at, b);
	}
	return at;
}

/* base_recall: not back to the base within base_lead and an hour of a quarter hour when
 * the base was over the admission level on a day it remembers: it would leave again at
 * once (base_lead), or take that hour's load. Nor while such a load may still be on: the
 * VM that left ahead of it did not see it end, so the latest quarter hour seen in the
 * last three hours must have been under the level. */
static int
decide_base_soon(const struct decider *d, const struct decide_input *in,
    struct decide_result *out)
{
	const struct target_rules *r = d->rules;
	double thr = out->counters.threshold;
	const char *since = "";

	if (r == NULL || !(r->base_recall > 0))
		return 0;
	double at = decide_admit_level(d, in, thr);
	struct hostday_seen s = hostday_window(d->known->day, d->base, decide_minute(in),
	    r->base_lead + 3600, in->wall, r->base_recall, d->direction);
	if (s.slots == 0 || !decide_worse(d, s.worst, at)) {
		s = hostday_before(d->known->day, d->base, decide_minute(in), 3 * 3600, in->wall,
		    r->base_recall);
		since = ", nothing seen there since";
	}
	if (s.slots == 0 || !decide_worse(d, s.worst, at))
		return 0;
	out->action = VMM_ACT_MOVE_TO_BASE;
	out->kind = DECIDE_SUPPRESSED;
	snprintf(out->why, sizeof(out->why), "base_recall: staying, %s was %.3g at %02d:%02d %.0f h ago, %s %.3g (threshold %g)%s",
	    d->base, s.worst, s.minute / 60, s.minute % 60, (in->wall - s.when) / 3600,
	    d->direction == VMM_LOWER_IS_WORSE ? "under" : "over", at, thr, since);
	return 1;
}

/* base_admit: an idle VM goes back to the base only when the base did not make it leave
 * lately. Idle on a roomy host says nothing of the base: the worse of its mean and its
 * last samples there, the more faded the longer ago (host_memory), must be within
 * the admission level (decide_admit_level). The schedule's rest is the clock's, not the
 * indicator's: it goes. */
static int
decide_base_refused(const struct decider *d, const struct decide_input *in,
    struct decide_result *out)
{
	double admit = d->rules ? d->rules->base_admit : 0, thr = out->counters.threshold;
	double level, fade, ratio;
	int lower = d->direction == VMM_LOWER_IS_WORSE;

	if (d->known == NULL || d->base == NULL || !out->counters.has_low ||
	    out->counters.resting || strcmp(in->location, d->base) == 0)
		return 0;
	if (admit > 0 && hosts_held(d->known, d->base, in->wall, out->why, sizeof(out->why))) {
		out->action = VMM_ACT_MOVE_TO_BASE;
		out->kind = DECIDE_SUPPRESSED;
		return 1;
	}
	if (decide_base_soon(d, in, out))
		return 1;
	if (admit <= 0 || (fade = hosts_recall(d->known, d->base, in->wall, &level)) <= 0)
		return 0;
	double at = decide_admit_level(d, in, thr);
	/* how many times too bad it was; a lower-is-worse level of 0 counts as 20 times */
	ratio = lower ? at / fmax(level, at / 20) : level / at;
	if (!(ratio * fade > 1))
		return 0;
	out->action = VMM_ACT_MOVE_TO_BASE;
	out->kind = DECIDE_SUPPRESSED;
	double ago = (in->wall - hosts_find(d->known, d->base)->last_seen) / 60;
	if (lower)
		snprintf(out->why, sizeof(out->why), "base_admit: staying, %s was %.3g when last there %.0f min ago, under %.3g (threshold %g over base_admit %g) until that fades",
		    d->base, level, ago, at, thr, admit);
	else
		snprintf(out->why, sizeof(out->why), "base_admit: staying, %s was %.3g when last there %.0f min ago, over %.3g (%.0f%% of threshold %g) until that fades",
		    d->base, level, ago, at, admit * 100, thr);
	return 1;
}

/* base_lead: a VM resting on the base leaves it ahead of a quarter hour when the base made
 * it slow on a day it remembers (base_recall: a nightly batch, a morning rush), rather
 * than take that load's first tarry samples there. The schedule's rest is the clock's:
 * it stays. */
static int
decide_base_ahead(const struct decider *d, const struct decide_input *in, int at_base,
    struct decide_result *out)
{
	const struct target_rules *r = d->rules;
	double thr = out->counters.threshold;

	if (r == NULL || !(r->base_recall > 0) || !(r->base_lead > 0) || d->known == NULL ||
	    !at_base || !out->counters.has_low || out->counters.resting)
		return 0;
	struct hostday_seen s = hostday_window(d->known->day, d->base, decide_minute(in),
	    r->base_lead, in->wall, r->base_recall, d->direction);
	if (s.slots == 0 || isnan(s.twice) || !decide_worse(d, s.twice, thr))
		return 0;
	snprintf(out->reason, sizeof(out->reason), "base_lead: leaving %s ahead of %02d:%02d, when it was %.3g there on two days, the last %.0f h ago (threshold %g)",
	    d->base, s.twice_minute / 60, s.twice_minute % 60, s.twice, (in->wall - s.twice_when) / 3600,
	    thr);
	return 1;
}

/* The schedule asks for the base once per rest period; if that request was refused or
 * failed, the VM rests on an expensive host. Ask again once the guard would let it. */
static int
decide_base_overdue(struct decider *d, const struct decide_input *in,
    const struct decide_result *out)
{
	char why[256];

	if (!out->counters.resting || d->base == NULL || strcmp(in->location, d->base) == 0 ||
	    in->busy || guard_peek(d->guard, in->mono, why, sizeof(why)) != GUARD_ALLOW ||
	    hold_check(&d->hold, in->wall, &in->local, 0, why, sizeof(why)) != HOLD_NONE)
		return 0;
	/* asked once by the policy already: again only when it could go out now */
	return d->damp == NULL || (d->damp->c.mode == VMM_MODE_AUTOMATIC &&
	    !damper_tripped(d->damp, in->mono, why, sizeof(why)) &&
	    !damper_staying(d->damp, in->mono, why, sizeof(why)));
}

/* memset(out, 0, sizeof(*out)) as a reader sees it, with the texts (1.3 KiB of the
 * result) emptied by their first byte: every cycle of every simulated VM clears one.
 * The asserts hold the texts' run together: a field added among them must be cleared
 * here (before reason or from warming on, it is). */
#define DECIDE_AFTER(a, b) (offsetof(struct decide_result, b) == \
	offsetof(struct decide_result, a) + sizeof(((struct decide_result *)0)->a))
_Static_assert(DECIDE_AFTER(reason, target) && DECIDE_AFTER(target, cross_site) &&
    DECIDE_AFTER(cross_site, choice) && DECIDE_AFTER(choice, why) && DECIDE_AFTER(why, held) &&
    DECIDE_AFTER(held, through) && offsetof(struct decide_result, warming) -
    offsetof(struct decide_result, through) < sizeof(((struct decide_result *)0)->through) +
    _Alignof(double), "decide_clear clears every field");

static void
decide_clear(struct decide_result *out)
{
	memset(out, 0, offsetof(struct decide_result, reason));
	out->reason[0] = '\0';
	out->target[0] = '\0';
	out->cross_site = 0;
	out->choice[0] = '\0';
	out->why[0] = '\0';
	out->held = 0;
	out->through[0] = '\0';
	memset(&out->warming, 0, sizeof(*out) - offsetof(struct decide_result, warming));
}

/* The line through the samples that count, anticipate seconds on (forecast.h). */
static void
decide_forecast(struct decider *d, const struct decide_input *in, struct vmm_policy_input *pin)
{
	double v;

	if (d->fc == NULL || !pin->sample.known)
		return;
	/* the cycle's own time: sample.time is whole seconds, too coarse for a short interval */
	forecast_add(d->fc, in->wall, pin->sample.value);
	if (!forecast_value(d->fc, &v))
		return;
	pin->forecast.known = 1;
	pin->forecast.value = v;
	pin->forecast.time = pin->sample.time + llround(d->fc->horizon);
}

void
decide_cycle(struct decider *d, const struct decide_input *in, struct decide_result *out)
{
	struct vmm_policy_input pin = { .sample = in->sample, .at_home = in->at_home,
		.at_base = d->base != NULL && strcmp(in->location, d->base) == 0,
		.local = in->local, .terse = in->terse };

	decide_clear(out);
	out->decision.action = VMM_ACT_NONE;
	/* a freshly moved service looks worse than it is: its samples do not count */
	out->warming = d->damp ? damper_warming(d->damp, in->mono) : 0;
	if (out->warming > 0)
		pin.sample.known = 0;
	decide_forecast(d, in, &pin);
	d->policy->evaluate(d->policy_state, &pin, &out->decision);
	d->policy->counters(d->policy_state, &out->counters);
	hold_edge(&d->hold, in->wall, out->counters.resting);
	if (out->warming > 0 && !(in->terse && out->decision.action == VMM_ACT_NONE))
		snprintf(out->decision.reason, sizeof(out->decision.reason),
		    "warming up: %.0f s before samples count", out->warming);
	if (pin.sample.known && in->location[0] && d->known != NULL)
		hosts_sample(d->known, in->location, in->sample.value, in->wall, d->interval);
	if (pin.sample.known && pin.at_base && d->known != NULL && d->rules != NULL &&
	    d->rules->base_recall > 0) /* out of memory: nothing learned of this quarter hour */
		(void)hostday_sample(&d->known->day, d->base, decide_minute(in), in->sample.value,
		    in->wall, d->direction);
	if (pin.sample.known && d->eff != NULL && (out->measured = efficacy_sample(d->eff, in->sample.value)))
		out->efficacy = d->eff->done[d->eff->ndone - 1];
	enum vmm_action act = out->decision.action;
	decide_reason(out);
	if (act == VMM_ACT_NONE && decide_base_overdue(d, in, out)) {
		act = VMM_ACT_MOVE_TO_BASE;
		snprintf(out->reason, sizeof(out->reason), "resting away from the base: asking again");
	}
	if (act == VMM_ACT_NONE && decide_base_ahead(d, in, pin.at_base, out))
		act = VMM_ACT_MOVE;
	if (act == VMM_ACT_NONE && in->leave != NULL) {
		act = VMM_ACT_MOVE;
		snprintf(out->reason, sizeof(out->reason), "%s", in->leave);
	}
	if (act == VMM_ACT_NONE)
		return;
	if (act == VMM_ACT_MOVE_TO_BASE && decide_base_refused(d, in, out))
		return;
	decide_target(d, act, in, out);
}
