/* SPDX-License-Identifier: ISC */
/* The engine's private parts: a simulated VM, the conf it runs, and the run's state. */
#ifndef VMM_SIM_ENGINE_H
#define VMM_SIM_ENGINE_H

#include <pthread.h>

#include "common/buf.h"
#include "common/localtime.h"
#include "core/decide.h"
#include "core/episode.h"
#include "core/host.h"
#include "core/journal.h"
#include "core/setup.h"
#include "sim/sim.h"

#define SIM_QUEUE 4
/* What one thread may log in one step before it is written out: far above any real run
 * (10,000 VMs traced write a few MiB), a bound rather than a limit. */
#define SIM_STEP_OUTPUT_MAX ((size_t)1 << 30)

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
	struct guard *guard;         /* out of line: its request ring is 28 KiB, the rest is hot */
	struct decide_said *said;    /* ours with a log: said once per episode; NULL: each time */
	struct host_table known;
	struct damper damp;
	struct efficacy eff;
	struct forecast fc;
	struct hold_state hold;     /* the schedule's last edge, for splay */
	struct decider dec;
	struct rng noise, moves;
	struct gen_state demand;
	double sla;
	int loc, believed;          /* local indexes; believed: where the agent thinks it is */
	double d, q;                /* this step's demand and indicator quantile */
	double next_sample, last_sample, since;
	double next_look;           /* the endpoint's next look at the hosts (locate_interval) */
	int known_local;            /* record i of known is local host i (vm_known_host) */
	int resting, skip_sensor, down, traced;
	/* the move with the endpoint, and (thesis) the ones queued behind it */
	int mv_active, mv_target, mv_from, mv_cross, mv_fail;
	int mv_pending;             /* waits for a slot at the target (max_incoming) */
	double mv_dur;              /* how long it takes once it has one */
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


/* The local time of the last minute a thread asked for: every VM samples in the step's
 * minute or so, and localtime_r (with its tzset) per sample was a sixth of the run. */
struct sim_ltcache {
	int64_t minute;             /* epoch of the minute's start; INT64_MIN: none */
	int ok;                     /* the whole minute has one offset and starts on :00 */
	struct vmm_local_time lt;   /* at the minute's start */
};

/* A move started in this step, noted by its thread and counted at the host after it. */
struct sim_started {
	double t, end;
	int from, to;               /* simulation hosts */
	int loads;                  /* it runs (a move to a host that is down does not) */
};

struct sim_startvec {
	struct sim_started *p;
	size_t n, cap;
	int oom;
};

/* The moves under way to one host (their end times) and its figures. */
struct sim_incoming {
	double *end;
	size_t n, cap;
	int64_t minute;             /* of the last start counted */
	unsigned in_minute;
	struct sim_arrivals a;
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
	struct guard *guards;       /* each VM's, out of line (vm.guard) */
	size_t vms_len, guards_len; /* bytes mapped (sim_huge) */
	size_t nvms, nhours, nsteps;
	double step;
	struct gen_state *bg;
	struct rng *bgrng;
	double *load, *util;
	int *incoming;              /* per host: migrations arriving at the step's start */
	int *incoming_peak;         /* per host: the most at once, the run through */
	double *mem_used;           /* per host, GiB: the VMs there and arriving, at the step's start */
	int *vm_host;               /* per VM, as the step left it: its host, -1 down */
	double *vm_d;               /* and its demand for the next step */
	/* the same for the serial count of the moves (sim_arrivals), which read each VM's
	 * struct three times a step before */
	int *vm_at;                 /* its host, down or not */
	int *vm_to;                 /* the host its move holds a slot at; -1: none */
	unsigned char *vm_pend;     /* its move waits for a slot (max_incoming) */
	double *vm_mem;             /* its memory */
	int any_memory;             /* some VM's memory is modelled */
	int *endpoint_down;         /* per step */
	struct stepinfo cur, next;
	/* threads */
	int nthreads;
	pthread_barrier_t bar;
	pthread_mutex_t gate_m;
	pthread_cond_t gate_c;
	int gate;                   /* 1: go, -1: stop before starting */
	struct vmm_buf *events, *log; /* per thread, written out and emptied each step */
	struct sim_ltcache *ltc;    /* per thread */
	struct sim_startvec *started; /* per thread: moves started this step */
	struct sim_incoming *arrivals_at; /* per simulation host: what arrived, for the report */
	struct sim_started *moving; /* moves under way that load their hosts */
	size_t nmoving, capmoving;
	double *mload;              /* per host: the moves' load in the step before */
	double *hint_util;          /* hint_age: a ring of hint_steps steps of every host's use */
	size_t hint_steps;
	size_t k;                   /* the step being run */
	int done;
	int oom;                    /* the arrivals could not be counted */
};

/* The thesis's behaviour: round robin, fixed sleep, no guard. */
static inline int
sim_thesis(const struct sim *s)
{
	return s->o->thesis;
}

static inline size_t
sim_hour(const struct sim *s, double t)
{
	size_t h = t > 0 ? (size_t)(t / 3600) : 0;

	return h < s->nhours ? h : s->nhours - 1;
}

/* vm.c: one VM, its hosts and its residency */
const char *vm_host_name(const struct sim *s, const struct vm *v, int local);
int vm_local(const struct sim *s, const struct vm *v, const char *name);
int vm_known_in_order(const struct sim *s, const struct vm *v);

/* The record of local host i in the VM's learned-host table. The first look makes every
 * local host's record in local order, before anything else asks the table, and records are
 * only ever appended: from then on record i is local host i (vm_known_in_order checks it,
 * after each look until it holds), and the look-up by name, a few per cycle, is saved. */
static inline struct host_info *
vm_known_host(const struct sim *s, struct vm *v, size_t i)
{
	if (v->known_local)
		return &v->known.hosts[i];
	return hosts_get(&v->known, vm_host_name(s, v, (int)i));
}
void vm_checkpoint(struct vm *v, double t);
void vm_guard_init(const struct sim *s, struct vm *v);
int vm_init(struct sim *s, struct vm *v, const struct sim_vmspec *spec, size_t copy, char *err,
    size_t errlen);
void vm_free(struct vm *v);

/* vmlog.c: the events CSV and the collector's thesis format */
void vm_event(struct sim *s, int tid, struct vm *v, double t, const char *event,
    enum vmm_action act, int from, int to, const struct decide_result *r, const char *detail);
void vm_cycle_event(struct sim *s, int tid, struct vm *v, double t, double value, int known,
    const struct decide_result *r);
void vm_say(struct sim *s, int tid, struct vm *v, double t, const struct journal_event *e);
/* The decision's outcomes said once per episode, as the agent says them (core/episode.h):
 * vm_said_emit writes a line of them to the VM's log at to's time. */
struct vm_said_to {
	struct sim *s;
	int tid;
	struct vm *v;
	double t;
};
void vm_said_emit(void *arg, const char *kind, const char *text);
void vm_note(struct sim *s, int tid, struct vm *v, double t, const char *text);
void vm_warning(struct sim *s, int tid, struct vm *v, double t, const char *text);
void vm_sim_start(struct sim *s, int tid, struct vm *v, double t);

/* move.c: a move with the endpoint, from its start to its outcome */
void vm_start_move(struct sim *s, struct vm *v, int target, enum vmm_action act, int cross,
    double t);
void vm_finish_move(struct sim *s, int tid, struct vm *v);
/* At each step's start, serially: the migrations arriving at each host, and (with
 * max_incoming) the moves asked for in the last step given a slot, in VM order, or
 * refused. */
void sim_arrivals(struct sim *s);
void sim_vm_move_where(struct sim *s, size_t i);

/* engine.c: the local time in the simulation's timezone, as vmm_local_time_of says it */
void sim_local_time(struct sim *s, int tid, int64_t t, struct vmm_local_time *out);

/* arrivals.c: the moves arriving at each host; hindsight: each VM had it stayed put */
void sim_set_thread(int tid);
void sim_note_start(struct sim *s, const struct vm *v, int target, double t, double end);
int sim_count_arrivals(struct sim *s, double t0, double t1);
void vm_hindsight(struct sim *s, struct vm *v, double t0, double t1);
int sim_hints_init(struct sim *s, char *err, size_t errlen);
void sim_hints_record(struct sim *s, size_t k);
void vm_hints(struct sim *s, struct vm *v, size_t k, double t);

/* sample.c: a VM's samples through the decider */
void vm_step(struct sim *s, int tid, struct vm *v, double t1);
void vm_demand(struct vm *v, const struct stepinfo *si);

/* simconf.c: setting up the confs, VMs and hosts, and freeing them */
int sim_vms(struct sim *s, char *err, size_t errlen);
double sim_default_step(const struct sim *s);
int sim_hosts(struct sim *s, char *err, size_t errlen);
void sim_free(struct sim *s);

/* result.c */
struct sim_result *sim_result(struct sim *s, double seconds);

#endif
