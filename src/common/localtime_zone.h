/* SPDX-License-Identifier: ISC */
/* A time zone read from its tzfile, for local time in a zone other than the process's
 * (src/common/localtime.h uses it; nothing else need include this). */
#ifndef VMM_COMMON_LOCALTIME_ZONE_H
#define VMM_COMMON_LOCALTIME_ZONE_H

#include <stddef.h>
#include <stdint.h>

struct vmm_zone_type {
	int32_t off; /* seconds east of UTC */
	int isdst;
	char abbr[16];
};

/* One date of a POSIX TZ rule: kind 'J' (a = day 1..365, no Feb 29), 'n' (a = day
 * 0..365) or 'M' (month a, week b, weekday c); secs the local time of day. */
struct vmm_tz_rule {
	char kind;
	int a, b, c;
	int32_t secs;
};
struct vmm_tz_rule_set {
	struct vmm_zone_type std, dst;
	int has_dst;
	struct vmm_tz_rule start, end;
};

struct vmm_zone {
	int64_t *trans;        /* transition times, ascending */
	unsigned char *idx;    /* the type from each transition on */
	size_t ntrans;
	struct vmm_zone_type *types;
	size_t ntypes;
	struct vmm_tz_rule_set rule; /* after the last transition (or alone) */
	int has_rule;
};

/* name under $TZDIR or /usr/share/zoneinfo ("Europe/Oslo"), an absolute path, or a
 * POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"). NULL with err on failure. */
struct vmm_zone *vmm_zone_load(const char *name, char *err, size_t errlen);
/* The same from a tzfile's bytes; NULL when they are none this reads (or no memory). */
struct vmm_zone *vmm_zone_from_tzif(const unsigned char *buf, size_t len);
void vmm_zone_free(struct vmm_zone *z);
/* The offset, DST flag and abbreviation in force at epoch seconds t. */
const struct vmm_zone_type *vmm_zone_type_at(const struct vmm_zone *z, int64_t t);
/* "CET-1CEST,M3.5.0,M10.5.0/3" into rs. 0, or -1 when it is no such string. */
int vmm_tz_rule_parse(const char *s, struct vmm_tz_rule_set *rs);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t vmm_days_from_civil(int64_t y, int m, int d);

#endif
