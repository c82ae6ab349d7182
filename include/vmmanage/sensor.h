/* SPDX-License-Identifier: ISC */
/* Sensor module ABI: one reading of the indicator per call. */
#ifndef VMMANAGE_SENSOR_H
#define VMMANAGE_SENSOR_H

#include <vmmanage/module.h>

#define VMM_SENSOR_ABI 1
#define VMM_SENSOR_MAX_EXTRA 4

struct vmm_sensor_reading {
	int known;            /* 0: unknown; `why` says what was wrong */
	double value;
	char why[256];
	size_t nextra;        /* side values kept in the machine-readable log */
	struct {
		char key[32];
		double value;
	} extra[VMM_SENSOR_MAX_EXTRA];
};

struct vmm_sensor_ops {
	uint32_t abi;  /* VMM_SENSOR_ABI */
	uint32_t size; /* sizeof(struct vmm_sensor_ops) */
	const char *name;
	const char *summary;
	const char *const *keys;     /* config keys it reads, NULL-terminated */
	enum vmm_direction direction;/* default, overridable by sensor_direction */
	const char *label;           /* first line of the cycle log block, e.g. "slow rate" */
	int (*init)(const struct vmm_host *host, const struct vmm_conf *conf, void **state,
	    char *err, size_t errlen);
	/* May block up to its own timeout; runs off the event loop, never concurrently. */
	void (*sample)(void *state, struct vmm_sensor_reading *out);
	void (*fini)(void *state);
	/* Optional (NULL): work the sensor does when the policy says so, e.g. the queue
	 * sensor runs its claimed jobs (the site policy's process_queue). Runs on the same
	 * worker as sample, for up to budget_s seconds (0: no limit). 1 when done, 0 when
	 * work is left, 2 when there was nothing to do (the daemon then says nothing), -1
	 * with err. */
	int (*process)(void *state, double budget_s, char *err, size_t errlen);
};

const struct vmm_sensor_ops *vmm_sensor_entry(void);

#endif
