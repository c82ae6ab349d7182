/* One cycle's decision, shared by the daemon and the simulator. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "decide.h"

static void
decide_target(struct decider *d, enum vmm_action act, const struct decide_input *in,
    struct decide_result *out)
{
	struct target_knowledge k = { .known = d->known, .choice = d->choice, .now = in->wall };
	enum target_result tr;

	out->action = act;
	if (in->busy) {
		out->kind = DECIDE_SUPPRESSED;
		snprintf(out->why, sizeof(out->why), "%s", in->busy_why ? in->busy_why : "a move is in flight");
		return;
	}
	tr = target_for(&d->topo, d->known ? &k : NULL, act, in->location, in->at_home, out->target,
	    sizeof(out->target), &out->cross_site, out->choice, sizeof(out->choice));
	switch (tr) {
	case TARGET_CHOSEN:
		break;
	case TARGET_NOTHING:
		out->kind = DECIDE_NOTHING;
		snprintf(out->why, sizeof(out->why), "%s", out->choice);
		out->choice[0] = '\0';
		return;
	case TARGET_WAIT:
		out->kind = DECIDE_SUPPRESSED;
		snprintf(out->why, sizeof(out->why), "%s", out->choice);
		out->choice[0] = '\0';
		return;
	default:
		out->kind = DECIDE_ERROR;
		snprintf(out->why, sizeof(out->why), "%s", out->choice);
		out->choice[0] = '\0';
		return;
	}
	if (guard_check(d->guard, in->mono, out->why, sizeof(out->why)) != GUARD_ALLOW) {
		out->kind = DECIDE_SUPPRESSED;
		return;
	}
	out->kind = DECIDE_REQUEST;
}

void
decide_action(struct decider *d, enum vmm_action act, const struct decide_input *in,
    struct decide_result *out)
{
	memset(out, 0, sizeof(*out));
	decide_target(d, act, in, out);
}

/* The schedule asks for the base once per rest period; if that request was refused or
 * failed, the VM rests on an expensive host. Ask again once the guard would let it. */
static int
decide_base_overdue(const struct decider *d, const struct decide_input *in,
    const struct decide_result *out)
{
	char why[256];

	return out->counters.resting && d->base != NULL && strcmp(in->location, d->base) != 0 &&
	    !in->busy && guard_peek(d->guard, in->mono, why, sizeof(why)) == GUARD_ALLOW;
}

void
decide_cycle(struct decider *d, const struct decide_input *in, struct decide_result *out)
{
	struct vmm_policy_input pin = { .sample = in->sample, .at_home = in->at_home,
		.at_base = d->base != NULL && strcmp(in->location, d->base) == 0 };

	memset(out, 0, sizeof(*out));
	out->decision.action = VMM_ACT_NONE;
	d->policy->evaluate(d->policy_state, &pin, &out->decision);
	d->policy->counters(d->policy_state, &out->counters);
	if (d->known != NULL && in->sample.known && in->location[0])
		hosts_sample(d->known, in->location, in->sample.value, in->wall, d->interval);
	enum vmm_action act = out->decision.action;
	snprintf(out->reason, sizeof(out->reason), "%s", out->decision.reason);
	if (act == VMM_ACT_NONE && decide_base_overdue(d, in, out)) {
		act = VMM_ACT_MOVE_TO_BASE;
		snprintf(out->reason, sizeof(out->reason), "resting away from the base: asking again");
	}
	if (act == VMM_ACT_NONE)
		return;
	decide_target(d, act, in, out);
}
