/* The simulator's engine: lock-step over simulated time. Each step the hosts' loads are
 * summed from where the VMs are (serially, so the sums never depend on the thread count);
 * then every VM, on its own, takes its samples and finishes its moves within the step,
 * through the same decider, policy modules and guard as the daemon (src/decide.c). VMs
 * are split over threads in fixed ranges and their log lines are written in VM order, so
 * the output is the same for any number of threads. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/localtime.h"
#include "decide.h"
#include "host.h"
#include "journal.h"
#include "setup.h"
#include "sim/sim.h"

#define SIM_QUEUE 4

/* One distinct vmmanage.conf, loaded once, shared by the VMs that name it. */
struct simconf {
	char *path;
	struct setup *su;
	struct topology topo;
	size_t topo_index;
	size_t nlocal;
	int *host;                  /* local index -> simulation host */
	enum host_class *cls;       /* local index -> array, base or away */
	int *at_home;               /* local index -> target_at_home() */
	int base;                   /* local index of the base, -1 */
	int first;                  /* where a VM starts by default */
	struct vmm_policy_env env;
};

struct vm {
	char *name;
	const struct sim_vmspec *spec;
	struct simconf *sc;
	size_t copy;                /* which of the spec's count */
	void *pstate;
	struct guard guard;
	struct host_table known;
	struct damper damp;
	struct efficacy eff;
	struct decider dec;
	struct rng noise, moves;
	struct gen_state demand;
	double sla;
	int loc, believed;          /* local indexes; believed: where the agent thinks it is */
	double d, q;                /* this step's demand and indicator quantile */
	double next_sample, last_sample, since;
	int resting, skip_sensor, down, traced;
	/* the move with the endpoint, and (thesis) the ones queued behind it */
	int mv_active, mv_target, mv_from, mv_cross, mv_fail;
	enum vmm_action mv_act;
	double mv_start, mv_end;
	const char *mv_why;         /* a failure in the events CSV: "timeout: the target host is down" */
	enum vmm_failure mv_failure; /* and as the endpoint would say it: its class and detail */
	const char *mv_detail;
	int queue[SIM_QUEUE];
	enum vmm_action queue_act[SIM_QUEUE];
	int nqueue;
	struct vm_stats st;
};

struct buf {
	char *p;
	size_t len, cap;
};

struct stepinfo {
	double t;
	int64_t epoch;
	int wday;
	double local;
};

struct sim {
	const struct simfile *sf;
	const struct sim_opts *o;
	struct simconf *confs;
	size_t nconfs;
	struct vm *vms;
	size_t nvms, nhours, nsteps;
	double step;
	struct gen_state *bg;
	struct rng *bgrng;
	double *load, *util;
	int *endpoint_down;         /* per step */
	struct stepinfo cur, next;
	/* threads */
	int nthreads;
	pthread_barrier_t bar;
	pthread_mutex_t gate_m;
	pthread_cond_t gate_c;
	int gate;                   /* 1: go, -1: stop before starting */
	struct buf *events, *log;   /* per thread */
	size_t k;                   /* the step being run */
	int done;
};

struct worker_arg {
	struct sim *s;
	int id;
	size_t lo, hi;
};

/* ---- small helpers ---- */

static int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
}

static void
sim_stepinfo(const struct sim *s, double t, struct stepinfo *si)
{
	time_t e = (time_t)(s->sf->start + (int64_t)t);
	struct tm tm;

	si->t = t;
	si->epoch = (int64_t)e;
	localtime_r(&e, &tm);
	si->wday = tm.tm_wday;
	si->local = (double)si->epoch + (double)tm.tm_gmtoff + (t - floor(t));
}

static const char *
vm_host_name(const struct sim *s, const struct vm *v, int local)
{
	return local < 0 ? "" : s->sf->hosts[v->sc->host[local]].name;
}

static int
vm_local(const struct sim *s, const struct vm *v, const char *name)
{
	for (size_t i = 0; i < v->sc->nlocal; i++)
		if (strcmp(s->sf->hosts[v->sc->host[i]].name, name) == 0)
			return (int)i;
	return -1;
}

static int
sim_outage(const struct simfile *sf, int host, double t0, double t1)
{
	for (size_t i = 0; i < sf->noutages; i++)
		if (sf->outages[i].host == host && sf->outages[i].from < t1 && sf->outages[i].to > t0)
			return 1;
	return 0;
}

static size_t
sim_hour(const struct sim *s, double t)
{
	size_t h = t > 0 ? (size_t)(t / 3600) : 0;

	return h < s->nhours ? h : s->nhours - 1;
}

/* Residency: the time since the last checkpoint goes to where the VM was. */
static void
vm_checkpoint(struct vm *v, double t)
{
	if (!v->down && t > v->since)
		v->st.res[2 * v->loc + (v->resting ? 1 : 0)] += t - v->since;
	v->since = t;
}

/* ---- what the VM logs: the events CSV and the collector's thesis format ---- */

static void
csv_field(struct buf *b, const char *s)
{
	buf_printf(b, "\"");
	for (; *s; s++)
		buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
	buf_printf(b, "\"");
}

static void
vm_event(struct sim *s, int tid, struct vm *v, double t, const char *event, enum vmm_action act,
    int from, int to, const struct decide_result *r, const char *detail)
{
	struct buf *b = &s->events[tid];

	if (s->o->events == NULL)
		return;
	buf_printf(b, "%.1f,%s,%s,%s,%s,%s,%s,", (double)s->sf->start + t,
	    s->o->thesis ? "thesis" : "ours", v->name, event,
	    act == VMM_ACT_NONE ? "" : vmm_action_name(act), vm_host_name(s, v, from),
	    vm_host_name(s, v, to));
	if (r != NULL && r->counters.has_low)
		buf_printf(b, "%s,%" PRId64 ",%g,%" PRId64 ",%g,", "", r->counters.count,
		    r->counters.threshold, r->counters.lowcount, r->counters.lowthreshold);
	else if (r != NULL)
		buf_printf(b, "%s,%" PRId64 ",%g,,,", "", r->counters.count, r->counters.threshold);
	else
		buf_printf(b, ",,,,,");
	csv_field(b, detail ? detail : "");
	buf_printf(b, "\n");
}

static void vm_say(struct sim *s, int tid, struct vm *v, double t, const struct journal_event *e);

static void
vm_cycle_event(struct sim *s, int tid, struct vm *v, double t, double value, int known,
    const struct decide_result *r)
{
	struct buf *b = &s->events[tid];
	const struct vmm_policy_counters *c = &r->counters;

	if (s->o->events != NULL) {
		buf_printf(b, "%.1f,%s,%s,cycle,%s,%s,,", (double)s->sf->start + t,
		    s->o->thesis ? "thesis" : "ours", v->name,
		    r->decision.action == VMM_ACT_NONE ? "" : vmm_action_name(r->decision.action),
		    vm_host_name(s, v, v->loc));
		if (known)
			buf_printf(b, "%g", value);
		buf_printf(b, ",%" PRId64 ",%g,", c->count, c->threshold);
		if (c->has_low)
			buf_printf(b, "%" PRId64 ",%g", c->lowcount, c->lowthreshold);
		buf_printf(b, ",%s\n", c->resting ? "\"resting\"" : "");
	}
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = {
	    .sensor = v->sc->su->set.sensor, .location = vm_host_name(s, v, v->believed),
	    .known = known, .value = value, .count = c->count, .threshold = c->threshold,
	    .has_low = c->has_low, .lowcount = c->lowcount, .lowthreshold = c->lowthreshold,
	    .action = r->decision.action } });
}

/* An event in the daemon's words (src/journal.c), as the collector writes it:
 * "EPOCH DATE host: message". */
static void
vm_say(struct sim *s, int tid, struct vm *v, double t, const struct journal_event *e)
{
	char msg[JOURNAL_MSG], line[JOURNAL_LINE];

	if (s->o->log == NULL)
		return;
	journal_message(e, msg, sizeof(msg));
	journal_line(line, sizeof(line), s->sf->start + (int64_t)t, v->name, msg);
	buf_printf(&s->log[tid], "%s\n", line);
}

static void
vm_note(struct sim *s, int tid, struct vm *v, double t, const char *text)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_NOTE, .u.note.text = text });
}

static void
vm_warning(struct sim *s, int tid, struct vm *v, double t, const char *text)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_WARNING, .u.note.text = text });
}

static void
vm_sim_start(struct sim *s, int tid, struct vm *v, double t)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_SIM_START, .u.sim_start = {
	    .policy = v->sc->su->set.policy, .host = vm_host_name(s, v, v->loc) } });
}

/* ---- moves ---- */

static int
sim_thesis(const struct sim *s)
{
	return s->o->thesis;
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

static void
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
	v->mv_fail = 0;
	v->mv_why = v->mv_detail = NULL;
	v->mv_failure = VMM_FAIL_NONE;
	if (sim_outage(sf, -1, t, t)) {
		v->mv_fail = 1;
		v->mv_why = "unreachable: the management server is down";
		v->mv_failure = VMM_FAIL_UNREACHABLE;
		v->mv_detail = "the management server is down";
		v->mv_end = t + sf->mig.fail_unreachable;
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
}

static void
vm_guard_init(const struct sim *s, struct vm *v)
{
	const struct settings *set = &v->sc->su->set;

	if (sim_thesis(s))
		guard_init(&v->guard, isnan(s->sf->thesis_sleep) ? set->cooldown : s->sf->thesis_sleep, 0);
	else
		guard_init(&v->guard, set->cooldown, set->max_moves_per_hour);
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

static void
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

/* ---- samples ---- */

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
		guard_request_done(&v->guard); /* nothing held back but the sleep */
	vm_event(s, tid, v, t, "request", r->action, v->believed, target, r, r->reason);
	if (r->choice[0])
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CHOICE,
		    .u.choice = { .target = r->target, .why = r->choice } });
	struct journal_event ev[2];
	size_t n = journal_request(r->action, r->target, r->reason, ev);
	for (size_t i = 0; i < n; i++)
		vm_say(s, tid, v, t, &ev[i]);
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
		guard_request_done(&v->guard);
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
		vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_SUPPRESSED,
		    .u.suppressed = { .action = r->action, .target = r->target, .origin = "policy",
		    .why = r->why } });
		break;
	case DECIDE_NOTHING:
		v->st.nothing++;
		vm_event(s, tid, v, t, "nothing", r->action, v->believed, -1, r, r->why);
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
		.mono = t, .wall = (double)s->sf->start + t };
	struct decide_result r;

	vmm_local_time_of(in.sample.time, &in.local); /* in the simulation's timezone */
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
	vm_outcome(s, tid, v, &r, t);
	/* the thesis's scripts slept after a request, and so does the agent */
	if (v->next_sample != INFINITY)
		v->next_sample = t + interval +
		    (r.kind == DECIDE_REQUEST ? v->guard.cooldown : 0);
}

/* Everything of one VM inside [t0, t1), in time order. */
static void
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

static void
vm_demand(struct vm *v, const struct stepinfo *si)
{
	/* two draws every step whatever happens: --compare's runs share the noise */
	double qn = rng_uniform(&v->noise);

	v->q = rng_uniform(&v->noise);
	double z = v->spec->demand.noise > 0 ? rng_norm_quantile(qn) : 0;
	v->d = gen_value(&v->demand, si->t, si->epoch, si->wday, si->local, z);
}

/* ---- the steps ---- */

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
	for (size_t i = 0; i < s->nvms; i++)
		if (!s->vms[i].down)
			s->load[s->vms[i].sc->host[s->vms[i].loc]] += s->vms[i].d;
	for (size_t h = 0; h < sf->nhosts; h++)
		s->util[h] = s->load[h] / sf->hosts[h].capacity;
}

static void
sim_range(struct sim *s, int tid, size_t lo, size_t hi)
{
	double t1 = s->next.t;

	for (size_t i = lo; i < hi; i++) {
		vm_step(s, tid, &s->vms[i], t1);
		vm_demand(&s->vms[i], &s->next);
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
		s->events[i].len = s->log[i].len = 0;
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
	}
	sim_flush(s);
	for (size_t k = 0; k < s->nsteps; k++) {
		double t1 = (double)(k + 1) * s->step;
		sim_stepinfo(s, t1 < s->sf->duration ? t1 : s->sf->duration, &s->next);
		sim_loads(s);
		if (s->nthreads > 1) {
			pthread_barrier_wait(&s->bar);
			sim_range(s, 0, args[0].lo, args[0].hi);
			pthread_barrier_wait(&s->bar);
		} else
			sim_range(s, 0, 0, s->nvms);
		sim_flush(s);
		s->cur = s->next;
	}
	sim_threads_stop(s, th, started);
	for (size_t i = 0; i < s->nvms; i++)
		vm_checkpoint(&s->vms[i], s->sf->duration);
}

/* ---- setting up: confs, VMs, hosts ---- */

static int sim_quiet;

static void
sim_warn(const char *msg)
{
	if (!sim_quiet)
		fprintf(stderr, "vmmanage-sim: warning: %s\n", msg);
}

static int
simconf_add_name(const char **names, size_t *n, const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return 0;
	names[(*n)++] = name;
	return 1;
}

static int
simconf_in(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* The conf's hosts (array, base, home, away) as simulation hosts. */
static int
simconf_map(const struct simfile *sf, const struct sim_vmspec *spec, struct simconf *c, char *err,
    size_t errlen)
{
	const struct settings *set = &c->su->set;
	size_t max = set->nhosts + set->nhome + set->naway + 1, n = 0;
	const char **names = calloc(max, sizeof(*names));

	c->host = calloc(max, sizeof(*c->host));
	c->cls = calloc(max, sizeof(*c->cls));
	c->at_home = calloc(max, sizeof(*c->at_home));
	if (names == NULL || c->host == NULL || c->cls == NULL || c->at_home == NULL) {
		free(names);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < set->nhosts; i++)
		simconf_add_name(names, &n, set->hosts[i]);
	for (size_t i = 0; i < set->nhome; i++)
		simconf_add_name(names, &n, set->home[i]);
	for (size_t i = 0; i < set->naway; i++)
		simconf_add_name(names, &n, set->away[i]);
	simconf_add_name(names, &n, set->base);
	c->base = -1;
	for (size_t i = 0; i < n; i++) {
		if ((c->host[i] = simfile_host(sf, names[i])) < 0) {
			snprintf(err, errlen, "%s:%d: VM '%s': %s names host '%s', which the simulation file does not define: add { name = \"%s\"; capacity = 8; cost = 0.1; } to hosts",
			    sf->path, spec->line, spec->name, c->path, names[i], names[i]);
			free(names);
			return -1;
		}
		c->cls[i] = set->base && strcmp(names[i], set->base) == 0 ? CLASS_BASE :
		    simconf_in(set->away, set->naway, names[i]) ? CLASS_AWAY : CLASS_ARRAY;
		if (c->cls[i] == CLASS_BASE)
			c->base = (int)i;
		c->at_home[i] = target_at_home(&c->topo, names[i]);
	}
	c->nlocal = n;
	free(names);
	if (n == 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': %s names no hosts: set hosts = [\"h1\", \"h2\"] (and base) in it",
		    sf->path, spec->line, spec->name, c->path);
		return -1;
	}
	c->first = 0;
	for (size_t i = 0; set->location != NULL && i < n; i++)
		if (strcmp(sf->hosts[c->host[i]].name, set->location) == 0)
			c->first = (int)i;
	return 0;
}

static struct simconf *
sim_conf(struct sim *s, const struct sim_vmspec *spec, char *err, size_t errlen)
{
	char e[2048];

	for (size_t i = 0; i < s->nconfs; i++)
		if (strcmp(s->confs[i].path, spec->conf) == 0)
			return &s->confs[i];
	struct simconf *c = &s->confs[s->nconfs];
	memset(c, 0, sizeof(*c));
	if ((c->path = strdup(spec->conf)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->nconfs++;
	if ((c->su = setup_load_policy(spec->conf, sim_warn, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s:%d: VM '%s': %s", s->sf->path, spec->line, spec->name, e);
		return NULL;
	}
	const struct settings *set = &c->su->set;
	c->topo = (struct topology){ .hosts = set->hosts, .nhosts = set->nhosts, .base = set->base,
		.home = set->home, .nhome = set->nhome, .away = set->away, .naway = set->naway };
	c->env.direction = set->direction;
	c->topo_index = s->nconfs - 1;
	return simconf_map(s->sf, spec, c, err, errlen) < 0 ? NULL : c;
}

static int
vm_traced(const struct sim_opts *o, const char *name, const char *spec)
{
	if (o->trace_all)
		return 1;
	for (const char *const *p = o->trace_vms; p != NULL && *p != NULL; p++)
		if (strcmp(*p, name) == 0 || strcmp(*p, spec) == 0)
			return 1;
	return 0;
}

static int
vm_start_host(const struct sim *s, struct vm *v, char *err, size_t errlen)
{
	const struct simconf *c = v->sc;
	const char *start = v->spec->start;

	v->loc = c->first;
	if (start == NULL)
		return 0;
	if (strcmp(start, "spread") == 0) {
		/* round the array, so that copies do not all start on one host */
		size_t n = c->topo.nhosts ? c->topo.nhosts : c->nlocal;
		v->loc = vm_local(s, v, c->topo.nhosts ? c->topo.hosts[v->copy % n] :
		    s->sf->hosts[c->host[v->copy % n]].name);
		return 0;
	}
	if ((v->loc = vm_local(s, v, start)) < 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': start = \"%s\" is not one of the hosts its conf %s names",
		    s->sf->path, v->spec->line, v->spec->name, start, c->path);
		return -1;
	}
	return 0;
}

static int
vm_init(struct sim *s, struct vm *v, const struct sim_vmspec *spec, size_t copy, char *err,
    size_t errlen)
{
	const struct settings *set = &v->sc->su->set;
	struct rng bursts;
	char e[1024];

	v->spec = spec;
	v->copy = copy;
	if (spec->count > 1 ? asprintf(&v->name, "%s-%zu", spec->name, copy + 1) < 0 :
	    (v->name = strdup(spec->name)) == NULL) {
		v->name = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rng_seed(&v->noise, s->o->seed, v->name, "noise");
	rng_seed(&v->moves, s->o->seed, v->name, "moves");
	rng_seed(&bursts, s->o->seed, v->name, "bursts");
	if (gen_state_init(&v->demand, &spec->demand, &bursts, s->sf->duration) < 0 ||
	    vm_start_host(s, v, err, errlen) < 0)
		return -1;
	e[0] = '\0';
	if (setup_policy(v->sc->su)->init(&vmm_host_api, v->sc->su->conf, &v->sc->env, &v->pstate,
	    e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': policy %s: %s", s->sf->path, spec->line, v->name,
		    set->policy, e);
		return -1;
	}
	vm_guard_init(s, v);
	if (!sim_thesis(s)) {
		hosts_init(&v->known, set->host_memory, set->retry_backoff, set->retry_backoff_max,
		    set->direction);
		damper_init(&v->damp, &set->damping, 0);
		efficacy_init(&v->eff, (size_t)set->efficacy_window, set->direction);
	}
	/* ours: the daemon's decider, damping included; the thesis: none of it */
	v->dec = (struct decider){ .policy = setup_policy(v->sc->su), .policy_state = v->pstate,
		.topo = v->sc->topo, .guard = &v->guard, .known = sim_thesis(s) ? NULL : &v->known,
		.choice = sim_thesis(s) ? TARGET_ROUND_ROBIN : (enum target_choice)set->target_choice,
		.interval = set->interval, .base = set->base,
		.damp = sim_thesis(s) ? NULL : &v->damp, .eff = sim_thesis(s) ? NULL : &v->eff,
		.direction = set->direction };
	v->believed = v->loc;
	v->sla = !isnan(spec->sla) ? spec->sla : s->sf->sla;
	v->next_sample = set->interval;
	v->traced = vm_traced(s->o, v->name, spec->name);
	v->st.res = calloc(2 * v->sc->nlocal, sizeof(*v->st.res));
	v->st.hour_req = calloc(s->nhours, sizeof(*v->st.hour_req));
	v->st.hour_mov = calloc(s->nhours, sizeof(*v->st.hour_mov));
	if (v->st.res == NULL || v->st.hour_req == NULL || v->st.hour_mov == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
vm_free(struct vm *v)
{
	if (v->pstate != NULL)
		v->dec.policy->fini(v->pstate);
	if (v->dec.known != NULL)
		hosts_free(&v->known);
	gen_state_free(&v->demand);
	free(v->name);
	free(v->st.res);
	free(v->st.hour_req);
	free(v->st.hour_mov);
}

static int
sim_vms(struct sim *s, char *err, size_t errlen)
{
	const struct simfile *sf = s->sf;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < sf->nvms; i++)
		total += (size_t)sf->vms[i].count;
	if ((s->vms = calloc(total, sizeof(*s->vms))) == NULL ||
	    (s->confs = calloc(sf->nvms, sizeof(*s->confs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sf->nvms; i++) {
		struct simconf *c = sim_conf(s, &sf->vms[i], err, errlen);
		if (c == NULL)
			return -1;
		for (size_t j = 0; j < (size_t)sf->vms[i].count; j++) {
			s->vms[k].sc = c;
			s->nvms = ++k;
			if (vm_init(s, &s->vms[k - 1], &sf->vms[i], j, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

static double
sim_default_step(const struct sim *s)
{
	double step = 3600;

	for (size_t i = 0; i < s->nconfs; i++)
		if (s->confs[i].su->set.interval < step)
			step = s->confs[i].su->set.interval;
	return step < 1 ? 1 : step;
}

static int
sim_hosts(struct sim *s, char *err, size_t errlen)
{
	const struct simfile *sf = s->sf;

	s->bg = calloc(sf->nhosts, sizeof(*s->bg));
	s->bgrng = calloc(sf->nhosts, sizeof(*s->bgrng));
	s->load = calloc(sf->nhosts, sizeof(*s->load));
	s->util = calloc(sf->nhosts, sizeof(*s->util));
	s->events = calloc((size_t)s->nthreads, sizeof(*s->events));
	s->log = calloc((size_t)s->nthreads, sizeof(*s->log));
	if (s->bg == NULL || s->bgrng == NULL || s->load == NULL || s->util == NULL ||
	    s->events == NULL || s->log == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t h = 0; h < sf->nhosts; h++) {
		struct rng r;
		rng_seed(&r, s->o->seed, sf->hosts[h].name, "bursts");
		rng_seed(&s->bgrng[h], s->o->seed, sf->hosts[h].name, "background");
		if (gen_state_init(&s->bg[h], &sf->hosts[h].bg, &r, sf->duration) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- results ---- */

static int
sim_topos(const struct sim *s, struct sim_result *r)
{
	const struct simfile *sf = s->sf;

	if ((r->topos = calloc(s->nconfs, sizeof(*r->topos))) == NULL)
		return -1;
	r->ntopos = s->nconfs;
	for (size_t i = 0; i < s->nconfs; i++) {
		const struct simconf *c = &s->confs[i];
		struct sim_topo *t = &r->topos[i];
		t->n = c->nlocal;
		t->policy = strdup(c->su->set.policy);
		t->names = calloc(c->nlocal, sizeof(*t->names));
		t->sites = calloc(c->nlocal, sizeof(*t->sites));
		t->cls = calloc(c->nlocal, sizeof(*t->cls));
		t->cost = calloc(c->nlocal, sizeof(*t->cost));
		if (t->policy == NULL || t->names == NULL || t->sites == NULL || t->cls == NULL || t->cost == NULL)
			return -1;
		for (size_t j = 0; j < c->nlocal; j++) {
			t->names[j] = sf->hosts[c->host[j]].name;
			t->sites[j] = sf->hosts[c->host[j]].site;
			t->cls[j] = c->cls[j];
			t->cost[j] = sf->hosts[c->host[j]].cost;
		}
	}
	return 0;
}

static long
sim_peak_rss(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static struct sim_result *
sim_result(struct sim *s, double seconds)
{
	struct sim_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->mode = sim_thesis(s) ? "thesis" : "ours";
	r->nvms = s->nvms;
	r->nhours = s->nhours;
	r->duration = s->sf->duration;
	r->start = s->sf->start;
	r->seconds = seconds;
	r->threads = s->nthreads;
	r->names = calloc(s->nvms, sizeof(*r->names));
	r->group = calloc(s->nvms, sizeof(*r->group));
	r->topo = calloc(s->nvms, sizeof(*r->topo));
	r->sla = calloc(s->nvms, sizeof(*r->sla));
	r->stats = calloc(s->nvms, sizeof(*r->stats));
	if (r->names == NULL || r->group == NULL || r->topo == NULL || r->sla == NULL ||
	    r->stats == NULL || sim_topos(s, r) < 0) {
		sim_result_free(r);
		return NULL;
	}
	for (size_t i = 0; i < s->nvms; i++) {
		struct vm *v = &s->vms[i];
		r->names[i] = v->name;
		v->name = NULL;
		r->group[i] = (size_t)(v->spec - s->sf->vms);
		r->topo[i] = v->sc->topo_index;
		r->sla[i] = v->sla;
		r->stats[i] = v->st;
		memset(&v->st, 0, sizeof(v->st));
	}
	r->peak_rss_kib = sim_peak_rss();
	return r;
}

void
sim_result_free(struct sim_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->names != NULL && i < r->nvms; i++) {
		free(r->names[i]);
		if (r->stats != NULL) {
			free(r->stats[i].res);
			free(r->stats[i].hour_req);
			free(r->stats[i].hour_mov);
		}
	}
	for (size_t i = 0; r->topos != NULL && i < r->ntopos; i++) {
		free(r->topos[i].policy);
		free(r->topos[i].names);
		free(r->topos[i].sites);
		free(r->topos[i].cls);
		free(r->topos[i].cost);
	}
	free(r->topos);
	free(r->names);
	free(r->group);
	free(r->topo);
	free(r->sla);
	free(r->stats);
	free(r);
}

static void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->nvms; i++)
		vm_free(&s->vms[i]);
	free(s->vms);
	for (size_t i = 0; i < s->nconfs; i++) {
		setup_free(s->confs[i].su);
		free(s->confs[i].path);
		free(s->confs[i].host);
		free(s->confs[i].cls);
		free(s->confs[i].at_home);
	}
	free(s->confs);
	for (size_t h = 0; s->bg != NULL && h < s->sf->nhosts; h++)
		gen_state_free(&s->bg[h]);
	free(s->bg);
	free(s->bgrng);
	free(s->load);
	free(s->util);
	for (int i = 0; i < s->nthreads; i++) {
		if (s->events)
			free(s->events[i].p);
		if (s->log)
			free(s->log[i].p);
	}
	free(s->events);
	free(s->log);
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

	sim_quiet = o->quiet;
	s.nhours = (size_t)ceil(sf->duration / 3600);
	s.nthreads = o->threads < 1 ? 1 : o->threads > 64 ? 64 : o->threads;
	if (sim_vms(&s, err, errlen) == 0) {
		if ((size_t)s.nthreads > s.nvms)
			s.nthreads = (int)s.nvms;
		s.step = sf->step > 0 ? sf->step : sim_default_step(&s);
		s.nsteps = (size_t)ceil(sf->duration / s.step);
		if (sim_hosts(&s, err, errlen) == 0) {
			if (!o->check)
				sim_loop(&s);
			if ((r = sim_result(&s, sim_clock() - t0)) == NULL)
				snprintf(err, errlen, "out of memory");
		}
	}
	sim_free(&s);
	return r;
}
