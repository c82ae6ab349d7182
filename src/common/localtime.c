/* SPDX-License-Identifier: ISC */
/* Local time for the policy input. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "common/localtime.h"

void
vmm_local_time_of(int64_t t, struct vmm_local_time *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	memset(out, 0, sizeof(*out));
	/* localtime_r need not re-read the zone: do it here, so a changed /etc/localtime
	 * counts from the next cycle on (with TZ unchanged this is a string compare) */
	tzset();
	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
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
