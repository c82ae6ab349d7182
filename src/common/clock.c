/* SPDX-License-Identifier: ISC */
/* The clocks as seconds. */
#include "config.h"

#include <time.h>

#include "common/clock.h"

static double
clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
vmm_mono_now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

double
vmm_wall_now(void)
{
	return clock_seconds(CLOCK_REALTIME);
}
