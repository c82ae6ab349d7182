/* SPDX-License-Identifier: ISC */
/* A named time zone read from its tzfile (RFC 8536, as zic writes them under
 * /usr/share/zoneinfo), with the POSIX TZ rule of its footer for times past its last
 * transition, so that a program can have local time in any zone without setting TZ.
 * The rules follow glibc's reading of the same files, so the times agree with
 * localtime_r under TZ=name. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/localtime_zone.h"

#define TZ_MAX_FILE (1 << 20) /* real ones are a few kilobytes */

static uint32_t
tz_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tz_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

int64_t
vmm_days_from_civil(int64_t y, int m, int d)
{
	/* Howard Hinnant's algorithm */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil year of a day count (the inverse of the above, year only). */
static int64_t
tz_year_of_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static int
tz_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- the POSIX TZ rule: "CET-1CEST,M3.5.0,M10.5.0/3" ---- */

static const char *
tz_name(const char *p, char *out, size_t len)
{
	size_t n = 0;
	int quoted = *p == '<';

	if (quoted)
		p++;
	while (quoted ? (*p != '>' && *p != '\0') : ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) {
		if (n + 1 < len)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	if (n < 3 || (quoted && *p++ != '>'))
		return NULL;
	return p;
}

/* [+-]hh[:mm[:ss]], hh up to 167 (RFC 8536's extension), into seconds */
static const char *
tz_hms(const char *p, int32_t *out)
{
	int sign = 1;
	long v[3] = { 0, 0, 0 };

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		if (i > 0 && *p != ':')
			break;
		if (i > 0)
			p++;
		char *end;
		if (*p < '0' || *p > '9')
			return NULL;
		v[i] = strtol(p, &end, 10);
		if (end - p > 3 || v[i] > (i == 0 ? 167 : 59))
			return NULL;
		p = end;
	}
	*out = (int32_t)(sign * (v[0] * 3600 + v[1] * 60 + v[2]));
	return p;
}

/* Jn, n or Mm.w.d, then [/time] (default 02:00) */
static const char *
tz_date(const char *p, struct vmm_tz_rule *r)
{
	char *end;

	r->kind = *p == 'J' || *p == 'M' ? *p++ : 'n';
	if (*p < '0' || *p > '9')
		return NULL;
	r->a = (int)strtol(p, &end, 10);
	p = end;
	if (r->kind == 'M') {
		if (*p++ != '.' || *p < '0' || *p > '9')
			return NULL;
		r->b = (int)strtol(p, &end, 10);
		if (*(p = end) != '.' || p[1] < '0' || p[1] > '9')
			return NULL;
		r->c = (int)strtol(p + 1, &end, 10);
		p = end;
		if (r->a < 1 || r->a > 12 || r->b < 1 || r->b > 5 || r->c > 6)
			return NULL;
	} else if (r->a > 365 || (r->kind == 'J' && r->a < 1))
		return NULL;
	r->secs = 7200;
	if (*p == '/' && (p = tz_hms(p + 1, &r->secs)) == NULL)
		return NULL;
	return p;
}

int
vmm_tz_rule_parse(const char *s, struct vmm_tz_rule_set *rs)
{
	const char *p = s;
	int32_t off;

	memset(rs, 0, sizeof(*rs));
	if ((p = tz_name(p, rs->std.abbr, sizeof(rs->std.abbr))) == NULL ||
	    (p = tz_hms(p, &off)) == NULL)
		return -1;
	rs->std.off = -off; /* POSIX counts west */
	if (*p == '\0')
		return 0;
	if ((p = tz_name(p, rs->dst.abbr, sizeof(rs->dst.abbr))) == NULL)
		return -1;
	rs->has_dst = 1;
	rs->dst.isdst = 1;
	rs->dst.off = rs->std.off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = tz_hms(p, &off)) == NULL)
			return -1;
		rs->dst.off = -off;
	}
	/* no rule: the one glibc assumes, the United States' since 2007 */
	if (*p == '\0')
		p = ",M3.2.0,M11.1.0";
	if (*p++ != ',' || (p = tz_date(p, &rs->start)) == NULL || *p++ != ',' ||
	    (p = tz_date(p, &rs->end)) == NULL || *p != '\0')
		return -1;
	return 0;
}

/* When in year the rule's date and time, counted in local time of offset, fall. */
static int64_t
tz_change(const struct vmm_tz_rule *r, int64_t year, int32_t offset)
{
	int64_t day = vmm_days_from_civil(year, 1, 1);

	if (r->kind == 'J')
		day += r->a - 1 + (tz_leap(year) && r->a >= 60);
	else if (r->kind == 'n')
		day += r->a;
	else {
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int64_t first = vmm_days_from_civil(year, r->a, 1);
		int wday = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int d = 1 + (r->c - wday + 7) % 7 + (r->b - 1) * 7;
		int len = mdays[r->a - 1] + (r->a == 2 && tz_leap(year));
		while (d > len)
			d -= 7;
		day = first + d - 1;
	}
	return day * 86400 + r->secs - offset;
}

static const struct vmm_zone_type *
tz_rule_type(const struct vmm_tz_rule_set *rs, int64_t t)
{
	if (!rs->has_dst)
		return &rs->std;
	int64_t year = tz_year_of_days(t >= 0 ? t / 86400 : (t - 86399) / 86400);
	int64_t start = tz_change(&rs->start, year, rs->std.off);
	int64_t end = tz_change(&rs->end, year, rs->dst.off);
	int dst = start > end ? (t < end || t >= start) : (t >= start && t < end);
	return dst ? &rs->dst : &rs->std;
}

/* ---- the tzfile ---- */

struct tz_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static size_t
tz_block_size(const struct tz_counts *n, size_t tsize)
{
	return (size_t)n->time * tsize + n->time + (size_t)n->type * 6 + n->chars +
	    (size_t)n->leap * (tsize + 4) + n->isstd + n->isut;
}

static int
tz_header(const unsigned char *p, size_t len, struct tz_counts *n)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	n->isut = tz_be32(p + 20);
	n->isstd = tz_be32(p + 24);
	n->leap = tz_be32(p + 28);
	n->time = tz_be32(p + 32);
	n->type = tz_be32(p + 36);
	n->chars = tz_be32(p + 40);
	if (n->type == 0 || n->type > 256 || n->chars == 0 || n->time > 100000 ||
	    n->chars > 4096 || n->leap > 1000 || n->isut > n->type || n->isstd > n->type)
		return -1;
	return 0;
}

static int
tz_types(struct vmm_zone *z, const unsigned char *p, const struct tz_counts *n)
{
	const unsigned char *chars = p + (size_t)n->type * 6;

	if ((z->types = calloc(n->type, sizeof(*z->types))) == NULL)
		return -1;
	z->ntypes = n->type;
	for (uint32_t i = 0; i < n->type; i++, p += 6) {
		size_t at = p[5];
		if (at >= n->chars || p[4] > 1)
			return -1;
		z->types[i].off = (int32_t)tz_be32(p);
		z->types[i].isdst = p[4];
		snprintf(z->types[i].abbr, sizeof(z->types[i].abbr), "%.*s",
		    (int)strnlen((const char *)chars + at, n->chars - at), (const char *)chars + at);
	}
	return 0;
}

/* The data block after a header: transitions of tsize bytes, their types, the types. */
static int
tz_data(struct vmm_zone *z, const unsigned char *p, const struct tz_counts *n, size_t tsize)
{
	if ((z->trans = calloc(n->time + 1, sizeof(*z->trans))) == NULL ||
	    (z->idx = calloc(n->time + 1, 1)) == NULL)
		return -1;
	z->ntrans = n->time;
	for (uint32_t i = 0; i < n->time; i++) {
		z->trans[i] = tsize == 8 ? tz_be64(p + 8 * i) : (int32_t)tz_be32(p + 4 * i);
		z->idx[i] = p[(size_t)n->time * tsize + i];
		if (z->idx[i] >= n->type || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return -1;
	}
	return tz_types(z, p + (size_t)n->time * (tsize + 1), n);
}

static int
tz_parse(struct vmm_zone *z, const unsigned char *p, size_t len)
{
	struct tz_counts n;
	size_t size;

	if (tz_header(p, len, &n) < 0 || (size = tz_block_size(&n, 4)) > len - 44)
		return -1;
	if (p[4] < '2')
		return n.leap > 0 ? -1 : tz_data(z, p + 44, &n, 4);
	p += 44 + size;
	len -= 44 + size;
	if (tz_header(p, len, &n) < 0 || (size = tz_block_size(&n, 8)) > len - 44 ||
	    n.leap > 0) /* leap-second ("right/") zones: not handled */
		return -1;
	if (tz_data(z, p + 44, &n, 8) < 0)
		return -1;
	/* the footer: "\nTZ string\n", maybe empty */
	const char *foot = (const char *)p + 44 + size, *last = (const char *)p + len;
	if (foot < last && *foot == '\n') {
		const char *nl = memchr(foot + 1, '\n', (size_t)(last - foot - 1));
		char rule[128];
		if (nl == NULL || nl - foot - 1 >= (long)sizeof(rule))
			return -1;
		memcpy(rule, foot + 1, (size_t)(nl - foot - 1));
		rule[nl - foot - 1] = '\0';
		if (rule[0] != '\0') {
			if (vmm_tz_rule_parse(rule, &z->rule) < 0)
				return -1;
			z->has_rule = 1;
		}
	}
	return 0;
}

static int
tz_read(const char *path, unsigned char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1;

	*buf = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= TZ_MAX_FILE &&
	    (*buf = malloc((size_t)st.st_size + 1)) != NULL)
		n = read(fd, *buf, (size_t)st.st_size);
	close(fd);
	if (n < 0 || (*buf != NULL && n != st.st_size)) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

void
vmm_zone_free(struct vmm_zone *z)
{
	if (z == NULL)
		return;
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

/* name under TZDIR (or /usr/share/zoneinfo), or an absolute path; NULL if unsafe */
static int
tz_path(const char *name, char *path, size_t len)
{
	const char *dir = getenv("TZDIR");

	if (*name == ':')
		name++;
	if (*name == '\0' || strstr(name, "..") != NULL)
		return -1;
	if (*name == '/')
		return snprintf(path, len, "%s", name) < (int)len ? 0 : -1;
	return snprintf(path, len, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name) < (int)len ? 0 : -1;
}

struct vmm_zone *
vmm_zone_from_tzif(const unsigned char *buf, size_t len)
{
	struct vmm_zone *z = calloc(1, sizeof(*z));

	if (z != NULL && tz_parse(z, buf, len) < 0) {
		vmm_zone_free(z);
		z = NULL;
	}
	return z;
}

struct vmm_zone *
vmm_zone_load(const char *name, char *err, size_t errlen)
{
	struct vmm_zone *z = NULL;
	unsigned char *buf = NULL;
	char path[4096];
	size_t len = 0;

	if (tz_path(name, path, sizeof(path)) == 0 && tz_read(path, &buf, &len) == 0) {
		z = vmm_zone_from_tzif(buf, len);
		free(buf);
		if (z == NULL)
			snprintf(err, errlen, "%s is no time zone file this program can read", path);
		return z;
	}
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (vmm_tz_rule_parse(*name == ':' ? name + 1 : name, &z->rule) == 0) {
		z->has_rule = 1; /* a POSIX TZ string, as TZ takes one */
		return z;
	}
	snprintf(err, errlen, "no time zone '%s' (a name under %s such as \"Europe/Oslo\", or a POSIX TZ string)",
	    name, getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo");
	vmm_zone_free(z);
	return NULL;
}

const struct vmm_zone_type *
vmm_zone_type_at(const struct vmm_zone *z, int64_t t)
{
	if (z->ntrans == 0 || t < z->trans[0]) {
		if (z->ntrans == 0 && z->ntypes == 0)
			return tz_rule_type(&z->rule, t);
		/* before the first transition: the first standard-time type, as glibc */
		for (size_t i = 0; i < z->ntypes; i++)
			if (!z->types[i].isdst)
				return &z->types[i];
		return &z->types[0];
	}
	if (t >= z->trans[z->ntrans - 1])
		return z->has_rule ? tz_rule_type(&z->rule, t) : &z->types[z->idx[z->ntrans - 1]];
	size_t lo = 0, hi = z->ntrans - 1; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &z->types[z->idx[lo]];
}
