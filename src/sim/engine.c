/* SPDX-License-Identifier: ISC */
/* The simulator's engine: lock-step over simulated time. Each step the hosts' loads are
 * summed from where the VMs are (serially, so the sums never depend on the thread count);
 * then every VM, on its own, takes its samples and finishes its moves within the step,
 * through the same decider, policy modules and guard as the daemon (src/core/decide.c). VMs
 * are split over threads in fixed ranges and their log lines are written in VM order, so
 * the output is the same for any number of threads. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/localtime.h"
#include "sim/engine.h"

struct worker_arg {
	struct sim *s;
	int id;
	size_t lo, hi;
};

static void
sim_stepinfo(const struct sim *s, double t, struct stepinfo *si)
{
	time_t e = (time_t)(s->sf->start + (int64_t)t);
	struct tm tm;

	si->t = t;
	si->epoch = (int64_t)e;
	vmm_localtime((int64_t)e, &tm);
	si->wday = tm.tm_wday;
	si->local = (double)si->epoch + (double)tm.tm_gmtoff + (t - floor(t));
}

/* vmm_local_time_of's answer, from a per-thread cache of the minute: the same fields,
 * without a tzset and a localtime_r per sample. A minute with a change of offset in it,
 * or an offset that is not whole minutes, goes to vmm_local_time_of every time. */
void
sim_local_time(struct sim *s, int tid, int64_t t, struct vmm_local_time *out)
{
	struct sim_ltcache *c = &s->ltc[tid];
	int64_t m;

	/* the cached minute's own samples first: two divisions a sample, nearly half of this */
	if (c->minute != INT64_MIN && t >= c->minute && (uint64_t)t - (uint64_t)c->minute < 60)
		m = c->minute;
	else
		m = t - ((t % 60) + 60) % 60;
	if (c->minute != m) {
		struct vmm_local_time end;

		vmm_local_time_of(m, &c->lt);
		vmm_local_time_of(m + 59, &end);
		c->minute = m;
		c->ok = c->lt.valid && end.valid && c->lt.second == 0 &&
		    end.utc_offset == c->lt.utc_offset;
	}
	if (!c->ok) {
		vmm_local_time_of(t, out);
		return;
	}
	*out = c->lt;
	out->second = (int)(t - m);
}

static void
sim_loads(struct sim *s)
{
	const struct simfile *sf = s->sf;
	const struct stepinfo *si = &s->cur;

	for (size_t h = 0; h < sf->nhosts; h++) {
		double qn = rng_uniform(&s->bgrng[h]);
		double z = sf->hosts[h].bg.noise > 0 ? rng_norm_quantile(qn) : 0;
		s->load[h] = gen_value(&s->bg[h], si->t, si->epoch, si->wday, si->local, z);
	}
	/* from two dense arrays the VMs keep, not from each VM's struct: this loop is the
	 * serial part of every step */
	for (size_t i = 0; i < s->nvms; i++)
		if (s->vm_host[i] >= 0)
			s->load[s->vm_host[i]] += s->vm_d[i];
	if (sf->mig.load_source > 0 || sf->mig.load_target > 0)
		for (size_t h = 0; h < sf->nhosts; h++)
			s->load[h] += s->mload[h];
	for (size_t h = 0; h < sf->nhosts; h++)
		s->util[h] = s->load[h] / sf->hosts[h].capacity;
	sim_arrivals(s);
}

static void
sim_vm_where(struct sim *s, size_t i)
{
	const struct vm *v = &s->vms[i];

	s->vm_host[i] = v->down ? -1 : v->sc->host[v->loc];
	s->vm_d[i] = v->d;
	sim_vm_move_where(s, i);
}

/* Ask for what the next VM's cycle reads while this one runs: 10,000 VMs' tables and
 * states are far from the cache, and each cycle waited for them one by one. Only a hint
 * to the processor; a guess that misses costs nothing but the fetch. */
static void
sim_prefetch(const struct vm *v)
{
	const struct host_table *k = &v->known;

	__builtin_prefetch(v->pstate);
	__builtin_prefetch(v->guard);
	__builtin_prefetch(&v->damp);
	__builtin_prefetch(&v->eff.recent[v->eff.next < EFFICACY_MAX_WINDOW ? v->eff.next : 0]);
	__builtin_prefetch(&v->eff.nrecent);
	if (k->keys != NULL && k->nkeys == k->nhosts) {
		__builtin_prefetch(k->keys);
		__builtin_prefetch((const char *)k->keys + 64);
	}
	/* a host's records are made in the order of the conf's hosts (the first look) */
	if (v->believed >= 0 && (size_t)v->believed < k->nhosts)
		__builtin_prefetch(&k->hosts[v->believed].mean);
}

static void
sim_range(struct sim *s, int tid, size_t lo, size_t hi)
{
	double t0 = s->cur.t, t1 = s->next.t;

	sim_set_thread(tid);
	for (size_t i = lo; i < hi; i++) {
		if (i + 1 < hi)
			sim_prefetch(&s->vms[i + 1]);
		if (s->o->hindsight)
			vm_hindsight(s, &s->vms[i], t0, t1);
		if (s->hint_util != NULL)
			vm_hints(s, &s->vms[i], s->k, t0);
		vm_step(s, tid, &s->vms[i], t1);
		vm_demand(&s->vms[i], &s->next);
		sim_vm_where(s, i);
	}
}

static void *
sim_worker(void *arg)
{
	struct worker_arg *w = arg;
	struct sim *s = w->s;

	/* wait until the main thread knows how many threads started */
	pthread_mutex_lock(&s->gate_m);
	while (s->gate == 0)
		pthread_cond_wait(&s->gate_c, &s->gate_m);
	int go = s->gate > 0 && w->id < s->nthreads;
	pthread_mutex_unlock(&s->gate_m);
	while (go) {
		pthread_barrier_wait(&s->bar);
		if (s->done)
			break;
		sim_range(s, w->id, w->lo, w->hi);
		pthread_barrier_wait(&s->bar);
	}
	return NULL;
}

static void
sim_gate(struct sim *s, int value)
{
	pthread_mutex_lock(&s->gate_m);
	s->gate = value;
	pthread_cond_broadcast(&s->gate_c);
	pthread_mutex_unlock(&s->gate_m);
}

/* Start the workers; as many as start (at least the main thread) share the VMs. */
static int
sim_threads_start(struct sim *s, pthread_t *th, struct worker_arg *args)
{
	int n = 1;

	pthread_mutex_init(&s->gate_m, NULL);
	pthread_cond_init(&s->gate_c, NULL);
	for (int i = 1; i < s->nthreads; i++) {
		args[i] = (struct worker_arg){ .s = s, .id = i };
		if (pthread_create(&th[i], NULL, sim_worker, &args[i]) != 0)
			break;
		n++;
	}
	s->nthreads = n;
	if (n > 1 && pthread_barrier_init(&s->bar, NULL, (unsigned)n) != 0)
		s->nthreads = 1;
	for (int i = 0; i < n; i++) {
		args[i].s = s;
		args[i].id = i;
		args[i].lo = s->nvms * (size_t)i / (size_t)s->nthreads;
		args[i].hi = s->nvms * (size_t)(i + 1) / (size_t)s->nthreads;
	}
	sim_gate(s, s->nthreads > 1 ? 1 : -1);
	return n;
}

static void
sim_threads_stop(struct sim *s, pthread_t *th, int started)
{
	if (s->nthreads > 1) {
		s->done = 1;
		pthread_barrier_wait(&s->bar);
	}
	for (int i = 1; i < started; i++)
		pthread_join(th[i], NULL);
	if (s->nthreads > 1)
		pthread_barrier_destroy(&s->bar);
	pthread_mutex_destroy(&s->gate_m);
	pthread_cond_destroy(&s->gate_c);
}

static void
sim_flush(struct sim *s)
{
	for (int i = 0; i < s->nthreads; i++) {
		if (s->o->events != NULL && s->events[i].len > 0)
			fwrite(s->events[i].p, 1, s->events[i].len, s->o->events);
		if (s->o->log != NULL && s->log[i].len > 0)
			fwrite(s->log[i].p, 1, s->log[i].len, s->o->log);
		vmm_buf_reset(&s->events[i]);
		vmm_buf_reset(&s->log[i]);
	}
}

static void
sim_loop(struct sim *s)
{
	pthread_t th[64];
	struct worker_arg args[64];
	int started = sim_threads_start(s, th, args);

	sim_stepinfo(s, 0, &s->cur);
	for (size_t i = 0; i < s->nvms; i++) {
		struct vm *v = &s->vms[i];
		vm_event(s, 0, v, 0, "start", VMM_ACT_NONE, -1, v->loc, NULL, v->sc->su->set.policy);
		vm_sim_start(s, 0, v, 0);
		vm_demand(v, &s->cur);
		sim_vm_where(s, i);
	}
	sim_flush(s);
	for (size_t k = 0; k < s->nsteps; k++) {
		double t1 = (double)(k + 1) * s->step;
		sim_stepinfo(s, t1 < s->sf->duration ? t1 : s->sf->duration, &s->next);
		sim_loads(s);
		s->k = k;
		sim_hints_record(s, k);
		if (s->nthreads > 1) {
			pthread_barrier_wait(&s->bar);
			sim_range(s, 0, args[0].lo, args[0].hi);
			pthread_barrier_wait(&s->bar);
		} else
			sim_range(s, 0, 0, s->nvms);
		if (sim_count_arrivals(s, s->cur.t, s->next.t) < 0)
			s->oom = 1;
		sim_flush(s);
		s->cur = s->next;
	}
	sim_threads_stop(s, th, started);
	for (size_t i = 0; i < s->nvms; i++) {
		struct vm *v = &s->vms[i];
		vm_checkpoint(v, s->sf->duration);
		if (v->said != NULL) /* as the agent's stop: what was counted is said */
			said_close(v->said, vm_said_emit,
			    &(struct vm_said_to){ s, 0, v, s->sf->duration });
	}
	sim_flush(s);
}

static double
sim_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct sim_result *
sim_run(const struct simfile *sf, const struct sim_opts *o, char *err, size_t errlen)
{
	struct sim s = { .sf = sf, .o = o };
	struct sim_result *r = NULL;
	double t0 = sim_clock();

	s.nhours = (size_t)ceil(sf->duration / 3600);
	s.nthreads = o->threads < 1 ? 1 : o->threads > 64 ? 64 : o->threads;
	if (sim_vms(&s, err, errlen) == 0) {
		if ((size_t)s.nthreads > s.nvms)
			s.nthreads = (int)s.nvms;
		s.step = sf->step > 0 ? sf->step : sim_default_step(&s);
		s.nsteps = (size_t)ceil(sf->duration / s.step);
		if (sim_hosts(&s, err, errlen) == 0 && sim_hints_init(&s, err, errlen) == 0) {
			if (!o->check)
				sim_loop(&s);
			if (s.oom)
				snprintf(err, errlen, "out of memory counting the moves");
			else if ((r = sim_result(&s, sim_clock() - t0)) == NULL)
				snprintf(err, errlen, "out of memory");
		}
	}
	sim_free(&s);
	return r;
}
