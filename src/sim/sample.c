/* SPDX-License-Identifier: ISC */
/* A simulated VM's samples through the decider, and what each outcome does. */
#include "config.h"

#include <math.h>

#include "sim/engine.h"

static void
vm_request(struct sim *s, int tid, struct vm *v, const struct decide_result *r, double t)
{
	int target = vm_local(s, v, r->target);

	if (target < 0) {
		/* cannot be: every host of the conf was mapped at the start */
		v->st.errors++;
		vm_event(s, tid, v, t, "error", r->action, v->believed, -1, r, "target not simulated");
		return;
	}
	v->st.requests++;
	v->st.hour_req[sim_hour(s, t)]++;
	v->st.requests_by_action[(unsigned)r->action & 7]++;
	struct decide_input in = { .mono = t };
	char why[256];
	if (decide_sent(&v->dec, &in, why, sizeof(why))) {
		v->st.trips++;
		vm_warning(s, tid, v, t, why);
	}
	if (sim_thesis(s))
		guard_request_done(v->guard); /* nothing held back but the sleep */
	vm_event(s, tid, v, t, "request", r->action, v->believed, target, r, r->reason);
	if (r->choice[0])
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CHOICE,
		    .u.choice = { .target = r->target, .why = r->choice } });
	struct journal_event ev[2];
	size_t n = journal_request(r->action, r->target, r->reason, ev);
	for (size_t i = 0; i < n; i++)
		vm_say(s, tid, v, t, &ev[i]);
	if (v->said != NULL) /* as the agent: after the request's lines */
		said_request(v->said, vm_said_emit, &(struct vm_said_to){ s, tid, v, t });
	if (sim_thesis(s))
		v->believed = target; /* the thesis assumed every request succeeded */
	if (v->mv_active) {
		if (v->nqueue < SIM_QUEUE) {
			v->queue_act[v->nqueue] = r->action;
			v->queue[v->nqueue++] = target;
		} else {
			v->st.failed++;
			vm_event(s, tid, v, t, "failed", r->action, v->believed, target, NULL,
			    "the management server's queue is full");
		}
		return;
	}
	if (target == v->loc) {
		/* the thesis believed the VM elsewhere: the server finds it already there */
		v->st.nothing++;
		guard_request_done(v->guard);
		return;
	}
	vm_start_move(s, v, target, r->action, r->cross_site, t);
}

static void
vm_sla(struct vm *v, double value, double elapsed, const struct decide_result *r)
{
	double interval = v->dec.interval, x = value;

	if (isnan(v->sla)) {
		if (!(r->counters.threshold == r->counters.threshold))
			return;
		v->sla = r->counters.threshold; /* no level given: the policy's threshold */
	}
	if (v->spec->ind == IND_SLOW && elapsed > 0)
		x = value * interval / elapsed; /* a rate per interval, as the threshold is */
	int worse = v->sc->su->set.direction == VMM_LOWER_IS_WORSE ? x < v->sla : x > v->sla;
	if (worse)
		v->st.sla_s += elapsed;
}

static void
vm_outcome(struct sim *s, int tid, struct vm *v, const struct decide_result *r, double t)
{
	switch (r->kind) {
	case DECIDE_REQUEST:
		vm_request(s, tid, v, r, t);
		break;
	case DECIDE_SUPPRESSED:
		v->st.suppressed++;
		vm_event(s, tid, v, t, "suppressed", r->action, v->believed, -1, r, r->why);
		struct journal_event e = { .kind = JOURNAL_SUPPRESSED, .u.suppressed = {
		    .action = r->action, .target = r->target, .origin = "policy", .why = r->why } };
		if (v->said != NULL)
			said_suppressed(v->said, r, &e, vm_said_emit, &(struct vm_said_to){ s, tid, v, t });
		else
			vm_say(s, tid, v, t, &e);
		break;
	case DECIDE_NOTHING:
		v->st.nothing++;
		vm_event(s, tid, v, t, "nothing", r->action, v->believed, -1, r, r->why);
		if (v->said != NULL)
			said_nothing(v->said, r->why, vm_said_emit, &(struct vm_said_to){ s, tid, v, t });
		else
			vm_note(s, tid, v, t, r->why);
		break;
	case DECIDE_RECOMMEND:
		v->st.recommended++;
		vm_event(s, tid, v, t, "recommend", r->action, v->believed, -1, r, r->why);
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_RECOMMEND, .u.recommend = {
		    .action = r->action, .target = r->target, .reason = r->reason, .choice = r->choice,
		    .why = r->why } });
		break;
	case DECIDE_ERROR:
		v->st.errors++;
		vm_event(s, tid, v, t, "error", r->action, v->believed, -1, r, r->why);
		vm_note(s, tid, v, t, r->why);
		break;
	default:
		break;
	}
}

/* What the daemon's endpoint tells at each locate (every locate_interval): the
 * migrations arriving at each host and (when the simulation file gives memory) its free
 * memory, as of the step's start, and the VM's own memory. */
static void
vm_look(struct sim *s, struct vm *v, double t)
{
	const struct simconf *sc = v->sc;
	double every = sc->su->set.locate_interval, wall = (double)s->sf->start + t;

	if (sim_thesis(s) || t < v->next_look)
		return;
	v->next_look = every > 0 ? t + every : INFINITY;
	if (v->spec->memory > 0)
		v->known.vm_memory = (int64_t)(v->spec->memory * (1 << 30));
	for (size_t i = 0; i < sc->nlocal; i++) {
		const struct sim_host *h = &s->sf->hosts[sc->host[i]];
		double free_gib = h->memory - s->mem_used[sc->host[i]];
		int64_t free_memory = h->memory > 0 ? (int64_t)(fmax(free_gib, 0) * (1 << 30)) : -1;
		struct host_info *rec = vm_known_host(s, v, i);
		if (rec == NULL)
			continue; /* out of memory: as hosts_hint, nothing learned */
		/* the idle CPU is hint_age's to tell (vm_hints): keep what it said (a record
		 * just made has no hint) */
		double idle = s->hint_util != NULL && rec->hint_time > 0 ? rec->cpu_idle : -1;
		hosts_hint_record(rec, free_memory, idle, wall);
		hosts_hint_incoming_record(rec, s->incoming[sc->host[i]]);
	}
	if (!v->known_local)
		v->known_local = vm_known_in_order(s, v);
}

static void
vm_sample(struct sim *s, int tid, struct vm *v, double t)
{
	const struct simconf *sc = v->sc;
	double interval = v->dec.interval, elapsed = t - v->last_sample;
	double u = s->util[sc->host[v->loc]];
	double value = model_indicator(&v->spec->model, v->spec->ind, v->d, u,
	    elapsed > 0 ? elapsed : interval, interval, v->q);
	int known = !v->skip_sensor;
	const char *loc = vm_host_name(s, v, v->believed);
	struct decide_input in = { .sample = { .known = known, .value = known ? value : 0,
		.time = s->sf->start + (int64_t)t }, .location = loc,
		.at_home = sc->at_home[v->believed],
		.busy = !sim_thesis(s) && v->mv_active, .busy_why = "a move is in flight",
		.mono = t, .wall = (double)s->sf->start + t, .terse = !v->traced };
	struct decide_result r;

	sim_local_time(s, tid, in.sample.time, &in.local); /* in the simulation's timezone */
	vm_look(s, v, t);
	v->last_sample = t;
	decide_cycle(&v->dec, &in, &r);
	if (r.measured) {
		v->st.measured++;
		v->st.gain_sum += r.efficacy.gain;
	}
	if (known) {
		v->st.samples++;
		vm_sla(v, value, elapsed, &r);
	}
	if (r.counters.resting != v->resting) {
		vm_checkpoint(v, t);
		v->resting = r.counters.resting;
	}
	v->skip_sensor = r.counters.skip_sensor;
	if (v->traced)
		vm_cycle_event(s, tid, v, t, value, known, &r);
	if (v->said != NULL)
		said_cycle(v->said, &r, &sc->su->set.hold, &in.local, vm_said_emit,
		    &(struct vm_said_to){ s, tid, v, t });
	vm_outcome(s, tid, v, &r, t);
	/* the thesis's scripts slept after a request, and so does the agent */
	if (v->next_sample != INFINITY)
		v->next_sample = t + interval +
		    (r.kind == DECIDE_REQUEST ? v->guard->cooldown : 0);
}

/* Everything of one VM inside [t0, t1), in time order. */
void
vm_step(struct sim *s, int tid, struct vm *v, double t1)
{
	for (;;) {
		double tm = v->mv_active ? v->mv_end : INFINITY, ts = v->next_sample;
		if (tm >= t1 && ts >= t1)
			return;
		if (tm <= ts)
			vm_finish_move(s, tid, v);
		else
			vm_sample(s, tid, v, ts);
	}
}

void
vm_demand(struct vm *v, const struct stepinfo *si)
{
	/* two draws every step whatever happens: --compare's runs share the noise */
	double qn = rng_uniform(&v->noise);

	v->q = rng_uniform(&v->noise);
	double z = v->spec->demand.noise > 0 ? rng_norm_quantile(qn) : 0;
	v->d = gen_value(&v->demand, si->t, si->epoch, si->wday, si->local, z);
}
