/* SPDX-License-Identifier: ISC */
/* Admission: whether the provider lets this VM move to that host now, and if not, why
 * and when to ask again. Pure, so that the unit tests drive it with made-up times. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "broker/broker.h"

#define ADMIT_HOUR 3600.0

const char *const admit_reason_names[ADMIT__N] = {
	[ADMIT_OK] = "admitted", [ADMIT_NOT_ALLOWED] = "not_allowed", [ADMIT_DRAINING] = "draining",
	[ADMIT_BUSY] = "busy", [ADMIT_MAX_INCOMING] = "max_incoming",
	[ADMIT_MOVES_PER_HOUR] = "moves_per_hour",
};

static int
admit_refuse(const struct admit_input *in, enum admit_reason r)
{
	if (in->reason != NULL)
		*in->reason = r;
	return -1;
}

/* Starts within the last hour, and the oldest of them. */
static size_t
admit_window(const struct admit_input *in, double *oldest)
{
	size_t n = 0;

	*oldest = in->now;
	for (size_t i = 0; i < in->nstarts; i++)
		if (in->starts[i] > in->now - ADMIT_HOUR) {
			n++;
			if (in->starts[i] < *oldest)
				*oldest = in->starts[i];
		}
	return n;
}

int
admit_move(const struct admit_input *in, char *why, size_t whylen, double *retry)
{
	double oldest;
	size_t used;

	*retry = in->retry_after;
	if (in->reason != NULL)
		*in->reason = ADMIT_OK;
	if (!in->allowed) {
		snprintf(why, whylen, "%s is not one of this VM's hosts", in->target);
		*retry = ADMIT_HOUR;
		return admit_refuse(in, ADMIT_NOT_ALLOWED);
	}
	if (in->draining) {
		snprintf(why, whylen, "%s is being drained for maintenance", in->target);
		return admit_refuse(in, ADMIT_DRAINING);
	}
	if (in->vm_busy) {
		snprintf(why, whylen, "a request of this VM is in progress");
		return admit_refuse(in, ADMIT_BUSY);
	}
	if (in->max_incoming > 0 && in->incoming >= in->max_incoming) {
		snprintf(why, whylen, "%s already takes %d incoming migration%s (max_incoming %d)",
		    in->target, in->incoming, in->incoming == 1 ? "" : "s", in->max_incoming);
		return admit_refuse(in, ADMIT_MAX_INCOMING);
	}
	used = admit_window(in, &oldest);
	if (in->budget > 0 && (int64_t)used >= in->budget) {
		snprintf(why, whylen, "this VM moved %zu times in the last hour (moves_per_hour %lld)",
		    used, (long long)in->budget);
		*retry = oldest + ADMIT_HOUR - in->now;
		if (*retry < 1)
			*retry = 1;
		return admit_refuse(in, ADMIT_MOVES_PER_HOUR);
	}
	return 0;
}

void
admit_record(double *starts, size_t *nstarts, double now)
{
	if (*nstarts == BROKER_MAX_BUDGET) {
		memmove(starts, starts + 1, (BROKER_MAX_BUDGET - 1) * sizeof(*starts));
		(*nstarts)--;
	}
	starts[(*nstarts)++] = now;
}
