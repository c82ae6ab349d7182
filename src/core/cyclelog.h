/* SPDX-License-Identifier: ISC */
/* The local log: the thesis's per-cycle block (Listings 4.2/4.3) and event lines in
 * log_file, and the same as JSON lines in json_log_file. */
#ifndef VMM_CYCLELOG_H
#define VMM_CYCLELOG_H

#include <stdint.h>
#include <stdio.h>

#include <vmmanage/policy.h>
#include <vmmanage/sensor.h>

struct cyclelog {
	FILE *log, *json;
	char *log_path, *json_path;
};

struct cycle_record {
	const char *host, *sensor, *label;
	struct vmm_sample sample;
	const struct vmm_sensor_reading *reading; /* why, extras; may be NULL */
	const struct vmm_policy_counters *counters;
	enum vmm_action action;
	const char *reason;
	const char *location;
};

/* json_path NULL: derived from log_path (.log -> .json); "": no JSON log. */
int cyclelog_open(struct cyclelog *cl, const char *log_path, const char *json_path, char *err,
    size_t errlen);
/* After logrotate moved the files (SIGHUP). */
int cyclelog_reopen(struct cyclelog *cl, char *err, size_t errlen);
void cyclelog_close(struct cyclelog *cl);
void cyclelog_cycle(struct cyclelog *cl, const struct cycle_record *r);
/* `EPOCH DATE host: message`, the collector's line format, so both logs read alike. */
void cyclelog_event(struct cyclelog *cl, int64_t when, const char *host, const char *kind,
    const char *msg);

#endif
