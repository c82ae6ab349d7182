/* SPDX-License-Identifier: ISC */
/* What the fleet does to the hosts, and what each VM could have had: the moves arriving at
 * each host (the most under way at once, the most started in one minute), the load a move
 * adds to both ends while it runs, and each VM's SLA had it stayed on one host (hindsight).
 * Moves are noted by the thread that starts them and counted after the step, in the order
 * of their start, so the figures do not depend on the number of threads. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

/* the thread running sim_range: vm_start_move has no thread argument */
static _Thread_local int sim_tid;

void
sim_set_thread(int tid)
{
	sim_tid = tid;
}

void
sim_note_start(struct sim *s, const struct vm *v, int target, double t, double end)
{
	struct sim_startvec *sv = &s->started[sim_tid];

	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? 2 * sv->cap : 64;
		struct sim_started *p = realloc(sv->p, cap * sizeof(*p));
		if (p == NULL) {
			sv->oom = 1; /* the figures would be short: the run says so and fails */
			return;
		}
		sv->p = p;
		sv->cap = cap;
	}
	sv->p[sv->n++] = (struct sim_started){ .t = t, .end = end,
		.from = v->sc->host[v->loc], .to = v->sc->host[target], .loads = !v->mv_fail };
}

static int
sim_started_cmp(const void *a, const void *b)
{
	const struct sim_started *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static int
sim_push_end(struct sim_incoming *in, double end)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 8;
		double *p = realloc(in->end, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		in->end = p;
		in->cap = cap;
	}
	in->end[in->n++] = end;
	return 0;
}

/* One start at its host: the moves still under way there, and the minute's count. */
static int
sim_arrive(struct sim_incoming *in, const struct sim_started *m)
{
	size_t k = 0;
	int64_t minute = (int64_t)floor(m->t / 60);

	for (size_t i = 0; i < in->n; i++)
		if (in->end[i] > m->t)
			in->end[k++] = in->end[i];
	in->n = k;
	if (sim_push_end(in, m->end) < 0)
		return -1;
	in->a.total++;
	if (in->n > in->a.max_concurrent) {
		in->a.max_concurrent = (unsigned)in->n;
		in->a.max_concurrent_t = m->t;
	}
	in->in_minute = minute == in->minute ? in->in_minute + 1 : 1;
	in->minute = minute;
	if (in->in_minute > in->a.max_minute) {
		in->a.max_minute = in->in_minute;
		in->a.max_minute_t = m->t;
	}
	return 0;
}

/* The load of the moves under way in [t0, t1), spread over the step after it: a host's
 * load is summed before the VMs run, so a move counts one step late, for the share of
 * the step it ran. */
static void
sim_move_load(struct sim *s, double t0, double t1)
{
	const struct migration *mg = &s->sf->mig;
	size_t k = 0;

	for (size_t h = 0; h < s->sf->nhosts; h++)
		s->mload[h] = 0;
	for (size_t i = 0; i < s->nmoving; i++) {
		const struct sim_started *m = &s->moving[i];
		double a = m->t > t0 ? m->t : t0, b = m->end < t1 ? m->end : t1;
		if (b > a && t1 > t0) {
			s->mload[m->from] += mg->load_source * (b - a) / (t1 - t0);
			s->mload[m->to] += mg->load_target * (b - a) / (t1 - t0);
		}
		if (m->end > t1)
			s->moving[k++] = *m;
	}
	s->nmoving = k;
}

static int
sim_keep_moving(struct sim *s, const struct sim_started *m)
{
	if (!m->loads || (s->sf->mig.load_source <= 0 && s->sf->mig.load_target <= 0))
		return 0;
	if (s->nmoving == s->capmoving) {
		size_t cap = s->capmoving ? 2 * s->capmoving : 64;
		struct sim_started *p = realloc(s->moving, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		s->moving = p;
		s->capmoving = cap;
	}
	s->moving[s->nmoving++] = *m;
	return 0;
}

/* After the step [t0, t1): the moves its threads started, at their hosts. */
int
sim_count_arrivals(struct sim *s, double t0, double t1)
{
	struct sim_startvec *all = &s->started[0];

	for (int i = 0; i < s->nthreads; i++)
		if (s->started[i].oom)
			return -1;
	for (int i = 1; i < s->nthreads; i++) {
		struct sim_startvec *sv = &s->started[i];
		for (size_t j = 0; j < sv->n; j++) {
			/* the first thread's vector takes the others' */
			if (all->n == all->cap) {
				size_t cap = all->cap ? 2 * all->cap : 64;
				struct sim_started *p = realloc(all->p, cap * sizeof(*p));
				if (p == NULL)
					return -1;
				all->p = p;
				all->cap = cap;
			}
			all->p[all->n++] = sv->p[j];
		}
		sv->n = 0;
	}
	if (all->n > 1)
		qsort(all->p, all->n, sizeof(*all->p), sim_started_cmp);
	for (size_t j = 0; j < all->n; j++)
		if (sim_arrive(&s->arrivals_at[all->p[j].to], &all->p[j]) < 0 ||
		    sim_keep_moving(s, &all->p[j]) < 0)
			return -1;
	all->n = 0;
	if (s->nmoving > 0)
		sim_move_load(s, t0, t1);
	return 0;
}

/* Had the VM stayed on each host of its conf for the whole run, with the others where they
 * were: the SLA over [t0, t1) with the same demand and quantile, on each host alone, and
 * on the best of them (what no policy can beat in this model). */
void
vm_hindsight(struct sim *s, struct vm *v, double t0, double t1)
{
	const struct simconf *c = v->sc;
	double len = t1 - t0, interval = v->dec.interval;
	int best = 0;

	if (isnan(v->sla) || !(len > 0) || v->st.hind == NULL)
		return;
	for (size_t i = 0; i < c->nlocal; i++) {
		int h = c->host[i];
		int here = !v->down && c->host[v->loc] == h;
		double u = (s->load[h] + (here ? 0 : v->d)) / s->sf->hosts[h].capacity;
		double x = model_indicator(&v->spec->model, v->spec->ind, v->d, u, len, interval, v->q);
		if (v->spec->ind == IND_SLOW)
			x = x * interval / len;
		int worse = c->su->set.direction == VMM_LOWER_IS_WORSE ? x < v->sla : x > v->sla;
		if (worse)
			v->st.hind[i] += len;
		else
			best = 1;
	}
	if (!best)
		v->st.hind_lower += len;
}

/* hint_age: what the endpoint says of the hosts (their idle CPU, as libvirt's hint does)
 * reaches the agent hint_age seconds late. Each step's use of every host goes into a ring
 * as long as the age; each VM is told the oldest. */
int
sim_hints_init(struct sim *s, char *err, size_t errlen)
{
	if (isnan(s->sf->hint_age) || sim_thesis(s))
		return 0;
	s->hint_steps = (size_t)ceil(s->sf->hint_age / s->step) + 1;
	s->hint_util = calloc(s->hint_steps * s->sf->nhosts, sizeof(*s->hint_util));
	if (s->hint_util != NULL)
		return 0;
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
sim_hints_record(struct sim *s, size_t k)
{
	if (s->hint_util == NULL)
		return;
	memcpy(&s->hint_util[(k % s->hint_steps) * s->sf->nhosts], s->util,
	    s->sf->nhosts * sizeof(*s->util));
}

/* Step k's view, hint_age old (before the start: the first step's). */
void
vm_hints(struct sim *s, struct vm *v, size_t k, double t)
{
	size_t back = s->hint_steps - 1, old = k > back ? k - back : 0;
	const double *u = &s->hint_util[(old % s->hint_steps) * s->sf->nhosts];
	double seen = t - (double)(k - old) * s->step;

	for (size_t i = 0; i < v->sc->nlocal; i++) {
		double idle = 1 - u[v->sc->host[i]];
		struct host_info *h = vm_known_host(s, v, i);
		if (h == NULL)
			continue; /* out of memory: as hosts_hint, nothing learned */
		/* the free memory is the look's to tell (vm_look): keep what it said (a record
		 * just made has no hint) */
		hosts_hint_record(h, h->hint_time > 0 ? h->free_memory : -1,
		    idle < 0 ? 0 : idle > 1 ? 1 : idle, (double)s->sf->start + seen);
	}
	if (!v->known_local)
		v->known_local = vm_known_in_order(s, v);
}
