/* SPDX-License-Identifier: ISC */
/* The day and time syntax of vmmanage.conf, one parser for the schedule policy's
 * work_hours/work_days and the core's quiet windows: days "Mon-Fri", "Mon,Wed,Fri",
 * "Fri-Mon" (names of three letters or whole, any case) and hours "09:00-16:00" (a start
 * after the stop runs over midnight). Inline, so a module needs no library for it. */
#ifndef VMMANAGE_DAYTIME_H
#define VMMANAGE_DAYTIME_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VMM_ALL_DAYS 0x7fu        /* a bit per tm_wday, 0 = Sunday */
#define VMM_DAY_MINUTES (24 * 60)

static inline void
vmm_daytime_skip_space(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

/* "Mon" or "monday" (any case) at *p, which moves past it; the weekday number, or -1. */
static inline int
vmm_daytime_day(const char **p)
{
	static const char *const vmm_day_names[7] = {
		"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
	};

	for (int d = 0; d < 7; d++) {
		const char *name = vmm_day_names[d];
		if (strncasecmp(*p, name, 3) != 0)
			continue;
		size_t full = strlen(name);
		*p += strncasecmp(*p, name, full) == 0 ? full : 3;
		return d;
	}
	return -1;
}

/* The bits from day a to day b, wrapping past Sunday ("Fri-Mon"). */
static inline unsigned
vmm_daytime_day_range(int a, int b)
{
	unsigned bits = 0;

	for (int d = a;; d = (d + 1) % 7) {
		bits |= 1u << d;
		if (d == b)
			break;
	}
	return bits;
}

/* One "Mon-Fri" or "Sat" at *p; the bits, or 0 (then *p is anywhere). */
static inline unsigned
vmm_daytime_day_item(const char **p)
{
	int a, b;

	vmm_daytime_skip_space(p);
	a = b = vmm_daytime_day(p);
	vmm_daytime_skip_space(p);
	if (a >= 0 && **p == '-') {
		(*p)++;
		vmm_daytime_skip_space(p);
		b = vmm_daytime_day(p);
		vmm_daytime_skip_space(p);
	}
	return a < 0 || b < 0 ? 0 : vmm_daytime_day_range(a, b);
}

/* A whole string of days, "Mon-Fri" or "Mon,Wed,Fri": the bits; 0 on a syntax error. */
static inline unsigned
vmm_daytime_days(const char *s)
{
	unsigned days = 0, item;
	const char *p = s;

	for (;;) {
		if ((item = vmm_daytime_day_item(&p)) == 0)
			return 0;
		days |= item;
		if (*p == '\0')
			return days;
		if (*p++ != ',')
			return 0;
	}
}

/* "9:00" or "09:00", up to "24:00", at *p, which moves past it; minutes, or -1. */
static inline int
vmm_daytime_clock(const char **p)
{
	char *end;
	long h, m;

	if (!isdigit((unsigned char)**p))
		return -1;
	h = strtol(*p, &end, 10);
	if (*end != ':' || end - *p > 2 || !isdigit((unsigned char)end[1]) ||
	    !isdigit((unsigned char)end[2]))
		return -1;
	m = (end[1] - '0') * 10 + (end[2] - '0');
	*p = end + 3;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return (int)(h * 60 + m);
}

/* "09:00-16:00" at *p, which moves past it (and past spaces after it): 0, or -1 when it
 * is not one or is empty (start = stop). */
static inline int
vmm_daytime_hours_at(const char **p, int *start, int *stop)
{
	vmm_daytime_skip_space(p);
	*start = vmm_daytime_clock(p);
	vmm_daytime_skip_space(p);
	if (*start < 0 || *start >= VMM_DAY_MINUTES || **p != '-')
		return -1;
	(*p)++;
	vmm_daytime_skip_space(p);
	*stop = vmm_daytime_clock(p);
	vmm_daytime_skip_space(p);
	return *stop < 0 || *start == *stop ? -1 : 0;
}

/* A whole string of hours, "09:00-16:00": 0 or -1. */
static inline int
vmm_daytime_hours(const char *s, int *start, int *stop)
{
	const char *p = s;

	return vmm_daytime_hours_at(&p, start, stop) < 0 || *p != '\0' ? -1 : 0;
}

static inline int
vmm_daytime_in_range(int start, int stop, int x)
{
	return start < stop ? start <= x && x < stop : x >= start || x < stop;
}

/* Is minute of the day `minute` on weekday `day` inside hours start-stop on days? The part
 * of a range over midnight after midnight belongs to the day it started on: "22:00-06:00"
 * on "Fri" holds Friday night into Saturday morning. */
static inline int
vmm_daytime_covers(unsigned days, int start, int stop, int day, int minute)
{
	if (!vmm_daytime_in_range(start, stop, minute))
		return 0;
	if (start > stop && minute < stop)
		day = (day + 6) % 7;
	return (days >> day) & 1u;
}

#endif
