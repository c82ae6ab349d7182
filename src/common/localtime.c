/* SPDX-License-Identifier: ISC */
/* Local time for the policy input and for what is printed: in the process's zone, or in
 * one a program names (the simulator's), read from its tzfile without touching TZ. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/localtime.h"
#include "common/localtime_zone.h"
#include "common/strutil.h"

/* set once, before any thread starts; NULL: the process's zone */
static struct vmm_zone *zone_in_use;

int
vmm_localtime_zone(const char *name, char *err, size_t errlen)
{
	struct vmm_zone *z = NULL;

	if (name != NULL && (z = vmm_zone_load(name, err, errlen)) == NULL)
		return -1;
	vmm_zone_free(zone_in_use);
	zone_in_use = z;
	vmm_thesis_date_localtime(z != NULL ? vmm_localtime : NULL);
	return 0;
}

int
vmm_localtime(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	/* past +-2^53 s (285 million years) a zone's arithmetic would overflow */
	if ((int64_t)tt != t || (zone_in_use != NULL && (t > INT64_C(1) << 53 || t < -(INT64_C(1) << 53))))
		return -1;
	if (zone_in_use == NULL)
		return localtime_r(&tt, tm) != NULL ? 0 : -1;
	const struct vmm_zone_type *ty = vmm_zone_type_at(zone_in_use, t);
	time_t local = (time_t)(t + ty->off);
	if (gmtime_r(&local, tm) == NULL)
		return -1;
	tm->tm_isdst = ty->isdst;
	tm->tm_gmtoff = ty->off;
	tm->tm_zone = ty->abbr;
	return 0;
}

static int32_t
zone_offset_at(int64_t t)
{
	return vmm_zone_type_at(zone_in_use, t)->off;
}

int
vmm_mktime(const struct tm *tm, int64_t *out)
{
	if (zone_in_use == NULL) {
		struct tm copy = *tm;
		time_t t = mktime(&copy);
		if (t == (time_t)-1)
			return -1;
		*out = (int64_t)t;
		return 0;
	}
	if (tm->tm_mon < 0 || tm->tm_mon > 11)
		return -1;
	int64_t local = vmm_days_from_civil(tm->tm_year + 1900LL, tm->tm_mon + 1, tm->tm_mday) * 86400 +
	    tm->tm_hour * 3600LL + tm->tm_min * 60LL + tm->tm_sec;
	/* with the offsets of the day before and the day after: a local time told twice
	 * (fall back) is either, tm_isdst choosing if it says, else the later; one the
	 * clocks skip (spring forward) comes out an hour later, as mktime has it */
	int64_t before = local - zone_offset_at(local - 86400), after = local - zone_offset_at(local + 86400);
	int ok_before = before + zone_offset_at(before) == local;
	int ok_after = after + zone_offset_at(after) == local;
	*out = ok_after && !ok_before ? after : before;
	if (ok_before && ok_after && before != after) {
		int64_t later = after > before ? after : before, earlier = after > before ? before : after;
		int dst = vmm_zone_type_at(zone_in_use, later)->isdst;
		*out = tm->tm_isdst < 0 || dst == (tm->tm_isdst > 0) ? later : earlier;
	}
	return 0;
}

void
vmm_local_time_of(int64_t t, struct vmm_local_time *out)
{
	struct tm tm;

	memset(out, 0, sizeof(*out));
	/* localtime_r need not re-read the zone: do it here, so a changed /etc/localtime
	 * counts from the next cycle on (with TZ unchanged this is a string compare) */
	if (zone_in_use == NULL)
		tzset();
	if (vmm_localtime(t, &tm) < 0)
		return;
	out->valid = 1;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->minute = tm.tm_min;
	out->second = tm.tm_sec;
	out->weekday = tm.tm_wday;
	out->utc_offset = (int)tm.tm_gmtoff;
}
