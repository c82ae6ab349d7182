/* SPDX-License-Identifier: ISC */
/* vmmanage-sim: the simulation file, the demand and indicator models, and the engine that
 * runs the real policy modules, guard and decider (src/core/decide.h) on simulated time. */
#ifndef VMM_SIM_H
#define VMM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/rng.h"
#include "sim/trace.h"

/* A load over time: a VM's demand or a host's background, in capacity units (say CPUs). */
enum gen_shape { GEN_SINE = 0, GEN_SQUARE };

struct gen {
	double value;            /* the mean (or the constant) */
	double amplitude, period, peak; /* a wave: value + amplitude * cos(2 pi (t - peak) / period) */
	enum gen_shape shape;
	double weekend;          /* factor on Saturdays and Sundays (local time); 1: none */
	double noise;            /* relative standard deviation, drawn each step */
	double burst_per_day, burst_height, burst_seconds;
	double scale;            /* everything times this */
	double phase_spread;     /* seconds: each copy's peak moves by up to +- this */
	double floor;            /* never below this (default 0) */
	const struct sim_trace *trace; /* csv: the values, before weekend/bursts/noise/scale */
	int repeat;              /* the trace again from its start when it ends */
};

enum indicator { IND_SLOW = 0, IND_IDLE, IND_DIRECT };

/* How demand against a host's free capacity becomes the indicator (see vmmanage-sim(1)). */
struct model {
	double slow_per_unit;    /* slow queries a minute per unit of demand at u = 1 */
	double knee;             /* utilisation where queries start to be slow */
	double exponent;         /* how steeply past the knee */
	double workers;          /* Apache's MaxClients, for idle_workers */
	int round;               /* direct: round the value to a whole number */
};

struct migration {
	double live, live_spread;   /* seconds, +- fraction: within an array, live */
	double base, base_spread;   /* to or from the base */
	double site, site_spread;   /* across sites: not live, the VM is down meanwhile */
	double downtime;            /* seconds a live move stops the VM (switch-over) */
	double fail_after;          /* a move to a host that is down fails after this */
	double fail_unreachable;    /* when the endpoint is down: refused after this */
	double max_incoming;        /* a host refuses a migration past this many arriving; 0: none */
	double load_source, load_target; /* load a move adds to each end while it runs */
};

struct outage {
	int host;                   /* index in hosts; -1: the endpoint (the MLN server) */
	double from, to;            /* seconds from the start */
	int line;
};

struct sim_host {
	char *name, *site;
	double capacity, cost;      /* capacity units; price per VM-hour */
	double memory;              /* GiB; 0: not modelled (the endpoint cannot tell) */
	struct gen bg;              /* other tenants' load */
	int line;
};

struct sim_vmspec {
	char *name, *conf;          /* conf: absolute, or relative to the simulation file */
	long count;
	enum indicator ind;
	struct model model;
	double sla;                 /* NaN: the policy's threshold */
	double memory;              /* GiB each copy uses; 0: not modelled */
	struct gen demand;
	char *start;                /* a host, "spread", or NULL (the conf's location) */
	int line;
};

struct simfile {
	char *path, *dir;
	int64_t start;              /* epoch */
	double duration, step;      /* seconds; step 0: the smallest daemon_interval */
	uint64_t seed;
	double sla;                 /* NaN: none */
	double thesis_sleep;        /* --compare's fixed sleep; NaN: each conf's cooldown */
	double hint_age;            /* ours get the endpoint's view this many seconds old; NaN: none */
	struct model model;
	struct migration mig;
	struct sim_host *hosts;
	size_t nhosts;
	struct sim_vmspec *vms;
	size_t nvms;
	struct outage *outages;
	size_t noutages;
	struct sim_trace **traces;  /* owned, one per distinct csv */
	char **trace_paths;
	size_t ntraces;
};

/* simfile.c */
struct simfile *simfile_load(const char *path, char *err, size_t errlen);
void simfile_free(struct simfile *sf);
int simfile_host(const struct simfile *sf, const char *name);

/* model.c: a generator's per-copy state, set up from the VM's or host's stream */
struct gen_state {
	const struct gen *g;
	double phase;               /* seconds */
	/* the wave turned step by step (a rotation, not a cos per step) */
	double wc, ws, wlocal, rot_dt, rc, rs;
	unsigned wturns;
	int wvalid;
	double *bursts;             /* start times, sorted */
	size_t nbursts, next;
};
int gen_state_init(struct gen_state *s, const struct gen *g, struct rng *r, double duration);
void gen_state_free(struct gen_state *s);
/* The value at t (seconds from the start, epoch the same instant) with z a standard normal
 * for the noise; wday (0 Sunday) and local (epoch + the UTC offset) are local time. */
double gen_value(struct gen_state *s, double t, int64_t epoch, int wday, double local,
    double z);
/* The indicator for a VM with demand d on a host at utilisation u, over `elapsed` seconds
 * (interval: the VM's daemon_interval), at the quantile q. */
double model_indicator(const struct model *m, enum indicator ind, double d, double u,
    double elapsed, double interval, double q);

/* engine.c */
struct sim_opts {
	int thesis;                 /* the thesis's behaviour: round robin, fixed sleep, no guard */
	int threads;
	uint64_t seed;
	const char *const *trace_vms; /* VMs whose every cycle goes to the events (NULL-ended) */
	int trace_all;
	FILE *events;               /* CSV, may be NULL */
	FILE *log;                  /* thesis collector format, may be NULL */
	int quiet;
	int check;                  /* set up everything, run nothing */
	int hindsight;              /* also each VM's SLA on every host of its conf, had it stayed */
};

struct vm_stats {
	uint64_t requests, moves, failed, suppressed, nothing, errors, pingpong, samples;
	uint64_t recommended, trips, measured; /* damping: recommendations, breaker trips */
	double gain_sum;            /* the measured moves' efficacy gains */
	uint64_t requests_by_action[8];
	double sla_s, moving_s, down_s, move_time_sum;
	double *res;                /* seconds per local host: [2*i] working, [2*i+1] resting */
	uint16_t *hour_req, *hour_mov;
	/* sim_opts.hindsight: seconds in SLA violation had the VM stayed on each local host
	 * the whole run (the others where they were), and with the best host every step */
	double *hind, hind_lower;
};

/* The moves arriving at one host: the most at once and the most started in one minute. */
struct sim_arrivals {
	unsigned max_concurrent, max_minute;
	double max_concurrent_t, max_minute_t; /* seconds from the start, when first reached */
	uint64_t total;
	int base;                   /* some conf names it as its base */
};

/* The hosts one vmmanage.conf names, as the results see them. */
enum host_class { CLASS_ARRAY = 0, CLASS_BASE, CLASS_AWAY };

struct sim_topo {
	char *policy;               /* the conf's policy */
	size_t n;
	const char **names;         /* the simulation file's strings */
	const char **sites;
	enum host_class *cls;
	double *cost;               /* per VM-hour */
};

struct sim_result {
	const char *mode;           /* "thesis" or "ours" */
	size_t nvms, nhours, ntopos;
	double duration;
	int64_t start;              /* epoch of the simulation's start */
	char **names;               /* per VM */
	size_t *group;              /* per VM: its entry in the simulation file */
	size_t *topo;               /* per VM: index in topos */
	double *sla;                /* per VM: the level used (NaN: none) */
	struct vm_stats *stats;
	struct sim_topo *topos;
	size_t nhosts;
	const char **host_names;    /* per simulation host */
	struct sim_arrivals *arrivals; /* per simulation host */
	int hindsight;
	double seconds;             /* wall-clock run time */
	long peak_rss_kib;
	int threads;
};

struct sim_result *sim_run(const struct simfile *sf, const struct sim_opts *o, char *err,
    size_t errlen);
void sim_result_free(struct sim_result *r);

/* output.c */
struct cost {
	double a, b, sb, away, tb, t;   /* thesis equations 3.1-3.4 (away: the other site) */
	double h_array, h_base, h_rest, h_away;
};
void vm_cost(const struct sim_result *r, size_t i, struct cost *c);
void out_table(FILE *f, const struct simfile *sf, const struct sim_result *r, int per_vm);
void out_compare(FILE *f, const struct simfile *sf, const struct sim_result *th,
    const struct sim_result *ours, int per_vm);
void out_hourly_table(FILE *f, const struct sim_result *r, size_t max_vms);
int out_csv(const char *dir, const struct sim_result *const *runs, size_t nruns, char *err,
    size_t errlen);

#endif
