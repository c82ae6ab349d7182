/* SPDX-License-Identifier: ISC */
/* A simulated VM's moves: how long they take, whether they fail, and what follows. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

static int
sim_outage(const struct simfile *sf, int host, double t0, double t1)
{
	for (size_t i = 0; i < sf->noutages; i++)
		if (sf->outages[i].host == host && sf->outages[i].from < t1 && sf->outages[i].to > t0)
			return 1;
	return 0;
}

/* T_M: live within an array, longer to or from the base, much longer across sites
 * (thesis 5.5: up to 22 minutes away, 3.5 to 9.5 back home). */
static double
vm_move_time(const struct sim *s, struct vm *v, int from, int to, int cross)
{
	const struct migration *m = &s->sf->mig;
	double u = rng_uniform(&v->moves), mean, spread;

	if (cross)
		mean = m->site, spread = m->site_spread;
	else if (to == v->sc->base || from == v->sc->base)
		mean = m->base, spread = m->base_spread;
	else
		mean = m->live, spread = m->live_spread;
	return mean * (1 + spread * (2 * u - 1));
}

/* A move between the sites is not live. */
static int
vm_cross(const struct vm *v, int from, int to)
{
	return (v->sc->cls[from] == CLASS_AWAY) != (v->sc->cls[to] == CLASS_AWAY);
}

/* A move that waited for the step's end gets a slot at its target, or is refused. */
static void
vm_admit(struct sim *s, struct vm *v, double t)
{
	const struct simfile *sf = s->sf;
	int h = v->sc->host[v->mv_target];

	v->mv_pending = 0;
	v->mv_start = t;
	if (s->incoming[h] >= sf->mig.max_incoming) {
		v->mv_fail = 1;
		v->mv_why = "refused: the target host has all its incoming migration slots taken";
		v->mv_failure = VMM_FAIL_REFUSED;
		v->mv_detail = "the target host has all its incoming migration slots taken";
		v->mv_end = t + sf->mig.fail_unreachable;
	} else if (sim_outage(sf, h, t, t + v->mv_dur)) {
		v->mv_fail = 1;
		v->mv_why = "timeout: the target host is down";
		v->mv_failure = VMM_FAIL_TIMEOUT;
		v->mv_detail = "the target host is down";
		v->mv_end = t + sf->mig.fail_after;
	} else {
		s->incoming[h]++;
		v->mv_end = t + v->mv_dur;
	}
	/* it starts now, or (refused) never arrives */
	if (v->mv_failure != VMM_FAIL_REFUSED)
		sim_note_start(s, v, v->mv_target, t, v->mv_end);
}

/* What sim_arrivals needs of VM i, in the dense arrays: set after its step and after it
 * is admitted, so that the serial count does not read every VM's struct. */
void
sim_vm_move_where(struct sim *s, size_t i)
{
	const struct vm *v = &s->vms[i];

	s->vm_at[i] = v->sc->host[v->loc];
	s->vm_to[i] = v->mv_active && !v->mv_fail && !v->mv_pending ? v->sc->host[v->mv_target] : -1;
	s->vm_pend[i] = v->mv_active && v->mv_pending;
}

void
sim_arrivals(struct sim *s)
{
	for (size_t h = 0; h < s->sf->nhosts; h++)
		s->incoming[h] = 0;
	for (size_t i = 0; i < s->nvms; i++)
		if (s->vm_to[i] >= 0)
			s->incoming[s->vm_to[i]]++;
	for (size_t i = 0; i < s->nvms; i++)
		if (s->vm_pend[i]) {
			vm_admit(s, &s->vms[i], s->cur.t);
			sim_vm_move_where(s, i);
		}
	for (size_t h = 0; h < s->sf->nhosts; h++) {
		if (s->incoming[h] > s->incoming_peak[h])
			s->incoming_peak[h] = s->incoming[h];
		s->mem_used[h] = 0;
	}
	/* an arriving VM's memory is taken on its target already (libvirt allocates it there
	 * when the migration starts), and still on its source; adding 0 changes nothing */
	for (size_t i = 0; s->any_memory && i < s->nvms; i++) {
		s->mem_used[s->vm_at[i]] += s->vm_mem[i];
		if (s->vm_to[i] >= 0)
			s->mem_used[s->vm_to[i]] += s->vm_mem[i];
	}
}

void
vm_start_move(struct sim *s, struct vm *v, int target, enum vmm_action act, int cross, double t)
{
	const struct simfile *sf = s->sf;
	double dur = vm_move_time(s, v, v->loc, target, cross);

	v->mv_active = 1;
	v->mv_target = target;
	v->mv_from = v->loc;
	v->mv_cross = cross;
	v->mv_act = act;
	v->mv_start = t;
	v->mv_fail = v->mv_pending = 0;
	v->mv_why = v->mv_detail = NULL;
	v->mv_failure = VMM_FAIL_NONE;
	if (sim_outage(sf, -1, t, t)) {
		v->mv_fail = 1;
		v->mv_why = "unreachable: the management server is down";
		v->mv_failure = VMM_FAIL_UNREACHABLE;
		v->mv_detail = "the management server is down";
		v->mv_end = t + sf->mig.fail_unreachable;
	} else if (sf->mig.max_incoming > 0 && !cross) {
		/* each arriving live migration holds one of the target's slots until it ends;
		 * slots are given out at the step's end, in VM order, so that the result does
		 * not depend on the threads */
		v->mv_pending = 1;
		v->mv_dur = dur;
		v->mv_end = INFINITY;
	} else if (sim_outage(sf, v->sc->host[target], t, t + dur)) {
		v->mv_fail = 1;
		v->mv_why = "timeout: the target host is down";
		v->mv_failure = VMM_FAIL_TIMEOUT;
		v->mv_detail = "the target host is down";
		v->mv_end = t + sf->mig.fail_after;
	} else {
		v->mv_end = t + dur;
		if (cross) {
			/* not live: the VM (and its agent) is down until it boots at the target */
			vm_checkpoint(v, t);
			v->down = 1;
			v->next_sample = INFINITY;
		}
	}
	/* a move waiting for a slot is noted when it gets one (vm_admit) */
	if (!v->mv_pending)
		sim_note_start(s, v, target, t, v->mv_end);
}

/* After a cold move the agent starts again: a new policy instance and guard; what it
 * learned of the hosts was on disk (state_dir/hosts) and stays. */
static void
vm_restart(struct sim *s, int tid, struct vm *v, double t)
{
	const struct vmm_policy_ops *po = setup_policy(v->sc->su);
	char err[512];

	vm_checkpoint(v, t);
	po->fini(v->pstate);
	v->pstate = NULL;
	if (po->init(&vmm_host_api, v->sc->su->conf, &v->sc->env, &v->pstate, err, sizeof(err)) < 0) {
		/* it started with the same conf a moment ago */
		fprintf(stderr, "vmmanage-sim: %s: policy restart failed: %s\n", v->name, err);
		abort();
	}
	v->dec.policy_state = v->pstate;
	vm_guard_init(s, v);
	if (v->dec.damp != NULL)
		damper_init(&v->damp, &v->sc->su->set.damping, t);
	v->resting = v->skip_sensor = 0;
	v->last_sample = t;
	v->next_sample = t + v->dec.interval;
	vm_sim_start(s, tid, v, t);
}

/* The outcome's bookkeeping, as the daemon does it (decide_moved): in the thesis's mode
 * the decider learns nothing and only the guard counts the ping-pongs. */
static void
vm_moved(struct sim *s, struct vm *v, double t, struct decide_moved *o)
{
	struct decide_move m = { .outcome = v->mv_fail ? VMM_MOVE_FAILED : VMM_MOVE_CONFIRMED,
		.from = vm_host_name(s, v, v->mv_from), .target = vm_host_name(s, v, v->mv_target),
		.took = t - v->mv_start, .failure = v->mv_failure, .detail = v->mv_detail,
		.cross_site = v->mv_cross, .mono = t, .wall = (double)s->sf->start + t };

	decide_moved(&v->dec, &m, o);
}

static void
vm_move_failed(struct sim *s, int tid, struct vm *v, double t)
{
	struct decide_moved o;

	vm_moved(s, v, t, &o);
	v->st.failed++;
	if (!sim_thesis(s))
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = {
		    .target = vm_host_name(s, v, v->mv_target), .detail = v->mv_detail,
		    .failure = v->mv_failure, .wait = o.wait, .failures = o.failures } });
	vm_event(s, tid, v, t, "failed", v->mv_act, v->mv_from, v->mv_target, NULL, v->mv_why);
}

static void
vm_move_done(struct sim *s, int tid, struct vm *v, double t)
{
	double took = t - v->mv_start, down = v->mv_cross ? took : s->sf->mig.downtime;
	struct decide_moved o;
	char detail[64];

	vm_checkpoint(v, t);
	vm_moved(s, v, t, &o);
	v->loc = v->mv_target;
	v->down = 0;
	v->st.moves++;
	v->st.hour_mov[sim_hour(s, t)]++;
	v->st.move_time_sum += took;
	v->st.down_s += down;
	v->st.sla_s += down;
	if (o.pingpong)
		v->st.pingpong++;
	if (!sim_thesis(s)) {
		if (o.warn)
			vm_warning(s, tid, v, t, o.why);
		v->believed = v->loc;
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CONFIRMED,
		    .u.confirmed = { .target = vm_host_name(s, v, v->mv_target), .seconds = took } });
	}
	snprintf(detail, sizeof(detail), "%.1f s", took);
	vm_event(s, tid, v, t, sim_thesis(s) ? "moved" : "confirmed", v->mv_act, v->mv_from,
	    v->mv_target, NULL, detail);
	if (v->mv_cross)
		vm_restart(s, tid, v, t);
}

void
vm_finish_move(struct sim *s, int tid, struct vm *v)
{
	double t = v->mv_end;

	v->mv_active = 0;
	v->st.moving_s += t - v->mv_start;
	if (v->mv_fail)
		vm_move_failed(s, tid, v, t);
	else
		vm_move_done(s, tid, v, t);
	/* the thesis's management server ran the requests that came while it was busy */
	if (v->nqueue > 0) {
		int target = v->queue[0];
		enum vmm_action act = v->queue_act[0];
		memmove(v->queue, v->queue + 1, (size_t)(v->nqueue - 1) * sizeof(v->queue[0]));
		memmove(v->queue_act, v->queue_act + 1, (size_t)(v->nqueue - 1) * sizeof(v->queue_act[0]));
		v->nqueue--;
		if (target != v->loc)
			vm_start_move(s, v, target, act, vm_cross(v, v->loc, target), t);
	}
}
