/* SPDX-License-Identifier: ISC */
/* String helpers shared by the agent, its tools and the collector. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"

size_t
vmm_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return VMM_EDIT_FAR;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

/* One byte's escape into out (room for 7: six and a NUL); its length. */
static size_t
json_escape_byte(unsigned char c, char *out)
{
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(out, 7, "\\u%04x", c);
	out[0] = (char)c;
	return 1;
}

size_t
vmm_json_escape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	/* 7: the longest escape and the NUL always fit, so no escape is ever cut */
	for (size_t i = 0; i < len && o + 7 <= cap; i++)
		o += json_escape_byte((unsigned char)s[i], out + o);
	if (cap > 0)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

void
vmm_json_put(FILE *f, const char *s)
{
	char esc[7];

	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fwrite(esc, 1, json_escape_byte(*p, esc), f);
	fputc('"', f);
}

int
vmm_str_in(const char *s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* NULL: localtime_r. A program that tells time in a zone of its own installs its
 * converter (common/localtime.c does); strutil.c stays free of it for its many users
 * that never do. */
static int (*thesis_localtime)(int64_t t, struct tm *tm);

void
vmm_thesis_date_localtime(int (*fn)(int64_t t, struct tm *tm))
{
	thesis_localtime = fn;
}

size_t
vmm_thesis_date(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	size_t n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (when < 0 || (int64_t)t != when ||
	    (thesis_localtime ? thesis_localtime(when, &tm) < 0 : localtime_r(&t, &tm) == NULL) ||
	    tm.tm_year > 9999 - 1900)
		return 0;
	if ((n = strftime(buf, len, "%a %b %e %H:%M:%S %Z %Y", &tm)) == 0)
		buf[0] = '\0';
	return n;
}

int
vmm_parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(*out))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' ? 0 : -1;
}
