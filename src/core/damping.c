/* SPDX-License-Identifier: ISC */
/* Warm-up, minimum stay and the circuit breaker: the rules that keep a VM from hopping
 * (the thesis's VMs moved up to 14 times an hour, section 5.3). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/damping.h"

void
damper_init(struct damper *d, const struct damping_conf *c, double now)
{
	memset(d, 0, sizeof(*d));
	d->tripped = -1;
	d->arrived = now;
	damper_configure(d, c);
}

void
damper_configure(struct damper *d, const struct damping_conf *c)
{
	d->c = *c;
	if (d->c.breaker_moves <= 0)
		d->tripped = -1;
}

void
damper_arrived(struct damper *d, double now)
{
	d->arrived = now;
}

double
damper_warming(const struct damper *d, double now)
{
	double left = d->arrived + d->c.warmup - now;

	return left > 0 ? left : 0;
}

int
damper_staying(const struct damper *d, double now, char *why, size_t len)
{
	double here = now - d->arrived;

	if (d->c.min_stay <= 0 || here >= d->c.min_stay)
		return 0;
	snprintf(why, len, "min_stay: %.0f s on this host of %.0f, %.0f s to go", here,
	    d->c.min_stay, d->c.min_stay - here);
	return 1;
}

static size_t
damper_recent(const struct damper *d, double now)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nrequests; i++)
		if (now - d->requests[i] < d->c.breaker_window)
			n++;
	return n;
}

int
damper_requested(struct damper *d, double now, char *why, size_t len)
{
	d->requests[d->next] = now;
	d->next = (d->next + 1) % DAMPER_HISTORY;
	if (d->nrequests < DAMPER_HISTORY)
		d->nrequests++;
	if (d->c.breaker_moves <= 0 || d->tripped >= 0 ||
	    damper_recent(d, now) < (size_t)d->c.breaker_moves)
		return 0;
	d->tripped = now;
	d->trips++;
	snprintf(why, len, "breaker: %lld moves within %.0f min; acting on its own again %s",
	    (long long)d->c.breaker_moves, d->c.breaker_window / 60,
	    d->c.breaker_hold > 0 ? "after breaker_hold or `vmmanage resume`" : "after `vmmanage resume`");
	return 1;
}

void
damper_unrequest(struct damper *d)
{
	if (d->nrequests > 0)
		d->requests[(d->next + DAMPER_HISTORY - 1) % DAMPER_HISTORY] = -1e300;
}

int
damper_tripped(struct damper *d, double now, char *why, size_t len)
{
	if (d->tripped < 0)
		return 0;
	if (d->c.breaker_hold > 0 && now - d->tripped >= d->c.breaker_hold) {
		d->tripped = -1;
		/* the moves that tripped it must not trip it again at once */
		d->nrequests = d->next = 0;
		return 0;
	}
	if (d->c.breaker_hold > 0)
		snprintf(why, len, "breaker tripped %.0f s ago: recommending only, for %.0f s more or until `vmmanage resume`",
		    now - d->tripped, d->c.breaker_hold - (now - d->tripped));
	else
		snprintf(why, len, "breaker tripped %.0f s ago: recommending only until `vmmanage resume`",
		    now - d->tripped);
	return 1;
}

int
damper_resume(struct damper *d)
{
	int was = d->tripped >= 0;

	d->tripped = -1;
	d->nrequests = d->next = 0;
	return was;
}

const char *
damper_mode_name(enum vmm_mode m)
{
	return m == VMM_MODE_RECOMMEND ? "recommend" : m == VMM_MODE_MANUAL ? "manual" : "automatic";
}
