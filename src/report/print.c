/* SPDX-License-Identifier: ISC */
/* The report as text: requests and outcomes per VM, time to confirmation, residency and
 * cost (thesis equations 3.1 and 3.2 with prices given on the command line or in a file). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"
#include "report/stats.h"

/* ---- prices ---- */

static int
prices_put(struct prices *p, const char *host, size_t hlen, double price)
{
	if (hlen == 1 && host[0] == '*') {
		p->dflt = price;
		return 0;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->host[i]) == hlen && memcmp(p->host[i], host, hlen) == 0) {
			p->price[i] = price;
			return 0;
		}
	char **nh = realloc(p->host, (p->n + 1) * sizeof(*nh));
	if (nh == NULL)
		return -1;
	p->host = nh;
	double *np = realloc(p->price, (p->n + 1) * sizeof(*np));
	if (np == NULL)
		return -1;
	p->price = np;
	if ((p->host[p->n] = strndup(host, hlen)) == NULL)
		return -1;
	p->price[p->n++] = price;
	return 0;
}

/* "host=price", "host price" or "host,price"; "*" is every other host. */
static int
prices_line(struct prices *p, const char *s, char *why, size_t whylen)
{
	size_t hl = strcspn(s, "=, \t");
	const char *v = s + hl;

	if (hl == 0 || *v == '\0') {
		snprintf(why, whylen, "write host=price (price per VM-hour), e.g. mln1=0.12 or *=0.10");
		return -1;
	}
	while (*v == '=' || *v == ',' || *v == ' ' || *v == '\t')
		v++;
	double price;
	if (vmm_parse_double(v, &price) < 0 || !(price >= 0)) {
		snprintf(why, whylen, "'%s' is not a price (a number >= 0)", v);
		return -1;
	}
	if (prices_put(p, s, hl, price) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int
prices_add(struct prices *p, const char *spec, char *err, size_t errlen)
{
	char why[256];

	if (prices_line(p, spec, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--price %s: %s", spec, why);
		return -1;
	}
	return 0;
}

int
prices_file(struct prices *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[1024], why[256];
	int lineno = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n#")] = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		for (size_t n = strlen(s); n > 0 && isspace((unsigned char)s[n - 1]); n--)
			s[n - 1] = '\0';
		if (*s == '\0')
			continue;
		if (prices_line(p, s, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int
prices_base(struct prices *p, const char *host)
{
	char **nb = realloc(p->base, (p->nbase + 1) * sizeof(*nb));

	if (nb == NULL)
		return -1;
	p->base = nb;
	if ((p->base[p->nbase] = strdup(host)) == NULL)
		return -1;
	p->nbase++;
	return 0;
}

void
prices_free(struct prices *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->host[i]);
	for (size_t i = 0; i < p->nbase; i++)
		free(p->base[i]);
	free(p->host);
	free(p->price);
	free(p->base);
}

double
price_of(const struct prices *p, const char *host)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->host[i], host) == 0)
			return p->price[i];
	return p->dflt;
}

int
is_base(const struct prices *p, const char *host)
{
	for (size_t i = 0; i < p->nbase; i++)
		if (strcmp(p->base[i], host) == 0)
			return 1;
	return 0;
}

/* ---- the tables ---- */

static unsigned
max_hour(const struct vmrep *v)
{
	unsigned m = 0;

	for (size_t k = 0; k < v->hours.cap; k++)
		if (v->hours.cells[k].hour != INT64_MIN && v->hours.cells[k].req > m)
			m = v->hours.cells[k].req;
	return m;
}

void
fmt_dur(char *buf, size_t len, double s)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 100)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 6000)
		snprintf(buf, len, "%.1fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
}

static void
print_requests(FILE *f, const struct report *r)
{
	uint64_t t[8] = { 0 };

	fprintf(f, "\n%-20s %8s %9s %6s %7s %10s %7s %5s %7s %8s  %s\n", "VM", "requests",
	    "confirmed", "failed", "unconf", "no outcome", "suppr", "max/h", "mean/h", "cycles",
	    "request -> confirmed: median [p10 .. p90] (n)");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		double span = v->have_t ? (v->last_t - v->first_t) / 3600 : 0;
		char med[16], p10[16], p90[16];
		fmt_dur(med, sizeof(med), dur_quantile(v->dhist, v->dn, 0.5));
		fmt_dur(p10, sizeof(p10), dur_quantile(v->dhist, v->dn, 0.1));
		fmt_dur(p90, sizeof(p90), dur_quantile(v->dhist, v->dn, 0.9));
		fprintf(f, "%-20.20s %8" PRIu64 " %9" PRIu64 " %6" PRIu64 " %7" PRIu64 " %10" PRIu64 " %7" PRIu64 " %5u %7.2f %8" PRIu64 "  ",
		    v->name, v->requests, v->confirmed, v->failed, v->unconfirmed, v->no_outcome,
		    v->suppressed, max_hour(v), span > 0 ? (double)v->requests / span : 0, v->values);
		if (v->dn > 0)
			fprintf(f, "%s [%s .. %s] (%" PRIu64 ")\n", med, p10, p90, v->dn);
		else
			fprintf(f, "-\n");
		t[0] += v->requests, t[1] += v->confirmed, t[2] += v->failed, t[3] += v->unconfirmed;
		t[4] += v->no_outcome, t[5] += v->suppressed, t[6] += v->values;
	}
	fprintf(f, "%-20s %8" PRIu64 " %9" PRIu64 " %6" PRIu64 " %7" PRIu64 " %10" PRIu64 " %7" PRIu64 " %5s %7s %8" PRIu64 "\n",
	    "ALL", t[0], t[1], t[2], t[3], t[4], t[5], "", "", t[6]);
}

/* Thesis equation 3.2 for one VM: hours on each host times its price, the bases apart. */
void
report_vm_cost(const struct vmrep *v, const struct prices *p, struct vmcost *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < v->nres; k++) {
		double h = v->res[k].seconds / 3600, price = price_of(p, v->res[k].host);
		if (isnan(price))
			c->unpriced_h += h;
		else if (is_base(p, v->res[k].host))
			c->b += h * price;
		else
			c->a += h * price;
	}
}

static void
print_residency(FILE *f, const struct report *r, const struct prices *p, struct vmcost *costs)
{
	fprintf(f, "\nresidency%-11s %-16s %9s %7s %9s %10s\n", "", "host", "hours", "share",
	    "price/h", "cost");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		double total = 0;
		for (size_t k = 0; k < v->nres; k++)
			total += v->res[k].seconds;
		report_vm_cost(v, p, &costs[i]);
		for (size_t k = 0; k < v->nres; k++) {
			const struct resent *e = &v->res[k];
			double h = e->seconds / 3600, price = price_of(p, e->host);
			char pr[32] = "?", co[32] = "?";
			if (!isnan(price)) {
				snprintf(pr, sizeof(pr), "%.4g", price);
				snprintf(co, sizeof(co), "%.2f", h * price);
			}
			fprintf(f, "%-20.20s %-16.16s %9.2f %6.1f%% %9s %10s\n", k == 0 ? v->name : "",
			    e->host, h, total > 0 ? 100 * e->seconds / total : 0, pr, co);
		}
		if (v->nres == 0)
			fprintf(f, "%-20.20s %-16s\n", v->name, "(no location in the logs)");
	}
}

static void
print_costs(FILE *f, const struct report *r, const struct prices *p, const struct vmcost *costs)
{
	double ta = 0, tb = 0;
	int unpriced = 0;

	fprintf(f, "\ncost (thesis eq. 3.2: C_t = sum C_b + sum C_a; C_b on the hosts given with -b)\n");
	fprintf(f, "%-20s %10s %10s %10s %s\n", "VM", "C_a", "C_b", "C_t", "");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmcost *c = &costs[i];
		fprintf(f, "%-20.20s %10.2f %10.2f %10.2f", r->vms[i]->name, c->a, c->b, c->a + c->b);
		if (c->unpriced_h > 0) {
			fprintf(f, "  + %.2f h on hosts without a price", c->unpriced_h);
			unpriced = 1;
		}
		fputc('\n', f);
		ta += c->a;
		tb += c->b;
	}
	fprintf(f, "%-20s %10.2f %10.2f %10.2f\n", "ALL", ta, tb, ta + tb);
	if (!unpriced)
		return;
	fprintf(f, "hosts without a price (give -p HOST=PRICE, -p '*=PRICE' or -P FILE):");
	int n = 0;
	for (size_t i = 0; i < r->nvms && n < 20; i++)
		for (size_t k = 0; k < r->vms[i]->nres && n < 20; k++) {
			const char *h = r->vms[i]->res[k].host;
			if (!isnan(price_of(p, h)))
				continue;
			int dup = 0;
			for (size_t j = 0; j <= i && !dup; j++)
				for (size_t m = 0; m < r->vms[j]->nres; m++) {
					if (j == i && m == k)
						break;
					if (strcmp(r->vms[j]->res[m].host, h) == 0 && isnan(price_of(p, h)))
						dup = 1;
				}
			if (!dup)
				fprintf(f, " %s", h), n++;
		}
	fputc('\n', f);
}

/* What the moves did (the agent's efficacy events): per VM, the mean gain. */
static void
print_efficacy(FILE *f, const struct report *r)
{
	int any = 0;

	for (size_t i = 0; i < r->nvms; i++)
		any |= r->vms[i]->eff_n > 0;
	if (!any)
		return;
	fprintf(f, "\nefficacy (the indicator before a confirmed move against after it; positive: better)\n");
	fprintf(f, "%-20s %8s %10s %10s\n", "VM", "measured", "mean gain", "last gain");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct vmrep *v = r->vms[i];
		if (v->eff_n > 0)
			fprintf(f, "%-20.20s %8" PRIu64 " %10.3g %10.3g\n", v->name, v->eff_n,
			    v->eff_sum / (double)v->eff_n, v->eff_last);
	}
}

static void
print_hourly(FILE *f, const struct report *r)
{
	fprintf(f, "\nrequests/confirmed moves per hour (hours with any)\n");
	for (size_t i = 0; i < r->nvms; i++) {
		int64_t *hours;
		uint32_t *req, *mov;
		size_t n = report_vm_hours(r, i, &hours, &req, &mov);
		for (size_t k = 0; k < n; k++) {
			char date[32];
			time_t t = (time_t)hours[k];
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(date, sizeof(date), "%a %Y-%m-%d %H:00", &tm);
			fprintf(f, "%-20.20s %s %4u %4u\n", r->vms[i]->name, date, req[k], mov[k]);
		}
		free(hours);
		free(req);
		free(mov);
	}
}

void
report_print(FILE *f, const struct report *r, const struct prices *p,
    const struct input_stats *in, int hourly)
{
	struct vmcost *costs = calloc(r->nvms ? r->nvms : 1, sizeof(*costs));

	fprintf(f, "vmmanage-report: %" PRIu64 " file%s, %" PRIu64 " lines, %" PRIu64 " records, %zu VMs\n",
	    in->files, in->files == 1 ? "" : "s", in->lines, in->records, r->nvms);
	fprintf(f, "skipped: %" PRIu64 " malformed or truncated, %" PRIu64 " overlong, %" PRIu64 " with an impossible time, %" PRIu64 " past the limits; clock: %" PRIu64 " times back, %" PRIu64 " jumps forward\n",
	    in->malformed, in->overlong, in->bad_time, r->dropped, r->clock_back, r->clock_jump);
	fprintf(f, "formats:");
	for (int k = 1; k < 8; k++)
		if (in->formats & (1u << k))
			fprintf(f, " %s", report_format_name((enum report_format)k));
	fprintf(f, "%s\n", in->formats & ~1u ? "" : " none recognised");
	print_requests(f, r);
	print_efficacy(f, r);
	if (hourly)
		print_hourly(f, r);
	if (costs != NULL) {
		print_residency(f, r, p, costs);
		print_costs(f, r, p, costs);
	}
	free(costs);
}
