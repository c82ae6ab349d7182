/* SPDX-License-Identifier: ISC */
/* The base by time of day (hostday.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostday.h"

/* A slot's samples more than this apart are from different days: the later one starts
 * the slot afresh. */
#define HOSTDAY_NEW_DAY (12 * 3600.0)

static struct host_day *
hostday_for(struct host_day **day, const char *host)
{
	if (*day != NULL && strcmp((*day)->host, host) == 0)
		return *day;
	if (strlen(host) >= sizeof((*day)->host))
		return NULL;
	if (*day == NULL && (*day = malloc(sizeof(**day))) == NULL)
		return NULL;
	memset(*day, 0, sizeof(**day));
	for (int i = 0; i < HOSTDAY_SLOTS; i++)
		(*day)->before[i] = NAN;
	snprintf((*day)->host, sizeof((*day)->host), "%s", host);
	return *day;
}

static int
hostday_worse(double a, double b, enum vmm_direction direction)
{
	return direction == VMM_LOWER_IS_WORSE ? a < b : a > b;
}

int
hostday_sample(struct host_day **day, const char *host, int minute, double value,
    double now, enum vmm_direction direction)
{
	struct host_day *d;

	if (minute < 0 || minute >= 24 * 60 || !isfinite(value) || !(now > 0))
		return 0;
	if ((d = hostday_for(day, host)) == NULL)
		return -1;
	int s = minute / HOSTDAY_SLOT_MINUTES;
	if (!(d->when[s] > 0) || now - d->when[s] > HOSTDAY_NEW_DAY) {
		d->before[s] = d->when[s] > 0 ? d->worst[s] : NAN;
		d->worst[s] = value;
	} else if (hostday_worse(value, d->worst[s], direction))
		d->worst[s] = value;
	d->when[s] = now;
	return 0;
}

struct hostday_seen
hostday_window(const struct host_day *day, const char *host, int minute, double ahead,
    double now, double recall, enum vmm_direction direction)
{
	struct hostday_seen seen = { .twice = NAN };

	if (day == NULL || strcmp(day->host, host) != 0 || minute < 0 || minute >= 24 * 60 ||
	    !(ahead >= 0) || !(recall > 0))
		return seen;
	int first = minute / HOSTDAY_SLOT_MINUTES;
	int n = 1 + (int)fmin(HOSTDAY_SLOTS - 1,
	    floor((minute % HOSTDAY_SLOT_MINUTES + ahead / 60) / HOSTDAY_SLOT_MINUTES));
	for (int i = 0; i < n; i++) {
		int s = (first + i) % HOSTDAY_SLOTS;
		/* seen on an earlier day, within recall: what is over the level today, the
		 * policy sees itself */
		if (!(day->when[s] > 0) || now - day->when[s] > recall ||
		    now - day->when[s] < HOSTDAY_NEW_DAY)
			continue;
		if (seen.slots++ == 0 || hostday_worse(day->worst[s], seen.worst, direction)) {
			seen.worst = day->worst[s];
			seen.minute = s * HOSTDAY_SLOT_MINUTES;
			seen.when = day->when[s];
		}
		if (isnan(day->before[s]))
			continue;
		double lesser = hostday_worse(day->worst[s], day->before[s], direction) ?
		    day->before[s] : day->worst[s];
		if (isnan(seen.twice) || hostday_worse(lesser, seen.twice, direction)) {
			seen.twice = lesser;
			seen.twice_minute = s * HOSTDAY_SLOT_MINUTES;
			seen.twice_when = day->when[s];
		}
	}
	return seen;
}

struct hostday_seen
hostday_before(const struct host_day *day, const char *host, int minute, double back,
    double now, double recall)
{
	struct hostday_seen seen = { .twice = NAN };

	if (day == NULL || strcmp(day->host, host) != 0 || minute < 0 || minute >= 24 * 60 ||
	    !(back >= 0) || !(recall > 0))
		return seen;
	int cur = minute / HOSTDAY_SLOT_MINUTES;
	int n = (int)fmin(HOSTDAY_SLOTS - 1, ceil(back / 60 / HOSTDAY_SLOT_MINUTES));
	for (int i = 1; i <= n; i++) {
		int s = (cur - i + HOSTDAY_SLOTS) % HOSTDAY_SLOTS;
		if (!(day->when[s] > 0) || now - day->when[s] > recall ||
		    now - day->when[s] < HOSTDAY_NEW_DAY)
			continue;
		seen.slots = 1;
		seen.worst = day->worst[s];
		seen.minute = s * HOSTDAY_SLOT_MINUTES;
		seen.when = day->when[s];
		break;
	}
	return seen;
}

int
hostday_set(struct host_day **day, const char *host, int slot, double when, double worst,
    double before)
{
	struct host_day *d;

	if (slot < 0 || slot >= HOSTDAY_SLOTS || !(when > 0) || !isfinite(when) || !isfinite(worst) ||
	    isinf(before))
		return -1;
	if ((d = hostday_for(day, host)) == NULL)
		return -1;
	d->when[slot] = when;
	d->worst[slot] = worst;
	d->before[slot] = before;
	return 0;
}

void
hostday_free(struct host_day **day)
{
	free(*day);
	*day = NULL;
}
