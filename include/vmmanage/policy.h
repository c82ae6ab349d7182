/* SPDX-License-Identifier: ISC */
/* Policy module ABI: a policy turns samples into actions, with no clock and no I/O. */
#ifndef VMMANAGE_POLICY_H
#define VMMANAGE_POLICY_H

#include <vmmanage/module.h>

#define VMM_POLICY_ABI 1
/* Grows by one whenever a field is appended to struct vmm_policy_input (or another
 * struct the daemon hands the policy): modules built for an older minor load unchanged.
 * The daemon says which minor it fills in vmm_host.policy_minor. */
#define VMM_POLICY_MINOR 2

/* sample.time as a local date and time, in the zone of the daemon (TZ, /etc/localtime)
 * or of the simulation: a policy never calls localtime itself. Since minor 1. */
struct vmm_local_time {
	int valid;               /* 0: the time could not be converted; the rest is 0 */
	int year, month, day;    /* 2009, 1..12, 1..31 */
	int hour, minute, second;
	int weekday;             /* 0 Sunday .. 6 Saturday */
	int utc_offset;          /* seconds east of UTC, summer time included */
};

/* What the daemon knows besides the sample; the policy reads nothing else. */
struct vmm_policy_input {
	struct vmm_sample sample;
	int at_home; /* 1, 0, or -1 when not known */
	int at_base; /* 1 or 0 */
	/* minor 1 */
	struct vmm_local_time local;
	/* minor 2: where the indicator is heading (`anticipate`): the line through its last
	 * samples on this host, read at forecast.time. known = 0 when anticipate is off, too
	 * few samples count yet, or the sample itself is unknown. */
	struct vmm_sample forecast;
	/* minor 2: 1 when no one reads the reason of a cycle that asks for nothing (the
	 * simulator's untraced VMs): a policy may then leave it empty, and must still give
	 * one with every action */
	int terse;
};

/* A policy's answer for one sample. */
struct vmm_decision {
	enum vmm_action action;
	int process_queue;  /* site policy: process the claimed queue here, now */
	char reason[128];   /* why, for the log ("just moving", "slow rate 76 > 50 for 3 cycles") */
};

/* The policy's counters, for the cycle log and `vmmanage status`. */
struct vmm_policy_counters {
	int64_t count;
	double threshold;
	int has_low;        /* two-threshold policies fill the next two */
	int64_t lowcount;
	double lowthreshold;
	int resting;        /* schedule: outside working hours */
	int skip_sensor;    /* resting and rest_monitoring = false: do not sample */
};

/* Settings the daemon resolves before the policy starts. */
struct vmm_policy_env {
	enum vmm_direction direction; /* of the configured sensor, or sensor_direction */
};

struct vmm_policy_ops {
	uint32_t abi;  /* VMM_POLICY_ABI */
	uint32_t size; /* sizeof(struct vmm_policy_ops) */
	const char *name;
	const char *summary;
	const char *const *keys; /* config keys it reads, NULL-terminated */
	/* 0, or -1 with err filled (name the key and how to mend) */
	int (*init)(const struct vmm_host *host, const struct vmm_conf *conf,
	    const struct vmm_policy_env *env, void **state, char *err, size_t errlen);
	/* Called once per daemon_interval, also while skip_sensor is set (then with
	 * sample.known = 0 and the current time), so time-driven policies see time pass.
	 * Before the first call a policy knows no time: skip_sensor counts from the
	 * second cycle. An action the guard refuses is not retried by the policy; the core
	 * re-asks for the base while resting away from it. */
	void (*evaluate)(void *state, const struct vmm_policy_input *in, struct vmm_decision *out);
	void (*counters)(const void *state, struct vmm_policy_counters *out);
	void (*fini)(void *state);
};

/* The one symbol a policy module exports. */
const struct vmm_policy_ops *vmm_policy_entry(void);

#endif
