/* SPDX-License-Identifier: ISC */
/* The clocks, said once: every deadline, timeout and duration of the agent, its modules
 * and tools reads the monotonic one; time stamps read the wall clock. */
#ifndef VMM_COMMON_CLOCK_H
#define VMM_COMMON_CLOCK_H

/* CLOCK_MONOTONIC in seconds: for deadlines and durations, never for dates. */
double vmm_mono_now(void);
/* CLOCK_REALTIME in seconds since the epoch. */
double vmm_wall_now(void);

#endif
