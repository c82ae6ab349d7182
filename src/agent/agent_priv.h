/* SPDX-License-Identifier: ISC */
/* The agent's private parts: struct agent and the calls its rooms (src/agent*.c) share. */
/* The agent's cycle. Every daemon_interval (CLOCK_MONOTONIC) the sensor is sampled on a
 * worker thread; its reading goes to the policy on the loop thread; an action goes
 * through the guard to the endpoint, also on a worker; every step is logged. */
#ifndef VMM_AGENT_PRIV_H
#define VMM_AGENT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/endpoint.h>
#include <vmmanage/policy.h>
#include <vmmanage/sensor.h>

#include "agent/agent.h"
#include "core/cyclelog.h"
#include "core/decide.h"
#include "core/episode.h"
#include "core/journal.h"
#include "core/state.h"

struct logship;
struct settings;
struct setup;
struct worker;
struct ev_timer;

#define AGENT_RECENT 10
#define AGENT_KNOWN_SAVE 300.0 /* seconds between writes of state_dir/hosts */

/* The sensor's side: the sample being taken, the sensor's work, and what status shows of them. */
struct agent_sampling {
	/* the sample being taken, or the sensor's work being done */
	struct vmm_sensor_reading reading;
	int process_rc;
	char process_err[256];
	int64_t sample_time;
	uint64_t overruns;
	/* what status shows */
	struct vmm_sample recent[AGENT_RECENT];
	size_t nrecent;
	struct vmm_policy_counters counters;
	int prev_known;              /* -1 before the first sample */
	char prev_why[256];
	uint64_t samples, unknowns;  /* since the start: all, and those the sensor could not read */
	uint64_t unknown_run;        /* unknown samples in a row, now */
	int splayed;                 /* the first tick waited its splay */
};

/* The request with the endpoint. */
struct agent_moving {
	enum vmm_action req_action;
	char req_source[128], req_target[128], req_origin[16];
	struct vmm_move_request req;
	struct vmm_move_result res;
	double req_started;
};

/* Where the VM runs, as the endpoint says. */
struct agent_locating {
	int locating;                /* the endpoint worker is asking where the VM runs */
	char located[128], locate_err[256];
	int locate_rc;
	int locate_failing;          /* the last answer was an error: say so once */
	double next_locate;          /* monotonic: when to ask again; 0: at the next cycle */
	/* the provider drains the host the VM runs on (the endpoint's hints): leave it */
	char drain_host[128];        /* "" none */
	double drain_leave_in;       /* seconds from drain_seen; -1 no deadline */
	double drain_seen;           /* monotonic */
	char drain_why[256];         /* the reason of the request to leave */
};

/* What was learned: of each host, and what decide.c keeps (damping, efficacy). */
struct agent_learning {
	/* what was learned of each host (state_dir/hosts) */
	struct host_table known;
	double known_saved;          /* monotonic: when it was last written */
	/* damping and efficacy (decide.c applies them) */
	struct damper damp;
	struct efficacy eff;
	struct forecast fc;          /* the indicator's line, for anticipate */
	struct hold_state hold;      /* the schedule's last edge, for splay */
	char recommended[JOURNAL_RECOMMENDATION]; /* the last recommendation (mode recommend, breaker) */
	int64_t recommended_at;
};

/* Where the agent's words go: the local logs, the episodes, the central log. */
struct agent_logging {
	struct cyclelog log;
	/* what the policy keeps deciding, said once per episode */
	struct episode ep_queue;      /* "Would process: at home now" */
	struct episode ep_process;    /* "Processing failed: ..." */
	struct episode ep_metrics;    /* "Cannot write metrics_file ..." */
	struct decide_said said;      /* the policy's held requests, nothing to do */
	/* the central log */
	struct logship *ship;
	char *ship_fp;               /* its settings, to restart it only when they change */
};

/* The workers' jobs. A thread gets only its record: the inputs copied in, the outputs
 * written there; the done-callback, on the loop, copies the outputs into the agent. */
struct agent_sample_job {
	const struct vmm_sensor_ops *ops;
	void *state;
	struct vmm_sensor_reading reading;
};

struct agent_process_job {
	const struct vmm_sensor_ops *ops;
	void *state;
	double budget;               /* seconds */
	int rc;
	char err[256];
};

struct agent_move_job {
	const struct vmm_endpoint_ops *ops;
	void *state;
	char source[128], target[128];
	struct vmm_move_request req; /* its source and target point into this record */
	struct vmm_move_result res;
	int recover;                 /* ask how the request made before a restart ended */
};

struct agent_locate_job {
	const struct vmm_endpoint_ops *ops;
	void *state;
	char located[128], err[256];
	int rc;
};

/* alert_command: each condition's episode, and the calls waiting for the alert worker. */
enum agent_alert_kind { ALERT_BREAKER, ALERT_MOVES_FAILING, ALERT_INDICATOR_UNKNOWN, ALERT_SPOOL,
	ALERT__N };

struct alertq;
struct agent_alerts {
	int firing[ALERT__N];
	uint64_t seen_confirmed, seen_bad, bad_run;
	struct alertq *q;                /* the calls and their thread (common/alertq.c) */
	struct episode ep_command; /* "alert_command ... failed" */
};

struct agent_jobs {
	struct agent_sample_job sample;
	struct agent_process_job process;
	struct agent_move_job move;
	struct agent_locate_job locate;
};

struct agent {
	struct ev_loop *loop;
	struct setup *su;
	struct setup *pending;       /* a reload waiting for the workers to go idle */
	char *config_path;
	struct guard guard;
	struct agent_state st;
	struct worker *sensor_w, *endpoint_w;
	struct ev_timer *tick;
	struct agent_sampling sampling;
	struct agent_moving moving;
	struct agent_locating where;
	struct agent_learning learning;
	struct agent_logging logging;
	struct agent_jobs jobs;      /* only the loop fills and reads them, between jobs */
	struct agent_alerts alerts;
};

/* The agent a job record is part of, for the done-callbacks. */
#define AGENT_OF(rec, member) \
	((struct agent *)(void *)((char *)(rec) - offsetof(struct agent, member)))

/* agent.c: life, the shared helpers, reload */
void agent_save(struct agent *a);
struct topology agent_topology(const struct setup *su);
struct decider agent_decider(struct agent *a);
void agent_save_known(struct agent *a);
void agent_apply_pending(struct agent *a);

/* agent_events.c: the agent's words and the collector */
int64_t agent_wall(void);
void agent_event(struct agent *a, const struct journal_event *e);
void agent_note(struct agent *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void agent_warning(struct agent *a, const char *name, const char *text);
/* The endpoint's word on the host the VM runs on: draining, and when the provider moves it. */
void agent_drain_seen(struct agent *a, int draining, double leave_in);
/* Said once per episode (core/episode.h), as notes of the agent's. */
void agent_episode(struct agent *a, struct episode *e, const char *kind, const char *msg);
void agent_episode_end(struct agent *a, struct episode *e);
/* The episodes' line: a note of that kind; arg: the agent. */
void agent_episode_emit(void *arg, const char *kind, const char *text);
void agent_ship_cycle(struct agent *a, const struct vmm_sample *s, enum vmm_action act);
int agent_ship_update(struct agent *a, char *err, size_t errlen);

/* agent_metrics.c: metrics_file, after each cycle and move */
void agent_metrics_write(struct agent *a);
/* agent_alert.c: alert_command's episodes, looked at after each cycle and move */
void agent_alerts_check(struct agent *a);
/* alertq's report of a call: a failing command is an episode of its own */
void agent_alert_done(void *arg, int ok, const char *argv0, const char *err);

/* agent_cycle.c: sample -> decide -> carry out */
double agent_tick(void *arg);

/* agent_move.c: the endpoint side */
void agent_take_hints(struct agent *a);
void agent_announce(struct agent *a, enum vmm_action act, const char *target, const char *why);
int agent_recover(struct agent *a);
void agent_send(struct agent *a, enum vmm_action act, const char *target, int cross_site,
    const char *origin);

/* agent_locate.c: where the VM runs */
int agent_at_home(const struct agent *a);
void agent_locate(struct agent *a);
void agent_maybe_locate(struct agent *a);
void agent_reconcile(struct agent *a);

#endif
