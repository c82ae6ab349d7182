/* SPDX-License-Identifier: ISC */
/* What a run shows: a table on stdout (per VM, or per entry of the simulation file when
 * there are many), --compare's two columns, and CSV files for spreadsheets and
 * vmmanage-report. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/localtime.h"
#include "core/journal.h"
#include "sim/sim.h"

#define OUT_PER_VM_MAX 24

/* Equations 3.1-3.4: C_a in the array, C_b at the base while working, C_sb at the base in
 * the scheduled rest, C_tb = C_b + C_sb, C_t = C_tb + C_a (+ the away site, which the
 * thesis priced separately). */
void
vm_cost(const struct sim_result *r, size_t i, struct cost *c)
{
	const struct sim_topo *t = &r->topos[r->topo[i]];
	const double *res = r->stats[i].res;

	memset(c, 0, sizeof(*c));
	for (size_t j = 0; j < t->n; j++) {
		double work = res[2 * j] / 3600, rest = res[2 * j + 1] / 3600, p = t->cost[j];
		switch (t->cls[j]) {
		case CLASS_BASE:
			c->b += p * work;
			c->sb += p * rest;
			c->h_base += work;
			c->h_rest += rest;
			break;
		case CLASS_AWAY:
			c->away += p * (work + rest);
			c->h_away += work + rest;
			break;
		default:
			c->a += p * (work + rest);
			c->h_array += work + rest;
		}
	}
	c->tb = c->b + c->sb;
	c->t = c->tb + c->a + c->away;
}

static unsigned
out_max_hour(const struct sim_result *r, size_t i, const uint16_t *h)
{
	unsigned m = 0;

	(void)i;
	for (size_t k = 0; k < r->nhours; k++)
		if (h[k] > m)
			m = h[k];
	return m;
}

/* Sums over a set of VMs (a group, or all). */
struct agg {
	size_t vms;
	uint64_t requests, moves, failed, suppressed, pingpong;
	uint64_t recommended, trips, measured;
	double gain_sum;
	unsigned max_hour;
	double sla_min, moving_min, down_min;
	struct cost cost;
};

static void
agg_add(struct agg *a, const struct sim_result *r, size_t i)
{
	const struct vm_stats *s = &r->stats[i];
	struct cost c;
	unsigned mh = out_max_hour(r, i, s->hour_req);

	vm_cost(r, i, &c);
	a->vms++;
	a->requests += s->requests;
	a->moves += s->moves;
	a->failed += s->failed;
	a->suppressed += s->suppressed;
	a->pingpong += s->pingpong;
	a->recommended += s->recommended;
	a->trips += s->trips;
	a->measured += s->measured;
	a->gain_sum += s->gain_sum;
	if (mh > a->max_hour)
		a->max_hour = mh;
	a->sla_min += s->sla_s / 60;
	a->moving_min += s->moving_s / 60;
	a->down_min += s->down_s / 60;
	a->cost.a += c.a;
	a->cost.b += c.b;
	a->cost.sb += c.sb;
	a->cost.tb += c.tb;
	a->cost.away += c.away;
	a->cost.t += c.t;
	a->cost.h_array += c.h_array;
	a->cost.h_base += c.h_base;
	a->cost.h_rest += c.h_rest;
	a->cost.h_away += c.h_away;
}

static void
out_header(FILE *f, const struct simfile *sf, size_t nvms)
{
	char date[64];

	journal_date(sf->start, date, sizeof(date));
	fprintf(f, "vmmanage-sim: %s: %zu VMs on %zu hosts, %.4g days from %s\n", sf->path, nvms,
	    sf->nhosts, sf->duration / 86400, date);
}

static void
out_row_head(FILE *f, const char *first)
{
	fprintf(f, "%-16s %-9s %8s %8s %6s %8s %5s %8s %7s %6s %7s %7s %7s %7s %9s\n", first, "policy",
	    "requests", "moves", "failed", "suppress", "max/h", "SLA min", "move m", "down m",
	    "array h", "base h", "rest h", "away h", "cost C_t");
}

static void
out_row(FILE *f, const char *name, const char *policy, const struct agg *a)
{
	fprintf(f, "%-16.16s %-9.9s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %8" PRIu64 " %5u %8.0f %7.1f %6.1f %7.1f %7.1f %7.1f %7.1f %9.2f\n",
	    name, policy, a->requests, a->moves, a->failed, a->suppressed, a->max_hour, a->sla_min,
	    a->moving_min, a->down_min, a->cost.h_array, a->cost.h_base, a->cost.h_rest,
	    a->cost.h_away, a->cost.t);
}

static void
out_footer(FILE *f, const struct sim_result *r)
{
	double vm_minutes = (double)r->nvms * r->duration / 60;

	fprintf(f, "run (%s): %.2f s on %d thread%s for %zu VMs x %.4g days (%.2f us per simulated VM-minute), peak RSS %.1f MiB\n",
	    r->mode, r->seconds, r->threads, r->threads == 1 ? "" : "s", r->nvms, r->duration / 86400,
	    vm_minutes > 0 ? r->seconds * 1e6 / vm_minutes : 0,
	    r->peak_rss_kib > 0 ? (double)r->peak_rss_kib / 1024 : 0);
}

/* "Tue 16:00": a time of the run in the simulation's timezone. */
static void
out_when(char *buf, size_t len, const struct sim_result *r, double t)
{
	time_t e = (time_t)(r->start + (int64_t)t);
	struct tm tm;

	if (localtime_r(&e, &tm) == NULL || strftime(buf, len, "%a %H:%M", &tm) == 0)
		snprintf(buf, len, "+%.0f s", t);
}

/* The moves arriving at the hosts: the most under way to one host at once, and the most
 * started toward one host in one minute, over the hosts that are no base, then the bases. */
static void
out_arrivals_of(FILE *f, const struct sim_result *r, int base, const char *what)
{
	size_t hc = SIZE_MAX, hm = SIZE_MAX;
	uint64_t total = 0;
	char w1[32], w2[32];

	for (size_t h = 0; h < r->nhosts; h++) {
		const struct sim_arrivals *a = &r->arrivals[h];
		if (a->base != base)
			continue;
		total += a->total;
		if (hc == SIZE_MAX || a->max_concurrent > r->arrivals[hc].max_concurrent)
			hc = h;
		if (hm == SIZE_MAX || a->max_minute > r->arrivals[hm].max_minute)
			hm = h;
	}
	if (hc == SIZE_MAX)
		return;
	out_when(w1, sizeof(w1), r, r->arrivals[hc].max_concurrent_t);
	out_when(w2, sizeof(w2), r, r->arrivals[hm].max_minute_t);
	fprintf(f, "arrivals %s (%s): %" PRIu64 " moves; per host at most %u under way at once (%s, %s), at most %u started in one minute (%s, %s)\n",
	    what, r->mode, total, r->arrivals[hc].max_concurrent, r->host_names[hc], w1,
	    r->arrivals[hm].max_minute, r->host_names[hm], w2);
}

static void
out_arrivals(FILE *f, const struct sim_result *r)
{
	out_arrivals_of(f, r, 0, "at the hosts");
	out_arrivals_of(f, r, 1, "at a base");
}

/* Each VM's best host in hindsight: the fewest SLA seconds had it stayed there. */
static double
out_hind_best(const struct sim_result *r, size_t i, size_t *best)
{
	const struct sim_topo *t = &r->topos[r->topo[i]];
	double m = INFINITY;

	*best = 0;
	for (size_t j = 0; j < t->n; j++)
		if (r->stats[i].hind[j] < m) {
			m = r->stats[i].hind[j];
			*best = j;
		}
	return t->n > 0 ? m : 0;
}

static void
out_hindsight(FILE *f, const struct sim_result *th, const struct sim_result *ours, int per_vm)
{
	double sum = 0, lower = 0, a = 0, b = 0;
	size_t best;

	if (!ours->hindsight)
		return;
	for (size_t i = 0; i < ours->nvms; i++) {
		sum += out_hind_best(ours, i, &best) / 60;
		lower += ours->stats[i].hind_lower / 60;
		a += th->stats[i].sla_s / 60;
		b += ours->stats[i].sla_s / 60;
	}
	fprintf(f, "hindsight: SLA violation, minutes: thesis %.0f, ours %.0f, each VM on its best single host %.0f, lower bound %.0f\n",
	    a, b, sum, lower);
	fprintf(f, "  (best single host: chosen after the fact, the VM there the whole run, the others where ours put\n"
	    "  them; lower bound: the best host every minute with free moves, which no policy beats)\n");
	if (!per_vm && ours->nvms > OUT_PER_VM_MAX)
		return;
	fprintf(f, "%-16s %-12s %10s %10s %10s %10s\n", "VM", "best host", "hindsight", "lower", "thesis", "ours");
	for (size_t i = 0; i < ours->nvms; i++) {
		double m = out_hind_best(ours, i, &best);
		fprintf(f, "%-16.16s %-12.12s %10.0f %10.0f %10.0f %10.0f\n", ours->names[i],
		    ours->topos[ours->topo[i]].names[best], m / 60, ours->stats[i].hind_lower / 60,
		    th->stats[i].sla_s / 60, ours->stats[i].sla_s / 60);
	}
}

void
out_table(FILE *f, const struct simfile *sf, const struct sim_result *r, int per_vm)
{
	struct agg all = { 0 };

	out_header(f, sf, r->nvms);
	fprintf(f, "mode: %s (%s)\n", r->mode, strcmp(r->mode, "thesis") == 0 ?
	    "round-robin targets, a fixed sleep after a request, no guard" :
	    "the targets and guard of each vmmanage.conf");
	if (per_vm || r->nvms <= OUT_PER_VM_MAX) {
		out_row_head(f, "VM");
		for (size_t i = 0; i < r->nvms; i++) {
			struct agg a = { 0 };
			agg_add(&a, r, i);
			out_row(f, r->names[i], r->topos[r->topo[i]].policy, &a);
		}
	} else {
		out_row_head(f, "entry (VMs)");
		for (size_t g = 0; g < sf->nvms; g++) {
			struct agg a = { 0 };
			char label[64];
			size_t first = SIZE_MAX;
			for (size_t i = 0; i < r->nvms; i++)
				if (r->group[i] == g) {
					agg_add(&a, r, i);
					if (first == SIZE_MAX)
						first = i;
				}
			if (first == SIZE_MAX)
				continue;
			snprintf(label, sizeof(label), "%s (%zu)", sf->vms[g].name, a.vms);
			out_row(f, label, r->topos[r->topo[first]].policy, &a);
		}
	}
	for (size_t i = 0; i < r->nvms; i++)
		agg_add(&all, r, i);
	out_row(f, "ALL", "", &all);
	fprintf(f, "cost (eq. 3.1-3.4): C_a %.2f  C_b %.2f  C_sb %.2f  C_tb = C_b + C_sb %.2f  away %.2f  C_t = C_tb + C_a + away %.2f\n",
	    all.cost.a, all.cost.b, all.cost.sb, all.cost.tb, all.cost.away, all.cost.t);
	out_footer(f, r);
	out_arrivals(f, r);
}

static void
out_cmp_line(FILE *f, const char *what, double a, double b, int decimals)
{
	char sa[32], sb[32], ch[32] = "";

	snprintf(sa, sizeof(sa), "%.*f", decimals, a);
	snprintf(sb, sizeof(sb), "%.*f", decimals, b);
	if (a != 0 && isfinite(a) && isfinite(b))
		snprintf(ch, sizeof(ch), "%+.1f%%", (b - a) / fabs(a) * 100);
	else if (a == 0 && b == 0)
		snprintf(ch, sizeof(ch), "=");
	fprintf(f, "  %-36s %12s %12s %10s\n", what, sa, sb, ch);
}

static double
out_rate(const struct agg *a, const struct sim_result *r)
{
	double vm_hours = (double)a->vms * r->duration / 3600;

	return vm_hours > 0 ? (double)a->requests / vm_hours : 0;
}

static void
out_cmp_vms(FILE *f, const struct sim_result *th, const struct sim_result *ours)
{
	fprintf(f, "\n%-16s %-9s %17s %17s %13s %17s %15s\n", "VM", "policy", "requests th/ours",
	    "moves th/ours", "max/h th/ours", "SLA min th/ours", "C_t th/ours");
	for (size_t i = 0; i < th->nvms && i < ours->nvms; i++) {
		struct agg a = { 0 }, b = { 0 };
		char c1[40], c2[40], c3[40], c4[40], c5[40];
		agg_add(&a, th, i);
		agg_add(&b, ours, i);
		snprintf(c1, sizeof(c1), "%" PRIu64 "/%" PRIu64, a.requests, b.requests);
		snprintf(c2, sizeof(c2), "%" PRIu64 "/%" PRIu64, a.moves, b.moves);
		snprintf(c3, sizeof(c3), "%u/%u", a.max_hour, b.max_hour);
		snprintf(c4, sizeof(c4), "%.0f/%.0f", a.sla_min, b.sla_min);
		snprintf(c5, sizeof(c5), "%.2f/%.2f", a.cost.t, b.cost.t);
		fprintf(f, "%-16.16s %-9.9s %17s %17s %13s %17s %15s\n", th->names[i],
		    th->topos[th->topo[i]].policy, c1, c2, c3, c4, c5);
	}
}

void
out_compare(FILE *f, const struct simfile *sf, const struct sim_result *th,
    const struct sim_result *ours, int per_vm)
{
	struct agg a = { 0 }, b = { 0 };

	for (size_t i = 0; i < th->nvms; i++)
		agg_add(&a, th, i);
	for (size_t i = 0; i < ours->nvms; i++)
		agg_add(&b, ours, i);
	out_header(f, sf, th->nvms);
	fprintf(f, "--compare: the thesis (round-robin targets, a fixed sleep after a request, no guard)\n"
	    "against ours (learned targets, cooldown, max_moves_per_hour, one move in flight, warm-up,\n"
	    "min_stay, the breaker, move_margin), same traces and seed\n\n");
	fprintf(f, "  %-36s %12s %12s %10s\n", "", "thesis", "ours", "change");
	out_cmp_line(f, "requests", (double)a.requests, (double)b.requests, 0);
	out_cmp_line(f, "requests per VM-hour", out_rate(&a, th), out_rate(&b, ours), 3);
	out_cmp_line(f, "most requests in one hour (one VM)", a.max_hour, b.max_hour, 0);
	out_cmp_line(f, "moves completed", (double)a.moves, (double)b.moves, 0);
	out_cmp_line(f, "moves failed", (double)a.failed, (double)b.failed, 0);
	out_cmp_line(f, "held back by the guard", (double)a.suppressed, (double)b.suppressed, 0);
	out_cmp_line(f, "ping-pong (A->B->A within 1 h)", (double)a.pingpong, (double)b.pingpong, 0);
	out_cmp_line(f, "breaker trips", (double)a.trips, (double)b.trips, 0);
	out_cmp_line(f, "recommended only (breaker, mode)", (double)a.recommended, (double)b.recommended, 0);
	out_cmp_line(f, "mean efficacy gain per move", a.measured ? a.gain_sum / (double)a.measured : 0,
	    b.measured ? b.gain_sum / (double)b.measured : 0, 2);
	out_cmp_line(f, "SLA violation, minutes", a.sla_min, b.sla_min, 0);
	out_cmp_line(f, "time in moves, minutes", a.moving_min, b.moving_min, 1);
	out_cmp_line(f, "downtime, minutes", a.down_min, b.down_min, 1);
	out_cmp_line(f, "hours in the array", a.cost.h_array, b.cost.h_array, 1);
	out_cmp_line(f, "hours at the base (working)", a.cost.h_base, b.cost.h_base, 1);
	out_cmp_line(f, "hours at the base (scheduled rest)", a.cost.h_rest, b.cost.h_rest, 1);
	out_cmp_line(f, "hours at the other site", a.cost.h_away, b.cost.h_away, 1);
	out_cmp_line(f, "C_a (array)", a.cost.a, b.cost.a, 2);
	out_cmp_line(f, "C_tb = C_b + C_sb (base)", a.cost.tb, b.cost.tb, 2);
	out_cmp_line(f, "cost at the other site", a.cost.away, b.cost.away, 2);
	out_cmp_line(f, "C_t = C_tb + C_a (+ other site)", a.cost.t, b.cost.t, 2);
	if (per_vm || th->nvms <= OUT_PER_VM_MAX)
		out_cmp_vms(f, th, ours);
	fputc('\n', f);
	out_footer(f, th);
	out_footer(f, ours);
	out_hindsight(f, th, ours, per_vm);
	out_arrivals(f, th);
	out_arrivals(f, ours);
}

/* ---- CSV ---- */

static FILE *
out_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "we")) == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static void
out_summary_row(FILE *f, const struct sim_result *r, const char *vm, const char *policy,
    const struct agg *a, uint64_t samples, double sla)
{
	fprintf(f, "%s,%s,%s,%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",",
	    r->mode, vm, policy, a->vms, a->requests, a->moves, a->failed, a->suppressed, a->pingpong,
	    a->max_hour, samples);
	if (isnan(sla))
		fputc(',', f);
	else
		fprintf(f, "%g,", sla);
	fprintf(f, "%.2f,%.2f,%.2f,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", a->sla_min,
	    a->moving_min, a->down_min, a->cost.h_array, a->cost.h_base, a->cost.h_rest,
	    a->cost.h_away, a->cost.a, a->cost.b, a->cost.sb, a->cost.tb, a->cost.away, a->cost.t);
}

static void
out_summary(FILE *f, const struct sim_result *const *runs, size_t nruns)
{
	fprintf(f, "mode,vm,policy,vms,requests,moves,failed,suppressed,pingpong,max_requests_per_hour,samples,sla_level,sla_minutes,moving_minutes,down_minutes,hours_array,hours_base,hours_rest,hours_away,cost_a,cost_b,cost_sb,cost_tb,cost_away,cost_t\n");
	for (size_t k = 0; k < nruns; k++) {
		const struct sim_result *r = runs[k];
		struct agg all = { 0 };
		uint64_t samples = 0;
		for (size_t i = 0; i < r->nvms; i++) {
			struct agg a = { 0 };
			agg_add(&a, r, i);
			agg_add(&all, r, i);
			samples += r->stats[i].samples;
			out_summary_row(f, r, r->names[i], r->topos[r->topo[i]].policy, &a,
			    r->stats[i].samples, r->sla[i]);
		}
		out_summary_row(f, r, "ALL", "", &all, samples, NAN);
	}
}

static void
out_hourly(FILE *f, const struct sim_result *const *runs, size_t nruns)
{
	fprintf(f, "mode,vm,hour,time,requests,moves\n");
	for (size_t k = 0; k < nruns; k++) {
		const struct sim_result *r = runs[k];
		int64_t start = r->start;
		for (size_t i = 0; i < r->nvms; i++)
			for (size_t h = 0; h < r->nhours; h++)
				if (r->stats[i].hour_req[h] || r->stats[i].hour_mov[h])
					fprintf(f, "%s,%s,%zu,%lld,%u,%u\n", r->mode, r->names[i], h,
					    (long long)(start + (int64_t)h * 3600), r->stats[i].hour_req[h],
					    r->stats[i].hour_mov[h]);
		for (size_t h = 0; h < r->nhours; h++) {
			unsigned long req = 0, mov = 0;
			for (size_t i = 0; i < r->nvms; i++) {
				req += r->stats[i].hour_req[h];
				mov += r->stats[i].hour_mov[h];
			}
			fprintf(f, "%s,ALL,%zu,%lld,%lu,%lu\n", r->mode, h,
			    (long long)(start + (int64_t)h * 3600), req, mov);
		}
	}
}

static void
out_residency(FILE *f, const struct sim_result *const *runs, size_t nruns)
{
	static const char *const cls[] = { "array", "base", "away" };

	fprintf(f, "mode,vm,host,site,class,hours_working,hours_resting,cost\n");
	for (size_t k = 0; k < nruns; k++) {
		const struct sim_result *r = runs[k];
		for (size_t i = 0; i < r->nvms; i++) {
			const struct sim_topo *t = &r->topos[r->topo[i]];
			for (size_t j = 0; j < t->n; j++) {
				double w = r->stats[i].res[2 * j] / 3600, s = r->stats[i].res[2 * j + 1] / 3600;
				if (w == 0 && s == 0)
					continue;
				fprintf(f, "%s,%s,%s,%s,%s,%.4f,%.4f,%.4f\n", r->mode, r->names[i],
				    t->names[j], t->sites[j], cls[t->cls[j]], w, s, (w + s) * t->cost[j]);
			}
		}
	}
}

int
out_csv(const char *dir, const struct sim_result *const *runs, size_t nruns, char *err,
    size_t errlen)
{
	static const char *const names[] = { "summary.csv", "hourly.csv", "residency.csv" };

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t k = 0; k < 3; k++) {
		FILE *f = out_open(dir, names[k], err, errlen);
		if (f == NULL)
			return -1;
		if (k == 0)
			out_summary(f, runs, nruns);
		else if (k == 1)
			out_hourly(f, runs, nruns);
		else
			out_residency(f, runs, nruns);
		if (fclose(f) != 0) {
			snprintf(err, errlen, "%s/%s: %s", dir, names[k], strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The per-hour histogram (thesis Figures 4.3, 4.4, 4.6) as text: requests/moves. */
void
out_hourly_table(FILE *f, const struct sim_result *r, size_t max_vms)
{
	size_t n = r->nvms < max_vms ? r->nvms : max_vms;

	fprintf(f, "\nrequests/moves per hour (%s)\n%-20s", r->mode, "hour");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %9.9s", r->names[i]);
	fprintf(f, " %9s\n", "ALL");
	for (size_t h = 0; h < r->nhours; h++) {
		char date[32];
		time_t t = (time_t)(r->start + (int64_t)h * 3600);
		struct tm tm;
		unsigned long req = 0, mov = 0;
		vmm_localtime((int64_t)t, &tm);
		strftime(date, sizeof(date), "%a %d %H:00", &tm);
		fprintf(f, "%4zu %-15s", h, date);
		for (size_t i = 0; i < r->nvms; i++) {
			req += r->stats[i].hour_req[h];
			mov += r->stats[i].hour_mov[h];
			if (i < n)
				fprintf(f, " %4u/%-4u", r->stats[i].hour_req[h], r->stats[i].hour_mov[h]);
		}
		fprintf(f, " %4lu/%-4lu\n", req, mov);
	}
}
