/* SPDX-License-Identifier: ISC */
/* Charts with gnuplot: per VM the requests and moves per hour (the thesis's Figures
 * 4.3, 4.4 and 4.6), where it ran over time, and the indicator against its thresholds
 * (Figures 4.2 and 4.5) when the logs hold cycle values; PNG and SVG. gnuplot gets its
 * script on stdin, without a shell (src/core/subproc.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/stats.h"
#include "core/subproc.h"

#define CHART_HOSTS 64

static void
chart_file_name(const char *name, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < len; p++) {
		char c = *p;
		out[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_' ? c : '_';
	}
	out[n] = '\0';
	if (n == 0 || out[0] == '.')
		snprintf(out, len, "vm");
}

static double
chart_local(double t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return localtime_r(&tt, &tm) ? t + (double)tm.tm_gmtoff : t;
}

/* hours.dat: local hour start, requests, confirmed moves. */
static int
chart_hours_file(const struct report *r, size_t i, const char *path, double *first, double *last)
{
	int64_t *hours;
	uint32_t *req, *mov;
	size_t n = report_vm_hours(r, i, &hours, &req, &mov);
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		free(hours);
		free(req);
		free(mov);
		return -1;
	}
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%.0f %u %u\n", chart_local((double)hours[k]), req[k], mov[k]);
	if (n == 0)
		fprintf(f, "%.0f 0 0\n", chart_local(*first));
	free(hours);
	free(req);
	free(mov);
	(void)last;
	return fclose(f);
}

static int
cell_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct hourcell *)a)->hour, y = ((const struct hourcell *)b)->hour;

	return x < y ? -1 : x > y;
}

/* The sum over every VM, charted or not. */
static int
chart_all_file(const struct report *r, const char *path)
{
	size_t total = 0, n = 0;
	FILE *f;

	for (size_t i = 0; i < r->nvms; i++)
		total += r->vms[i]->hours.n;
	struct hourcell *c = malloc((total ? total : 1) * sizeof(*c));
	if (c == NULL || (f = fopen(path, "we")) == NULL) {
		free(c);
		return -1;
	}
	for (size_t i = 0; i < r->nvms; i++)
		for (size_t k = 0; k < r->vms[i]->hours.cap; k++)
			if (r->vms[i]->hours.cells[k].hour != INT64_MIN)
				c[n++] = r->vms[i]->hours.cells[k];
	qsort(c, n, sizeof(*c), cell_cmp);
	for (size_t k = 0; k < n;) {
		uint64_t req = 0, mov = 0;
		size_t j = k;
		for (; j < n && c[j].hour == c[k].hour; j++)
			req += c[j].req, mov += c[j].mov;
		fprintf(f, "%.0f %" PRIu64 " %" PRIu64 "\n", chart_local((double)c[k].hour), req, mov);
		k = j;
	}
	free(c);
	return fclose(f);
}

static void
chart_terminal(FILE *s, int svg, const char *out, const char *base, const char *kind)
{
	if (svg)
		fprintf(s, "set terminal svg size 1100,420 dynamic noenhanced font 'DejaVu Sans,11' background '#ffffff'\n");
	else
		fprintf(s, "set terminal pngcairo size 1100,420 noenhanced font 'DejaVu Sans,10'\n");
	fprintf(s, "set output \"%s/%s-%s.%s\"\n", out, base, kind, svg ? "svg" : "png");
}

static void
chart_hourly(FILE *s, const char *title, const char *data)
{
	fprintf(s, "set title \"%s: requests and confirmed moves per hour\"\n", title);
	fprintf(s, "set ylabel \"per hour\"\nset yrange [0:*]\nset style fill solid 0.7 border -1\n"
	    "set boxwidth 1400 absolute\n");
	fprintf(s, "plot \"%s\" using ($1+1000):2 with boxes lc rgb '#d95f02' title 'requests', "
	    "'' using ($1+2600):3 with boxes lc rgb '#1b9e77' title 'confirmed moves'\n", data);
	fprintf(s, "unset style\nset style fill empty\n");
}

static void
chart_residency(FILE *s, const char *title, const char *data, const char *const *hosts,
    size_t nhosts)
{
	fprintf(s, "set title \"%s: where the VM ran\"\nset ylabel \"host\"\n", title);
	fprintf(s, "set yrange [-0.5:%zu.5]\nset ytics (", nhosts ? nhosts - 1 : 0);
	for (size_t k = 0; k < nhosts; k++)
		fprintf(s, "%s\"%s\" %zu", k ? ", " : "", hosts[k], k);
	fprintf(s, ")\n");
	fprintf(s, "plot \"%s\" using 1:2 with steps lw 2 lc rgb '#7570b3' title 'host'\n", data);
	fprintf(s, "set ytics autofreq\nset yrange [*:*]\n");
}

static void
chart_indicator(FILE *s, const char *title, const char *data, double thr_max, double val_max)
{
	/* a few samples far past the threshold would flatten everything else: clip them */
	int clip = thr_max > 0 && val_max > 4 * thr_max;

	fprintf(s, "set title \"%s: indicator and thresholds, requests as grey lines%s\"\n", title,
	    clip ? " (clipped)" : "");
	fprintf(s, "set ylabel \"indicator\"\nset y2range [0:1]\nunset y2tics\n");
	if (clip)
		fprintf(s, "set yrange [0:%g]\n", 4 * thr_max);
	else
		fprintf(s, "set yrange [0:*]\n");
	fprintf(s, "plot \"%s\" using 1:5 axes x1y2 with impulses lc rgb '#bbbbbb' title 'requests', "
	    "'' using 1:2 with lines lc rgb '#1f78b4' title 'indicator', "
	    "'' using 1:3 with lines dt 2 lw 2 lc rgb '#e31a1c' title 'threshold', "
	    "'' using 1:4 with lines dt 3 lw 2 lc rgb '#33a02c' title 'lowthreshold'\n", data);
	fprintf(s, "set yrange [*:*]\n");
}

static const char *const *sort_names;

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(sort_names[*(const size_t *)a], sort_names[*(const size_t *)b]);
}

/* The residency data with hosts numbered in name order, and the names in that order. */
static int
chart_res_sorted(const char *in, const char *out, const char **hosts, size_t n)
{
	size_t order[CHART_HOSTS], rank[CHART_HOSTS];
	const char *sorted[CHART_HOSTS];
	FILE *fi = fopen(in, "re"), *fo;
	double t;
	int k;

	if (fi == NULL)
		return -1;
	if ((fo = fopen(out, "we")) == NULL) {
		fclose(fi);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_names = hosts;
	qsort(order, n, sizeof(order[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		rank[order[i]] = i;
		sorted[i] = hosts[order[i]];
	}
	while (fscanf(fi, "%lf %d", &t, &k) == 2)
		if (k >= 0 && (size_t)k < n)
			fprintf(fo, "%.0f %zu\n", t, rank[k]);
	memcpy(hosts, sorted, n * sizeof(*hosts));
	fclose(fi);
	return fclose(fo);
}

static void
chart_vm(FILE *s, const struct report *r, size_t i, const char *out, int svg, const char *tmp)
{
	const struct vmrep *v = r->vms[i];
	char base[REPORT_NAME], hours[4400], res[4400];
	const char *hosts[CHART_HOSTS];
	size_t nh = report_vm_hosts(r, i, hosts, CHART_HOSTS);

	chart_file_name(v->name, base, sizeof(base));
	snprintf(hours, sizeof(hours), "%s/hours-%s.dat", tmp, base);
	snprintf(res, sizeof(res), "%s/res-%s.dat", tmp, base);
	if (chart_res_sorted(v->res_path, res, hosts, nh) < 0)
		nh = 0;
	fprintf(s, "set xrange [%.0f:%.0f]\n", chart_local(v->first_t) - 1800,
	    chart_local(v->last_t) + 1800);
	chart_terminal(s, svg, out, base, "hourly");
	chart_hourly(s, v->name, hours);
	if (nh > 0) {
		chart_terminal(s, svg, out, base, "residency");
		chart_residency(s, v->name, res, hosts, nh);
	}
	if (v->values > 0) {
		chart_terminal(s, svg, out, base, "indicator");
		chart_indicator(s, v->name, v->ind_path, v->thr_max, v->val_max);
	}
	fprintf(s, "set xrange [*:*]\n");
}

static int
chart_data(const struct report *r, const char *tmp)
{
	char path[4400], base[REPORT_NAME];

	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		if (!v->chart)
			continue;
		chart_file_name(v->name, base, sizeof(base));
		snprintf(path, sizeof(path), "%s/hours-%s.dat", tmp, base);
		double first = v->first_t, last = v->last_t;
		if (chart_hours_file(r, i, path, &first, &last) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/hours-ALL.dat", tmp);
	return chart_all_file(r, path);
}

static char *
chart_script(const struct report *r, const char *out, int png, int svg, const char *tmp)
{
	char *buf = NULL, all[4400];
	size_t len = 0;
	FILE *s = open_memstream(&buf, &len);
	double first = INFINITY, last = -INFINITY;

	if (s == NULL)
		return NULL;
	fprintf(s, "set xdata time\nset timefmt \"%%s\"\nset format x \"%%a %%d\\n%%H:%%M\"\n"
	    "set grid\nset key top left opaque\nset xtics rotate by 0\nset mxtics 4\n");
	for (int k = 0; k < 2; k++) {
		int as_svg = k == 1;
		if ((as_svg && !svg) || (!as_svg && !png))
			continue;
		for (size_t i = 0; i < r->nvms; i++) {
			if (r->vms[i]->have_t) {
				first = fmin(first, r->vms[i]->first_t);
				last = fmax(last, r->vms[i]->last_t);
			}
			if (r->vms[i]->chart)
				chart_vm(s, r, i, out, as_svg, tmp);
		}
		if (isfinite(first)) {
			snprintf(all, sizeof(all), "%s/hours-ALL.dat", tmp);
			fprintf(s, "set xrange [%.0f:%.0f]\n", chart_local(first) - 1800, chart_local(last) + 1800);
			chart_terminal(s, as_svg, out, "ALL", "hourly");
			chart_hourly(s, "all VMs", all);
			fprintf(s, "set xrange [*:*]\n");
		}
	}
	fprintf(s, "set output\n");
	if (fclose(s) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
report_charts(const struct report *r, const char *dir, const char *gnuplot, int png, int svg,
    char *err, size_t errlen)
{
	const char *tmp = r->o.chart_tmp;
	struct vmm_run_result res;

	/* both paths go into gnuplot's script in double quotes */
	if (strpbrk(dir, "\"\\\n") != NULL || (tmp != NULL && strpbrk(tmp, "\"\\\n") != NULL)) {
		snprintf(err, errlen, "%s: the chart directory's name (and TMPDIR's) may not hold quotes, backslashes or newlines",
		    strpbrk(dir, "\"\\\n") != NULL ? dir : tmp);
		return -1;
	}
	if (tmp == NULL || chart_data(r, tmp) < 0) {
		snprintf(err, errlen, "cannot write the chart data in %s: %s", tmp ? tmp : "(none)",
		    strerror(errno));
		return -1;
	}
	char *script = chart_script(r, dir, png, svg, tmp);
	if (script == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *argv[] = { gnuplot, NULL };
	int rc = spawn_run(argv, script, 600, 65536, &res);
	free(script);
	if (rc < 0 || res.status != 0) {
		snprintf(err, errlen, "%s: %s%s", gnuplot, res.err[0] ? res.err : "failed",
		    rc < 0 && !res.timed_out ? " (is gnuplot installed? e.g. apt-get install gnuplot-nox)" : "");
		spawn_result_free(&res);
		return -1;
	}
	spawn_result_free(&res);
	return 0;
}
