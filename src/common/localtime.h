/* SPDX-License-Identifier: ISC */
/* Local time, filled by whoever calls a policy (the agent for its own clock, the
 * simulator for its simulated one) and used for every date printed: in the process's
 * zone (TZ or /etc/localtime), or in the one a program names with vmm_localtime_zone. */
#ifndef VMM_COMMON_LOCALTIME_H
#define VMM_COMMON_LOCALTIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <vmmanage/policy.h>

/* Tell local times in zone name from now on ("Europe/Oslo", as TZ takes it; read from
 * its tzfile, the environment untouched); NULL: the process's zone again. Call before
 * any thread that tells time starts. 0, or -1 with err when there is no such zone. */
int vmm_localtime_zone(const char *name, char *err, size_t errlen);
/* localtime_r and mktime in the zone in use (tm_isdst as mktime takes it: which of a
 * local time told twice; -1 lets it choose). 0, or -1. */
int vmm_localtime(int64_t t, struct tm *tm);
int vmm_mktime(const struct tm *tm, int64_t *out);
/* Epoch seconds t as a local time in the zone in use. On a time that does not convert,
 * *out is all 0 (valid = 0). */
void vmm_local_time_of(int64_t t, struct vmm_local_time *out);

#endif
