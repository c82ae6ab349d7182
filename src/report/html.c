/* SPDX-License-Identifier: ISC */
/* The report as one self-contained HTML page: the text report's tables and, as inline
 * SVG, requests per hour, move times, residency, efficacy and arrivals per host. Names
 * come from logs that agents wrote, so every one is escaped, and the page forbids
 * scripts and anything from elsewhere in its own Content-Security-Policy. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/stats.h"
#include "report/svg.h"

#define HTML_MAX_ROWS 500   /* VMs in a chart; the tables list every VM */
#define HTML_MAX_HOURS 744  /* a month of hours; past that, bars are days */
#define HTML_MAX_HOSTS 256

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
    "<title>vmmanage report</title>\n<style>\n"
    "body{font:14px sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\n"
    "th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}\n"
    "svg text{font:11px sans-serif;fill:#333}svg .t{font-weight:bold;font-size:13px}\n"
    "svg .g{stroke:#e4e4e4}svg .a{stroke:#555}figure{margin:1em 0}\n"
    "</style></head><body>\n<h1>vmmanage report</h1>\n";

static void
cell_u(FILE *f, uint64_t v)
{
	fprintf(f, "<td>%" PRIu64 "</td>", v);
}

static void
cell_s(FILE *f, const char *s)
{
	fputs("<td>", f);
	html_text(f, s);
	fputs("</td>", f);
}

static void
html_inputs(FILE *f, const struct report *r, const struct input_stats *in)
{
	fprintf(f, "<p>%" PRIu64 " file%s, %" PRIu64 " lines, %" PRIu64 " records, %zu VMs. Skipped: %" PRIu64
	    " malformed or truncated, %" PRIu64 " overlong, %" PRIu64 " with an impossible time, %" PRIu64
	    " past the limits. Clock: %" PRIu64 " times back, %" PRIu64 " jumps forward. Formats:",
	    in->files, in->files == 1 ? "" : "s", in->lines, in->records, r->nvms, in->malformed,
	    in->overlong, in->bad_time, r->dropped, r->clock_back, r->clock_jump);
	for (int k = 1; k < 8; k++)
		if (in->formats & (1u << k))
			fprintf(f, " %s", report_format_name((enum report_format)k));
	fputs("</p>\n", f);
}

static void
html_requests(FILE *f, const struct report *r)
{
	fputs("<h2>Requests and outcomes</h2>\n<table><tr><th>VM</th><th>requests</th><th>confirmed</th>"
	    "<th>failed</th><th>unconfirmed</th><th>no outcome</th><th>suppressed</th><th>cycles</th>"
	    "<th>request to confirmed: median</th><th>p90</th></tr>\n", f);
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		char med[16], p90[16];
		fmt_dur(med, sizeof(med), dur_quantile(v->dhist, v->dn, 0.5));
		fmt_dur(p90, sizeof(p90), dur_quantile(v->dhist, v->dn, 0.9));
		fputs("<tr>", f);
		cell_s(f, v->name);
		cell_u(f, v->requests), cell_u(f, v->confirmed), cell_u(f, v->failed);
		cell_u(f, v->unconfirmed), cell_u(f, v->no_outcome), cell_u(f, v->suppressed);
		cell_u(f, v->values);
		cell_s(f, med), cell_s(f, p90);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static int
hour_cmp(const void *a, const void *b)
{
	const struct hourcell *x = a, *y = b;

	return x->hour < y->hour ? -1 : x->hour > y->hour;
}

/* Every VM's hours in one sorted list; NULL when there are none (or no memory). */
static struct hourcell *
hours_all(const struct report *r, size_t *n)
{
	struct hourcell *all = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < r->nvms; i++) {
		const struct hourmap *m = &r->vms[i]->hours;
		for (size_t k = 0; k < m->cap; k++) {
			if (m->cells[k].hour == INT64_MIN)
				continue;
			if (*n == cap) {
				struct hourcell *g = realloc(all, (cap ? 2 * cap : 256) * sizeof(*g));
				if (g == NULL) {
					free(all);
					return NULL;
				}
				all = g, cap = cap ? 2 * cap : 256;
			}
			all[(*n)++] = m->cells[k];
		}
	}
	if (*n > 0)
		qsort(all, *n, sizeof(*all), hour_cmp);
	return all;
}

/* Requests and moves per hour (per day past a month), the hours without any shown too. */
static void
html_hourly_chart(FILE *f, const struct report *r)
{
	size_t n;
	struct hourcell *all = hours_all(r, &n);

	if (all == NULL)
		return;
	int64_t first = all[0].hour, last = all[n - 1].hour;
	int64_t width = (last - first) / 3600 + 1 > HTML_MAX_HOURS ? 86400 : 3600;
	first -= first % width;
	size_t nb = (size_t)((last - first) / width + 1);
	struct svg_bar *bars = calloc(nb, sizeof(*bars));
	char (*labels)[32] = calloc(nb, sizeof(*labels));
	if (bars != NULL && labels != NULL) {
		for (size_t b = 0; b < nb; b++) {
			time_t t = (time_t)(first + (int64_t)b * width);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(labels[b], sizeof(labels[b]), width == 3600 ? "%a %H:00" : "%m-%d", &tm);
			bars[b].label = labels[b];
		}
		for (size_t k = 0; k < n; k++) {
			size_t b = (size_t)((all[k].hour - first) / width);
			bars[b].value[0] += all[k].req;
			bars[b].value[1] += all[k].mov;
		}
		struct svg_chart c = { .title = width == 3600 ? "Requests and confirmed moves per hour (UTC), all VMs" :
			"Requests and confirmed moves per day (UTC), all VMs", .unit = "count",
			.series = { "requests", "confirmed moves" }, .bars = bars, .nbars = nb };
		svg_bars(f, &c);
	}
	free(labels);
	free(bars);
	free(all);
}

/* Request to confirmation, all VMs: the duration histogram regrouped six bins a decade. */
static void
html_move_times(FILE *f, const struct report *r)
{
	enum { GROUP = DUR_PER_DECADE / 6, NG = DUR_BINS / GROUP };
	struct svg_bar bars[NG];
	char labels[NG][16];
	size_t lo = NG, hi = 0;

	memset(bars, 0, sizeof(bars));
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		for (size_t b = 0; v->dhist != NULL && b < DUR_BINS; b++)
			bars[b / GROUP].value[0] += v->dhist[b];
	}
	for (size_t g = 0; g < NG; g++) {
		fmt_dur(labels[g], sizeof(labels[g]), dur_bin_value(g * GROUP + GROUP / 2));
		bars[g].label = labels[g];
		if (bars[g].value[0] > 0)
			lo = g < lo ? g : lo, hi = g;
	}
	if (lo > hi)
		return;
	struct svg_chart c = { .title = "Move times: request to confirmed move, all VMs",
		.unit = "moves", .bars = bars + lo, .nbars = hi - lo + 1 };
	svg_bars(f, &c);
}

/* Each VM's time per host as one bar; the rows point into two arrays of all their hosts. */
static void
html_residency_chart(FILE *f, const struct report *r)
{
	size_t nrows = r->nvms < HTML_MAX_ROWS ? r->nvms : HTML_MAX_ROWS, total = 0, at = 0;

	for (size_t i = 0; i < nrows; i++)
		total += r->vms[i]->nres;
	struct svg_share *rows = calloc(nrows ? nrows : 1, sizeof(*rows));
	const char **parts = calloc(total ? total : 1, sizeof(*parts));
	double *amounts = calloc(total ? total : 1, sizeof(*amounts));
	if (rows != NULL && parts != NULL && amounts != NULL && nrows > 0) {
		for (size_t i = 0; i < nrows; i++) {
			const struct vmrep *v = r->vms[i];
			rows[i] = (struct svg_share){ .row = v->name, .part = parts + at,
				.amount = amounts + at, .nparts = v->nres };
			for (size_t k = 0; k < v->nres; k++, at++) {
				parts[at] = v->res[k].host;
				amounts[at] = v->res[k].seconds;
			}
		}
		svg_shares(f, "Where each VM ran (share of its time per host)", rows, nrows);
	}
	free(amounts);
	free(parts);
	free(rows);
}

static void
html_residency(FILE *f, const struct report *r, const struct prices *p)
{
	fputs("<h2>Residency and cost</h2>\n<p>Cost is the thesis's equation 3.2: C_t = C_a + C_b, "
	    "C_b on the hosts given as bases.</p>\n<table><tr><th>VM</th><th>host</th><th>hours</th>"
	    "<th>share</th><th>arrivals</th><th>C_a</th><th>C_b</th></tr>\n", f);
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		struct vmcost c;
		double total = 0;
		report_vm_cost(v, p, &c);
		for (size_t k = 0; k < v->nres; k++)
			total += v->res[k].seconds;
		for (size_t k = 0; k < v->nres; k++) {
			fputs("<tr>", f);
			cell_s(f, k == 0 ? v->name : "");
			cell_s(f, v->res[k].host);
			fprintf(f, "<td>%.2f</td><td>%.1f%%</td>", v->res[k].seconds / 3600,
			    total > 0 ? 100 * v->res[k].seconds / total : 0);
			cell_u(f, v->res[k].arrivals);
			if (k == 0 && c.a == 0 && c.b == 0 && c.unpriced_h > 0)
				fputs("<td>no price</td><td></td>", f);
			else if (k == 0)
				fprintf(f, "<td>%.2f</td><td>%.2f</td>", c.a, c.b);
			fputs("</tr>\n", f);
		}
	}
	fputs("</table>\n", f);
	html_residency_chart(f, r);
}

/* Confirmed arrivals per host, all VMs together. */
static void
html_arrivals(FILE *f, const struct report *r)
{
	struct svg_bar bars[HTML_MAX_HOSTS];
	size_t n = 0;

	memset(bars, 0, sizeof(bars));
	for (size_t i = 0; i < r->nvms; i++)
		for (size_t k = 0; k < r->vms[i]->nres; k++) {
			const struct resent *e = &r->vms[i]->res[k];
			size_t j = 0;
			while (j < n && strcmp(bars[j].label, e->host) != 0)
				j++;
			if (j == n && n < HTML_MAX_HOSTS)
				bars[n++].label = e->host;
			if (j < n)
				bars[j].value[0] += (double)e->arrivals;
		}
	if (n == 0)
		return;
	struct svg_chart c = { .title = "Confirmed arrivals per host, all VMs", .unit = "moves",
		.bars = bars, .nbars = n };
	svg_bars(f, &c);
}

static void
html_efficacy(FILE *f, const struct report *r)
{
	size_t n = 0;
	struct svg_bar *bars = calloc(r->nvms ? r->nvms : 1, sizeof(*bars));

	for (size_t i = 0; bars != NULL && i < r->nvms && n < HTML_MAX_ROWS; i++) {
		const struct vmrep *v = r->vms[i];
		if (v->eff_n == 0)
			continue;
		bars[n].label = v->name;
		bars[n++].value[0] = v->eff_sum / (double)v->eff_n;
	}
	if (n > 0) {
		fputs("<h2>Efficacy</h2>\n<p>The indicator before a confirmed move against after it; "
		    "positive is better.</p>\n", f);
		struct svg_chart c = { .title = "Mean gain of the confirmed moves, per VM",
			.unit = "gain", .bars = bars, .nbars = n };
		svg_bars(f, &c);
	}
	free(bars);
}

static int
html_write(FILE *f, const struct report *r, const struct prices *p, const struct input_stats *in)
{
	fputs(page_head, f);
	html_inputs(f, r, in);
	html_requests(f, r);
	html_hourly_chart(f, r);
	html_move_times(f, r);
	html_residency(f, r, p);
	html_arrivals(f, r);
	html_efficacy(f, r);
	fputs("</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}

int
report_html(const struct report *r, const struct prices *p, const struct input_stats *in,
    const char *dir, char *err, size_t errlen)
{
	char path[4200], tmp[4210];

	snprintf(path, sizeof(path), "%s/index.html", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = html_write(f, r, p, in);
	if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", rc < 0 ? tmp : path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return 0;
}
