/* SPDX-License-Identifier: ISC */
/* Parsing mod_status `server-status?auto` output: pure, no I/O, no locale. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sensors/apache_parse.h"

/* Longest value worth reading; Apache's numbers are far shorter. */
#define APACHE_MAX_NUMBER 64
#define APACHE_MAX_EXP 308

static int
apache_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* digits into *v; how many were read */
static size_t
apache_digits(const char *s, size_t n, size_t *i, double *v)
{
	size_t start = *i;

	for (; *i < n && apache_digit(s[*i]); (*i)++)
		*v = *v * 10 + (s[*i] - '0');
	return *i - start;
}

static double
apache_scale(double v, long e)
{
	for (; e > 0; e--)
		v *= 10;
	for (; e < 0; e++)
		v /= 10;
	return v;
}

/* The exponent part after 'e'; -1 when malformed. */
static int
apache_exponent(const char *s, size_t n, size_t *i, long *e)
{
	int neg = 0;

	if (*i < n && (s[*i] == '+' || s[*i] == '-'))
		neg = s[(*i)++] == '-';
	if (*i >= n || !apache_digit(s[*i]))
		return -1;
	for (*e = 0; *i < n && apache_digit(s[*i]); (*i)++)
		if (*e < 10000)
			*e = *e * 10 + (s[*i] - '0');
	if (neg)
		*e = -*e;
	return 0;
}

/*
 * A decimal number as printf's %g or %d writes it ("3", ".0666667", "6.7e-05").
 * Not strtod: that depends on LC_NUMERIC, and the whole value must be a number.
 */
static int
apache_number(const char *s, size_t n, double *out)
{
	size_t i = 0, nd;
	double v = 0;
	long e = 0, frac;
	int neg = 0;

	if (n == 0 || n > APACHE_MAX_NUMBER)
		return -1;
	if (s[0] == '-' || s[0] == '+')
		neg = s[i++] == '-';
	nd = apache_digits(s, n, &i, &v);
	if (i < n && s[i] == '.') {
		i++;
		size_t before = i;
		frac = (long)apache_digits(s, n, &i, &v);
		nd += i - before;
		e -= frac;
	}
	if (nd == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		long x;
		i++;
		if (apache_exponent(s, n, &i, &x) < 0)
			return -1;
		e += x;
	}
	if (i != n || e > APACHE_MAX_EXP || e < -APACHE_MAX_EXP - APACHE_MAX_NUMBER)
		return -1;
	v = apache_scale(v, e);
	*out = neg ? -v : v;
	return 0;
}

static void
apache_field_set(struct apache_field *f, const char *v, size_t vn, size_t line)
{
	if (f->state != APACHE_ABSENT)
		return; /* the first of duplicates wins */
	f->line = line;
	f->state = apache_number(v, vn, &f->value) == 0 ? APACHE_OK : APACHE_BAD;
}

static int
apache_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One complete line without its newline. */
static void
apache_line(struct apache_status *st, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);

	st->lines++;
	if (colon == NULL || colon == s)
		return;
	size_t kn = (size_t)(colon - s);
	const char *v = colon + 1;
	size_t vn = n - kn - 1;
	while (vn > 0 && apache_space(*v))
		v++, vn--;
	while (vn > 0 && apache_space(v[vn - 1]))
		vn--;
	st->pairs++;
	if (kn == 11 && memcmp(s, "IdleWorkers", 11) == 0)
		apache_field_set(&st->idle, v, vn, st->lines);
	else if (kn == 11 && memcmp(s, "BusyWorkers", 11) == 0)
		apache_field_set(&st->busy, v, vn, st->lines);
	else if (kn == 9 && memcmp(s, "ReqPerSec", 9) == 0)
		apache_field_set(&st->rps, v, vn, st->lines);
}

int
sensor_apache_parse(const char *buf, size_t len, struct apache_status *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL) {
			out->unterminated = 1;
			break;
		}
		apache_line(out, buf + pos, (size_t)(nl - (buf + pos)));
		pos = (size_t)(nl - buf) + 1;
	}
	return out->idle.state == APACHE_OK && out->idle.value >= 0 ? 0 : -1;
}

const char *
sensor_apache_why(const struct apache_status *st, char *buf, size_t len)
{
	if (st->idle.state == APACHE_OK && st->idle.value < 0)
		snprintf(buf, len, "IdleWorkers is negative (line %zu)", st->idle.line);
	else if (st->idle.state == APACHE_BAD)
		snprintf(buf, len, "IdleWorkers on line %zu is not a number", st->idle.line);
	else if (st->pairs == 0)
		snprintf(buf, len, "no `Key: value` lines in %zu lines%s: not server-status?auto output",
		    st->lines, st->unterminated ? " and a cut last line" : "");
	else
		snprintf(buf, len, "no IdleWorkers line among %zu `Key: value` lines%s", st->pairs,
		    st->unterminated ? " (the body ends in the middle of a line: cut?)" : "");
	return buf;
}
