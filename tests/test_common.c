/* SPDX-License-Identifier: ISC */
/* The shared helpers of src/common: the edit distance, the JSON escape and the bounded
 * buffer, which every front end and writer now uses instead of its own copy. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/localtime.h"
#include "common/strutil.h"
#include "tap.h"

static void
test_edit_distance(void)
{
	static const struct { const char *a, *b; size_t d; } cases[] = {
		{ "", "", 0 }, { "", "policy", 6 }, { "policy", "", 6 },
		{ "policy", "policy", 0 }, { "polcy", "policy", 1 }, { "policyy", "policy", 1 },
		{ "pilicy", "policy", 1 }, { "kitten", "sitting", 3 },
		{ "daemon_intervel", "daemon_interval", 1 }, { "treshold", "threshold", 1 },
		{ "lowthreshold", "threshold", 3 }, { "abc", "xyz", 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t d = vmm_edit_distance(cases[i].a, cases[i].b);
		TAP_OK(d == cases[i].d, "edit distance '%s' '%s' = %zu (got %zu)", cases[i].a,
		    cases[i].b, cases[i].d, d);
		TAP_OK(vmm_edit_distance(cases[i].b, cases[i].a) == d, "... and the same both ways");
	}
	char l62[63], l63[64];
	memset(l62, 'a', 62), l62[62] = '\0';
	memset(l63, 'a', 63), l63[63] = '\0';
	TAP_OK(vmm_edit_distance(l62, "a") == 61, "62 bytes are still measured");
	TAP_OK(vmm_edit_distance(l63, l63) == VMM_EDIT_FAR, "63 bytes are far, even from itself");
	TAP_OK(vmm_edit_distance("a", l63) == VMM_EDIT_FAR, "... either side");
}

static void
check_escape(const char *in, size_t len, size_t cap, const char *want, const char *what)
{
	char out[80];

	memset(out, 'X', sizeof(out));
	size_t n = vmm_json_escape(in, len, out, cap);
	TAP_OK(n == strlen(want) && memcmp(out, want, n + 1) == 0 && out[cap] == 'X',
	    "json escape %s: '%s' (%zu bytes), nothing past cap %zu (got '%.*s', %zu)", what,
	    want, strlen(want), cap, (int)(n < sizeof(out) ? n : 0), out, n);
}

static void
test_json_escape(void)
{
	check_escape("plain text", 10, 64, "plain text", "as is");
	check_escape("a\"b\\c", 5, 64, "a\\\"b\\\\c", "quote and backslash");
	check_escape("l1\nl2\t\r\x1b", 8, 64, "l1\\u000al2\\u0009\\u000d\\u001b", "control bytes");
	check_escape("del\x7f", 4, 64, "del\\u007f", "DEL");
	check_escape("a\0b", 3, 64, "a\\u0000b", "a NUL inside");
	check_escape("Bj\xc3\xb8rn \xe2\x81\xa1", 10, 64, "Bj\xc3\xb8rn \xe2\x81\xa1", "UTF-8 as is");
	check_escape("\x01\x01", 2, 8, "\\u0001", "cut before an escape that does not fit");
	check_escape("abcdefgh", 8, 8, "ab", "cut while a whole escape and the NUL no longer fit");
	check_escape("abc", 3, 1, "", "cap 1: only the NUL");
	char none = 'Z';
	TAP_OK(vmm_json_escape("abc", 3, &none, 0) == 0 && none == 'Z', "cap 0 writes nothing");

	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	vmm_json_put(f, "say \"hi\"\\\n\x7f\xc3\xa9");
	fclose(f);
	TAP_STR(mem, "\"say \\\"hi\\\"\\\\\\u000a\\u007f\xc3\xa9\"", "json put: quoted and escaped alike");
	free(mem);
}

/* The one grow-by-doubling of arrays, and the one "is it in the list". */
static void
test_array_grow(void)
{
	static const char *const list[] = { "a", "bb", NULL };
	struct { int x; double y; } *v = NULL;
	size_t cap = 0, n, grew = 0;

	for (n = 0; n < 1000; n++) {
		size_t before = cap;
		if (vmm_array_grow(&v, &cap, n, sizeof(*v), 4) < 0)
			break;
		grew += cap != before;
		v[n].x = (int)n;
		v[n].y = (double)n;
	}
	int intact = n == 1000;
	for (size_t i = 0; intact && i < n; i++)
		intact = v[i].x == (int)i && v[i].y == (double)i;
	TAP_OK(intact && cap >= 1000 && cap < 2048 && grew == 9, "1000 elements kept in %zu grows to %zu", grew, cap);
	errno = 0;
	TAP_OK(vmm_array_grow(&v, &cap, cap, (size_t)-1 / 4, 4) == -1 && errno == ENOMEM && v[999].x == 999,
	    "a size past memory fails and leaves the array as it was");
	free(v);
	TAP_OK(vmm_str_in("bb", list) && !vmm_str_in("b", list) && !vmm_str_in("a", NULL),
	    "a string in a NULL-terminated list");
}

static void
test_buf(void)
{
	struct vmm_buf b;

	vmm_buf_init(&b, 4, 1000);
	TAP_OK(b.p == NULL && b.len == 0, "a new buffer allocates nothing");
	TAP_OK(vmm_buf_append(&b, "abc", 3) == 0 && b.len == 3 && strcmp(b.p, "abc") == 0 &&
	    b.cap == 4, "append: bytes and a NUL, first allocation 4 (cap %zu)", b.cap);
	TAP_OK(vmm_buf_append(&b, "de", 2) == 0 && strcmp(b.p, "abcde") == 0 && b.cap == 8,
	    "growing doubles (cap %zu)", b.cap);
	TAP_OK(vmm_buf_printf(&b, "-%d-%s", 42, "x") == 0 && strcmp(b.p, "abcde-42-x") == 0 &&
	    b.cap == 16, "printf appends (cap %zu)", b.cap);
	char big[600];
	memset(big, 'y', sizeof(big) - 1), big[sizeof(big) - 1] = '\0';
	TAP_OK(vmm_buf_printf(&b, "%s!", big) == 0 && b.len == 10 + 600 && b.p[b.len - 1] == '!' &&
	    b.p[b.len] == '\0' && b.cap == 1024, "a long printf is whole (len %zu, cap %zu)", b.len, b.cap);
	vmm_buf_consume(&b, 10);
	TAP_OK(b.len == 600 && b.p[0] == 'y' && b.p[600] == '\0', "consume drops the front");
	errno = 0;
	TAP_OK(vmm_buf_append(&b, big, 401) < 0 && errno == E2BIG && b.len == 600 &&
	    b.p[600] == '\0', "past the maximum: E2BIG, nothing appended");
	TAP_OK(vmm_buf_printf(&b, "%s", big) < 0 && errno == E2BIG && b.len == 600,
	    "... nor by printf");
	TAP_OK(vmm_buf_reserve(&b, (size_t)-1) < 0 && errno == E2BIG, "no overflow on a huge reserve");
	TAP_OK(vmm_buf_append(&b, big, 400) == 0 && b.len == 1000, "exactly the maximum fits");
	TAP_OK(vmm_buf_append(&b, "", 0) == 0 && vmm_buf_append(&b, "z", 1) < 0,
	    "full: nothing appends, an empty append is fine");
	vmm_buf_reset(&b);
	TAP_OK(b.len == 0 && b.p[0] == '\0' && b.cap >= 1001, "reset keeps the memory");
	vmm_buf_consume(&b, 5);
	TAP_OK(b.len == 0, "consume of an empty buffer");
	TAP_OK(vmm_buf_reserve(&b, 10) == 0 && (memcpy(b.p, "direct", 6), b.len = 6, 1) &&
	    vmm_buf_append(&b, "!", 1) == 0 && strcmp(b.p, "direct!") == 0,
	    "writing into the reserved room, then appending");
	char *s = vmm_buf_take(&b);
	TAP_STR(s, "direct!", "take hands over the bytes");
	TAP_OK(b.p == NULL && b.len == 0 && b.cap == 0, "... and leaves the buffer empty");
	free(s);
	s = vmm_buf_take(&b);
	TAP_STR(s, "", "take of an empty buffer gives \"\"");
	free(s);
	vmm_buf_free(&b);
	vmm_buf_init(&b, 0, 0);
	TAP_OK(vmm_buf_append(&b, "", 0) == 0 && b.p != NULL && b.p[0] == '\0' &&
	    vmm_buf_append(&b, "a", 1) < 0, "maximum 0: an empty string and nothing more");
	vmm_buf_free(&b);
	TAP_OK(b.p == NULL, "free");
}

static void
test_clocks(void)
{
	double m0 = vmm_mono_now(), w = vmm_wall_now();
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	nanosleep(&pause, NULL);
	double m1 = vmm_mono_now();
	TAP_OK(m1 - m0 >= 0.019 && m1 - m0 < 60, "the monotonic clock moves on (%.3f s)", m1 - m0);
	TAP_OK(w - (double)time(NULL) < 2 && (double)time(NULL) - w < 2, "the wall clock is the epoch");
}

static void
check_local(int64_t t, int y, int mo, int d, int h, int mi, int s, int wd, int off, const char *what)
{
	struct vmm_local_time lt;

	vmm_local_time_of(t, &lt);
	TAP_OK(lt.valid && lt.year == y && lt.month == mo && lt.day == d && lt.hour == h &&
	    lt.minute == mi && lt.second == s && lt.weekday == wd && lt.utc_offset == off,
	    "local time %s: %04d-%02d-%02d %02d:%02d:%02d wday %d offset %d (got %d %04d-%02d-%02d %02d:%02d:%02d wday %d offset %d)",
	    what, y, mo, d, h, mi, s, wd, off, lt.valid, lt.year, lt.month, lt.day, lt.hour,
	    lt.minute, lt.second, lt.weekday, lt.utc_offset);
}

static void
test_local_time(void)
{
	setenv("TZ", "UTC", 1);
	check_local(1242172800 + 3 * 3600 + 61, 2009, 5, 13, 3, 1, 1, 3, 0, "UTC");
	check_local(0, 1970, 1, 1, 0, 0, 0, 4, 0, "UTC at the epoch");
	/* read at every call: a changed zone counts at once */
	setenv("TZ", "Europe/Oslo", 1);
	check_local(1242172800, 2009, 5, 13, 2, 0, 0, 3, 7200, "Oslo in summer");
	check_local(1231891200, 2009, 1, 14, 1, 0, 0, 3, 3600, "Oslo in winter");
	/* 2009-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST; 10-25 01:00 UTC: 03:00 CEST is 02:00 CET */
	check_local(1238288400 - 1, 2009, 3, 29, 1, 59, 59, 0, 3600, "Oslo before summer time");
	check_local(1238288400, 2009, 3, 29, 3, 0, 0, 0, 7200, "Oslo, summer time begins");
	check_local(1256432400 - 1, 2009, 10, 25, 2, 59, 59, 0, 7200, "Oslo before winter time");
	check_local(1256432400, 2009, 10, 25, 2, 0, 0, 0, 3600, "Oslo, the hour again");
	struct vmm_local_time lt;
	memset(&lt, 0x5a, sizeof(lt));
	vmm_local_time_of(INT64_MAX, &lt);
	TAP_OK(!lt.valid && lt.hour == 0 && lt.weekday == 0, "a time that does not convert is not valid, all 0");
	unsetenv("TZ");
}

/* Where vmm_localtime in zone z and localtime_r under TZ=z differ in [from, to) at a
 * step of step seconds (and a second before each): how many, the first in why. */
static int
zone_mismatches(const char *z, int64_t from, int64_t to, int64_t step, char *why, size_t len)
{
	char err[256];
	int bad = 0;

	if (vmm_localtime_zone(z, err, sizeof(err)) < 0)
		return snprintf(why, len, "%s", err), 1;
	setenv("TZ", z, 1);
	tzset();
	for (int64_t t0 = from; t0 < to; t0 += step)
		for (int64_t t = t0 - 1; t <= t0; t++) {
			time_t tt = (time_t)t;
			struct tm want, got;
			int64_t back;
			localtime_r(&tt, &want);
			if (vmm_localtime(t, &got) == 0 && got.tm_year == want.tm_year &&
			    got.tm_yday == want.tm_yday && got.tm_mon == want.tm_mon &&
			    got.tm_mday == want.tm_mday && got.tm_wday == want.tm_wday &&
			    got.tm_hour == want.tm_hour && got.tm_min == want.tm_min &&
			    got.tm_sec == want.tm_sec && got.tm_isdst == want.tm_isdst &&
			    got.tm_gmtoff == want.tm_gmtoff && strcmp(got.tm_zone, want.tm_zone) == 0 &&
			    vmm_mktime(&got, &back) == 0 && (back == t || mktime(&want) != tt))
				continue;
			if (bad++ == 0)
				snprintf(why, len, "at %lld: %04d-%02d-%02d %02d:%02d:%02d %s %ld, want %04d-%02d-%02d %02d:%02d:%02d %s %ld",
				    (long long)t, got.tm_year + 1900, got.tm_mon + 1, got.tm_mday, got.tm_hour,
				    got.tm_min, got.tm_sec, got.tm_zone, got.tm_gmtoff, want.tm_year + 1900,
				    want.tm_mon + 1, want.tm_mday, want.tm_hour, want.tm_min, want.tm_sec,
				    want.tm_zone, want.tm_gmtoff);
		}
	return bad;
}

/* A zone read from its tzfile tells the time as the C library does under TZ, without
 * TZ: the simulator's zone (tests/sim_identical.sh holds its output). */
static void
test_zone(void)
{
	static const char *const zones[] = { "Europe/Oslo", "America/New_York",
		"Australia/Sydney", "Asia/Kolkata", "UTC", "America/Sao_Paulo", "Pacific/Chatham",
		"Europe/Dublin", "Africa/Casablanca", "America/St_Johns",
		"CET-1CEST,M3.5.0,M10.5.0/3", "<+0330>-3:30", "EST5EDT", "AEST-10AEDT,M10.1.0,M4.1.0/3" };
	char why[512], err[256], buf[64];
	struct tm tm;

	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		why[0] = '\0';
		/* 1900 to 2150 a week and an hour apart, and every hour of 2009 and of 2045
		 * (past a fat tzfile's table: the footer's rule) */
		/* glibc counts a POSIX TZ string's dates before 1971 from 1970-01-01 */
		int64_t from = strchr(zones[i], ',') ? INT64_C(31536000) : -INT64_C(2208988800);
		int bad = zone_mismatches(zones[i], from, INT64_C(5680281600), 608401, why, sizeof(why)) +
		    zone_mismatches(zones[i], 1230768000, 1262304000, 3600, why, sizeof(why)) +
		    zone_mismatches(zones[i], 2366755200, 2398291200, 3600, why, sizeof(why));
		TAP_OK(bad == 0, "%s as localtime_r has it (%d differ%s%s)", zones[i], bad, bad ? ": " : "", why);
	}
	setenv("TZ", "UTC", 1);
	tzset();
	TAP_OK(vmm_localtime_zone("Europe/Oslo", err, sizeof(err)) == 0 &&
	    strcmp(getenv("TZ"), "UTC") == 0, "a zone is set without touching TZ");
	TAP_OK(vmm_thesis_date(1241613863, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "Wed May  6 14:44:23 CEST 2009") == 0, "the thesis's date in it: %s", buf);
	TAP_OK(vmm_localtime(INT64_MAX, &tm) == -1, "a time past any year does not convert");
	TAP_OK(vmm_localtime_zone("Mars/Olympus_Mons", err, sizeof(err)) == -1, "no such zone: %s", err);
	TAP_OK(strstr(err, "no time zone 'Mars/Olympus_Mons'") != NULL, "said so");
	TAP_OK(vmm_localtime_zone("../../etc/passwd", err, sizeof(err)) == -1 &&
	    vmm_localtime_zone("/etc/passwd", err, sizeof(err)) == -1, "a file that is no tzfile is refused");
	TAP_OK(vmm_localtime_zone(NULL, err, sizeof(err)) == 0 && vmm_thesis_date(1241613863, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "Wed May  6 12:44:23 UTC 2009") == 0, "NULL: the process's zone again (%s)", buf);
	unsetenv("TZ");
	tzset();
}

/* The thesis's date: the form date(1) prints, or nothing at all. */
static void
test_thesis_date(void)
{
	char buf[64];

	setenv("TZ", "Europe/Oslo", 1);
	tzset();
	TAP_OK(vmm_thesis_date(1241613863, buf, sizeof(buf)) == strlen(buf) &&
	    strcmp(buf, "Wed May  6 14:44:23 CEST 2009") == 0, "the thesis's date: %s", buf);
	TAP_OK(vmm_thesis_date(-1, buf, sizeof(buf)) == 0 && buf[0] == '\0', "before 1970: nothing");
	TAP_OK(vmm_thesis_date(253402300800, buf, sizeof(buf)) == 0 && buf[0] == '\0',
	    "year 10000: nothing");
	TAP_OK(vmm_thesis_date(1241613863, buf, 10) == 0 && buf[0] == '\0', "no room: nothing");
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	test_edit_distance();
	test_json_escape();
	test_buf();
	test_array_grow();
	test_clocks();
	test_local_time();
	test_thesis_date();
	test_zone();
	return tap_done();
}
