/* SPDX-License-Identifier: ISC */
/* Demand traces from CSV files (e.g. a week of slow queries exported from munin, as in
 * the thesis's Figure 4.2), strictly checked: a sim input with a bad line is a mistake
 * to report by file and line, not to guess around. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/localtime.h"
#include "common/localtime_zone.h"
#include "sim/trace.h"
#include "core/spannum.h"

#define TRACE_MAX_POINTS (16u << 20)

static int
trace_digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
sim_parse_date(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h, mi, sec = 0, utc = 0;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z')) {
		utc = 1;
		len--;
	}
	if ((len != 16 && len != 19) || s[4] != '-' || s[7] != '-' ||
	    (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || (len == 19 && s[16] != ':'))
		return -1;
	if (s[10] == 'T')
		utc = 1;
	if (trace_digits(s, 4, &y) < 0 || trace_digits(s + 5, 2, &mo) < 0 ||
	    trace_digits(s + 8, 2, &d) < 0 || trace_digits(s + 11, 2, &h) < 0 ||
	    trace_digits(s + 14, 2, &mi) < 0 || (len == 19 && trace_digits(s + 17, 2, &sec) < 0))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (utc) {
		*out = vmm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
		return 0;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
		.tm_min = mi, .tm_sec = sec, .tm_isdst = -1 };
	return vmm_mktime(&tm, out);
}


static int
trace_time(const char *s, size_t len, double *out)
{
	int64_t e;

	if (span_number(s, len, out) == 0)
		return 0;
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	if (sim_parse_date(s, len, &e) < 0)
		return -1;
	*out = (double)e;
	return 1;
}

static int
trace_push(struct sim_trace *tr, size_t *cap, double t, double v)
{
	if (tr->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		double *nt = realloc(tr->t, ncap * sizeof(*nt));
		if (nt == NULL)
			return -1;
		tr->t = nt;
		double *nv = realloc(tr->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		tr->v = nv;
		*cap = ncap;
	}
	tr->t[tr->n] = t;
	tr->v[tr->n] = v;
	tr->n++;
	return 0;
}

static void
trace_fail(char *err, size_t errlen, const char *name, size_t lineno, const char *what,
    const char *line, size_t len)
{
	snprintf(err, errlen, "%s:%zu: %s: '%.*s'", name, lineno, what, (int)(len > 60 ? 60 : len),
	    line);
}

/* One line (without its LF). 1 when it held a point, 0 when skipped, -1 on error. */
static int
trace_line(const char *line, size_t len, int may_be_header, double *t, double *v, int *dated,
    const char **why)
{
	const char *sep = NULL;

	while (len > 0 && (line[len - 1] == '\r' || isspace((unsigned char)line[len - 1])))
		len--;
	size_t i = 0;
	while (i < len && isspace((unsigned char)line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	for (size_t k = i; k < len && sep == NULL; k++)
		if (line[k] == ',' || line[k] == ';' || line[k] == '\t')
			sep = line + k;
	if (sep == NULL) {
		*why = "expected time,value";
		return -1;
	}
	int rt = trace_time(line + i, (size_t)(sep - line) - i, t);
	int rv = span_number(sep + 1, (size_t)(line + len - sep - 1), v);
	if (rt < 0 && rv < 0 && may_be_header)
		return 0;
	if (rt < 0) {
		*why = "the time is neither seconds nor YYYY-MM-DD HH:MM[:SS]";
		return -1;
	}
	if (rv < 0) {
		*why = "the value is not a number";
		return -1;
	}
	*dated = rt == 1;
	return 1;
}

int
sim_trace_parse(const char *buf, size_t len, const char *name, struct sim_trace *out,
    char *err, size_t errlen)
{
	size_t cap = 0, lineno = 0, pos = 0;
	int seen_data = 0, dated_any = 0, all_epoch = 1;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		double t = 0, v = 0;
		int dated = 0;
		const char *why = "";
		pos += n + (nl != NULL);
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			trace_fail(err, errlen, name, lineno, "a NUL byte in the line", "", 0);
			goto fail;
		}
		int rc = trace_line(line, n, !seen_data, &t, &v, &dated, &why);
		if (rc < 0) {
			trace_fail(err, errlen, name, lineno, why, line, n);
			goto fail;
		}
		if (rc == 0)
			continue;
		seen_data = 1;
		if (out->n > 0 && !(t > out->t[out->n - 1])) {
			trace_fail(err, errlen, name, lineno, "times must increase", line, n);
			goto fail;
		}
		if (out->n >= TRACE_MAX_POINTS) {
			trace_fail(err, errlen, name, lineno, "too many points (16 Mi at most)", line, n);
			goto fail;
		}
		if (trace_push(out, &cap, t, v) < 0) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto fail;
		}
		dated_any |= dated;
		if (t < 1e8)
			all_epoch = 0;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "%s: no time,value lines", name);
		goto fail;
	}
	out->epoch = dated_any || all_epoch;
	return 0;
fail:
	sim_trace_free(out);
	return -1;
}

int
sim_trace_load(const char *path, struct sim_trace *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 262144);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	int rc = sim_trace_parse(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

void
sim_trace_free(struct sim_trace *tr)
{
	free(tr->t);
	free(tr->v);
	memset(tr, 0, sizeof(*tr));
}

/* a + f (b - a) for f in [0, 1], as the simulator has always computed it; where b - a
 * overflows (values near DBL_MAX), the form that cannot */
static double
trace_between(double a, double b, double f)
{
	double d = b - a;

	return isfinite(d) ? a + f * d : (1 - f) * a + f * b;
}

double
sim_trace_at(const struct sim_trace *tr, double t, int repeat)
{
	size_t n = tr->n;

	if (n == 0)
		return 0;
	if (n == 1)
		return tr->v[0];
	double t0 = tr->t[0], span = tr->t[n - 1] - t0;
	if (repeat && span > 0 && (t < t0 || t > tr->t[n - 1])) {
		/* the period is the span plus one typical step, so the last point is not the
		 * first one of the next round */
		double period = span + span / (double)(n - 1);
		/* a span near DBL_MAX has no finite period: such a trace does not repeat */
		if (isfinite(period)) {
			t = t0 + fmod(fmod(t - t0, period) + period, period);
			if (t > tr->t[n - 1])
				return trace_between(tr->v[n - 1], tr->v[0],
				    (t - tr->t[n - 1]) / (period - span));
		}
	}
	if (t <= t0)
		return tr->v[0];
	if (t >= tr->t[n - 1])
		return tr->v[n - 1];
	size_t lo = 0, hi = n - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tr->t[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return trace_between(tr->v[lo], tr->v[hi], (t - tr->t[lo]) / (tr->t[hi] - tr->t[lo]));
}
