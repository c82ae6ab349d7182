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
	[ADMIT_TENANT_MOVES_PER_HOUR] = "tenant_moves_per_hour",
};

static int
admit_refuse(const struct admit_input *in, enum admit_reason r)
{
	if (in->reason != NULL)
		*in->reason = r;
	return -1;
}

size_t
admit_window(const double *starts, size_t nstarts, double now, double *oldest)
{
	size_t n = 0;
	double o;

	if (oldest == NULL)
		oldest = &o;
	*oldest = now;
	for (size_t i = 0; i < nstarts; i++)
		if (starts[i] > now - ADMIT_HOUR) {
			n++;
			if (starts[i] < *oldest)
				*oldest = starts[i];
		}
	return n;
}

/* A budget of moves per hour: -1 with why and retry once it is spent. */
static int
admit_budget(const struct admit_input *in, const double *starts, size_t nstarts, int64_t budget,
    const char *who, const char *key, char *why, size_t whylen, double *retry)
{
	double oldest;
	size_t used = admit_window(starts, nstarts, in->now, &oldest);

	if (budget <= 0 || (int64_t)used < budget)
		return 0;
	snprintf(why, whylen, "%s moved %zu times in the last hour (%s %lld)",
	    who, used, key, (long long)budget);
	*retry = oldest + ADMIT_HOUR - in->now;
	if (*retry < 1)
		*retry = 1;
	return -1;
}

int
admit_move(const struct admit_input *in, char *why, size_t whylen, double *retry)
{
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
	if (admit_budget(in, in->starts, in->nstarts, in->budget, "this VM", "moves_per_hour",
	    why, whylen, retry) < 0)
		return admit_refuse(in, ADMIT_MOVES_PER_HOUR);
	if (in->tenant != NULL) {
		char who[WIRE_MAX_HOST + 16];
		snprintf(who, sizeof(who), "tenant %s", in->tenant);
		if (admit_budget(in, in->tenant_starts, in->tenant_nstarts, in->tenant_budget, who,
		    "tenant_moves_per_hour", why, whylen, retry) < 0)
			return admit_refuse(in, ADMIT_TENANT_MOVES_PER_HOUR);
	}
	return 0;
}

void
admit_record(double *starts, size_t *nstarts, size_t cap, double now)
{
	if (*nstarts == cap) {
		memmove(starts, starts + 1, (cap - 1) * sizeof(*starts));
		(*nstarts)--;
	}
	starts[(*nstarts)++] = now;
}
