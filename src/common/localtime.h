/* SPDX-License-Identifier: ISC */
/* The local time a policy gets in its input, filled by whoever calls the policy: the
 * agent for its own clock, the simulator for its simulated one. */
#ifndef VMM_COMMON_LOCALTIME_H
#define VMM_COMMON_LOCALTIME_H

#include <stdint.h>

#include <vmmanage/policy.h>

/* Epoch seconds t as a local time in the process's zone (TZ or /etc/localtime). On a
 * time that does not convert, *out is all 0 (valid = 0). */
void vmm_local_time_of(int64_t t, struct vmm_local_time *out);

#endif
