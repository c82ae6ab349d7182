/* SPDX-License-Identifier: ISC */
/* What `vmmanage status` shows, as values: taken from the agent, then rendered. */
#ifndef VMM_AGENT_STATUS_H
#define VMM_AGENT_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmmanage/module.h>

#include "core/damping.h"
#include "core/efficacy.h"
#include "core/hosts.h"
#include "core/journal.h"
#include "logship/logship.h"

#define AGENT_STATUS_SAMPLES 10
#define AGENT_STATUS_NAME 1024       /* a name or address from the configuration */

struct agent;

/* One host as status shows it: what was learned, what the endpoint hinted, and whether a
 * move may go there now. */
struct agent_status_host {
	char name[128];
	int learned;                 /* something was learned: mean, hours and ago hold */
	double mean, hours, ago;
	int has_cpu, has_memory;
	double cpu_idle;             /* 0..1 */
	int64_t free_memory;         /* bytes */
	int incoming;                /* migrations arriving; -1 unknown */
	int available;
	char why[320];               /* why not, when not available */
};

struct agent_status_snapshot {
	char host[256];
	char policy[AGENT_STATUS_NAME], sensor[AGENT_STATUS_NAME], endpoint[AGENT_STATUS_NAME];
	enum vmm_direction direction;
	double interval;
	/* the sensor */
	struct vmm_sample samples[AGENT_STATUS_SAMPLES]; /* oldest first */
	size_t nsamples;
	int sensor_unknown;
	char sensor_why[256];
	uint64_t nsampled, nunknown;  /* samples since the start, and those unknown */
	uint64_t overruns;
	struct vmm_policy_counters counters;
	/* the location and the requests */
	char location[128];
	int location_confirmed;
	char last_action[32], last_target[128], last_outcome[32], last_detail[256];
	int64_t last_request_time;
	double last_duration;
	uint64_t requests, confirmed, unconfirmed, failed, refused;
	int in_flight;
	char in_flight_target[128];
	/* the guard */
	double cooldown;
	size_t requests_last_hour;
	long long max_per_hour;
	uint64_t suppressed;
	/* damping and efficacy */
	enum vmm_mode mode;
	double warming;              /* seconds before samples count; 0: warm */
	int staying, tripped;
	char staying_why[256], breaker_why[256];
	int quiet;                   /* a quiet window holds requests now */
	char quiet_window[64], quiet_until[16];
	char recommended[JOURNAL_RECOMMENDATION]; /* "": none */
	int64_t recommended_at;
	struct efficacy_result efficacy[EFFICACY_KEEP];
	size_t nefficacy;
	uint64_t measured;
	double mean_gain;
	/* the hosts */
	int round_robin;
	struct agent_status_host *hosts;
	size_t nhosts;
	struct move_time *moves;
	size_t nmoves;
	/* the base by time of day (base_recall): its quarter hours remembered over the
	 * threshold, in the order of the day */
	struct agent_status_slot {
		int minute;              /* of the local day, where the quarter hour starts */
		double worst, before;    /* the last day's worst there, the day before's (NAN) */
		double ago;              /* seconds since it was seen */
	} base_day[HOSTDAY_SLOTS];
	size_t nbase_day;
	/* the central log */
	int has_collector;
	char collector[AGENT_STATUS_NAME];
	struct logship_status collector_status;
};

/* Fills s from the agent. 0, or -1 when the host lists cannot be copied (out of memory). */
int agent_status_take(struct agent *a, struct agent_status_snapshot *s);
void agent_status_render(const struct agent_status_snapshot *s, FILE *out);
/* The same as one JSON object (`vmmanage status --json`; field names in vmmanage(8)). */
void agent_status_render_json(const struct agent_status_snapshot *s, FILE *out);
/* The same in Prometheus's text exposition format, for node_exporter's textfile. */
void agent_metrics_render(const struct agent_status_snapshot *s, FILE *out);
void agent_status_snapshot_free(struct agent_status_snapshot *s);

#endif
