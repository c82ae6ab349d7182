/* SPDX-License-Identifier: ISC */
/* The tallies: per VM, requests and their outcomes, per hour, the time from a request to
 * its confirmation, and where the VM was for how long. Memory grows with VMs, hosts and
 * distinct hours, each capped, never with the length of the logs. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/strutil.h"
#include "report/report.h"
#include "report/stats.h"

#define MAX_VMS 50000
#define MAX_HOSTS_PER_VM 256
#define MAX_HOURS_PER_VM 200000

/* ---- the hour map: open addressing, hour -> counts ---- */

static int
hours_grow(struct hourmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hourcell *c = malloc(cap * sizeof(*c));

	if (c == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		c[i].hour = INT64_MIN;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->cells[i].hour == INT64_MIN)
			continue;
		size_t j = (size_t)((uint64_t)m->cells[i].hour * UINT64_C(0x9e3779b97f4a7c15) >> 7) & (cap - 1);
		while (c[j].hour != INT64_MIN)
			j = (j + 1) & (cap - 1);
		c[j] = m->cells[i];
	}
	free(m->cells);
	m->cells = c;
	m->cap = cap;
	return 0;
}

static struct hourcell *
hours_get(struct hourmap *m, int64_t hour)
{
	if ((m->n + 1) * 2 > m->cap) {
		if (m->n >= MAX_HOURS_PER_VM || hours_grow(m) < 0)
			return NULL;
	}
	size_t j = (size_t)((uint64_t)hour * UINT64_C(0x9e3779b97f4a7c15) >> 7) & (m->cap - 1);
	while (m->cells[j].hour != INT64_MIN && m->cells[j].hour != hour)
		j = (j + 1) & (m->cap - 1);
	if (m->cells[j].hour == INT64_MIN) {
		m->cells[j].hour = hour;
		m->cells[j].req = m->cells[j].mov = 0;
		m->n++;
	}
	return &m->cells[j];
}

static void
hours_add(struct report *r, struct vmrep *v, double t, int req, int mov)
{
	struct hourcell *c = hours_get(&v->hours, (int64_t)floor(t / 3600) * 3600);

	if (c == NULL) {
		r->dropped++;
		return;
	}
	c->req += (uint32_t)req;
	c->mov += (uint32_t)mov;
}

/* ---- durations: a log-scale histogram, 4 % wide bins from 10 ms to 11 days ---- */

static size_t
dur_bin(double d)
{
	double b = d > DUR_MIN ? floor(DUR_PER_DECADE * log10(d / DUR_MIN)) : 0;

	return b < 0 ? 0 : b >= DUR_BINS ? DUR_BINS - 1 : (size_t)b;
}

double
dur_bin_value(size_t b)
{
	return DUR_MIN * pow(10, ((double)b + 0.5) / DUR_PER_DECADE);
}

static void
dur_add(struct vmrep *v, double d)
{
	if (v->dhist == NULL && (v->dhist = calloc(DUR_BINS, sizeof(*v->dhist))) == NULL)
		return;
	v->dhist[dur_bin(d)]++;
	if (v->dn == 0 || d < v->dmin)
		v->dmin = d;
	if (v->dn == 0 || d > v->dmax)
		v->dmax = d;
	v->dn++;
	v->dsum += d;
}

double
dur_quantile(const uint32_t *hist, uint64_t n, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)n), seen = 0;

	if (n == 0 || hist == NULL)
		return NAN;
	if (want == 0)
		want = 1;
	for (size_t b = 0; b < DUR_BINS; b++) {
		seen += hist[b];
		if (seen >= want)
			return dur_bin_value(b);
	}
	return dur_bin_value(DUR_BINS - 1);
}

/* ---- VMs by name ---- */

static uint64_t
name_hash(const char *s)
{
	return vmm_fnv1a_str(VMM_FNV1A_BASIS, s);
}

static int
vms_index_grow(struct report *r)
{
	size_t cap = r->idxcap ? r->idxcap * 2 : 256;
	size_t *idx = malloc(cap * sizeof(*idx));

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		idx[i] = SIZE_MAX;
	for (size_t i = 0; i < r->nvms; i++) {
		size_t j = name_hash(r->vms[i]->name) & (cap - 1);
		while (idx[j] != SIZE_MAX)
			j = (j + 1) & (cap - 1);
		idx[j] = i;
	}
	free(r->idx);
	r->idx = idx;
	r->idxcap = cap;
	return 0;
}

static void
vm_chart_open(struct report *r, struct vmrep *v)
{
	const struct report_opts *o = &r->o;
	int want = 0;

	if (o->chart_tmp == NULL)
		return;
	if (o->charted != NULL) {
		for (const char *const *c = o->charted; *c; c++)
			if (strcmp(*c, v->name) == 0)
				want = 1;
	} else
		want = r->ncharted < o->max_charts;
	if (!want)
		return;
	size_t k = r->ncharted;
	snprintf(v->res_path, sizeof(v->res_path), "%s/res%zu.dat", o->chart_tmp, k);
	snprintf(v->ind_path, sizeof(v->ind_path), "%s/ind%zu.dat", o->chart_tmp, k);
	v->resf = fopen(v->res_path, "we");
	v->indf = fopen(v->ind_path, "we");
	if (v->resf == NULL || v->indf == NULL) {
		if (v->resf)
			fclose(v->resf);
		if (v->indf)
			fclose(v->indf);
		v->resf = v->indf = NULL;
		return;
	}
	v->chart = 1;
	r->ncharted++;
}

static struct vmrep *
vm_get(struct report *r, const char *name)
{
	uint64_t h = name_hash(name);

	if (r->idxcap > 0) {
		for (size_t j = h & (r->idxcap - 1); r->idx[j] != SIZE_MAX; j = (j + 1) & (r->idxcap - 1))
			if (strcmp(r->vms[r->idx[j]]->name, name) == 0)
				return r->vms[r->idx[j]];
	}
	if (r->nvms >= MAX_VMS)
		return NULL;
	if ((r->nvms + 1) * 2 > r->idxcap && vms_index_grow(r) < 0)
		return NULL;
	if (r->nvms == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct vmrep **nv = realloc(r->vms, cap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		r->vms = nv;
		r->cap = cap;
	}
	struct vmrep *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->loc = -1;
	size_t j = h & (r->idxcap - 1);
	while (r->idx[j] != SIZE_MAX)
		j = (j + 1) & (r->idxcap - 1);
	r->idx[j] = r->nvms;
	r->vms[r->nvms++] = v;
	vm_chart_open(r, v);
	return v;
}

/* ---- residency ---- */

/* Local time for the charts' time axis (gnuplot's %s is UTC). */
static double
local_of(struct report *r, double t)
{
	int64_t hour = (int64_t)floor(t / 3600);

	if (hour != r->off_hour) {
		time_t tt = (time_t)t;
		struct tm tm;
		r->off_hour = hour;
		r->off = localtime_r(&tt, &tm) ? (double)tm.tm_gmtoff : 0;
	}
	return t + r->off;
}

static int
res_index(struct vmrep *v, const char *host)
{
	for (size_t i = 0; i < v->nres; i++)
		if (strcmp(v->res[i].host, host) == 0)
			return (int)i;
	if (v->nres >= MAX_HOSTS_PER_VM)
		host = "(other hosts)";
	for (size_t i = 0; i < v->nres; i++)
		if (strcmp(v->res[i].host, host) == 0)
			return (int)i;
	struct resent *n = realloc(v->res, (v->nres + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	v->res = n;
	memset(&v->res[v->nres], 0, sizeof(v->res[0]));
	snprintf(v->res[v->nres].host, sizeof(v->res[0].host), "%s", host);
	return (int)v->nres++;
}

static void
loc_set(struct report *r, struct vmrep *v, double t, const char *host)
{
	int i;

	if (host == NULL || *host == '\0' || (i = res_index(v, host)) < 0)
		return;
	if (v->loc == i)
		return;
	if (v->loc >= 0 && t > v->loc_since)
		v->res[v->loc].seconds += t - v->loc_since;
	v->loc = i;
	v->loc_since = t;
	if (v->chart)
		fprintf(v->resf, "%.0f %d\n", local_of(r, t), i);
}

/* A request with no outcome: like the thesis, assume the VM went where it was sent. */
static void
settle(struct report *r, struct vmrep *v)
{
	if (!v->pending)
		return;
	v->pending = 0;
	v->no_outcome++;
	loc_set(r, v, v->pending_t, v->pending_target);
}

/* ---- records ---- */

static void
rec_clock(struct report *r, struct vmrep *v, double t)
{
	/* against the line before, so that one step back counts once, not every line until
	 * the clock is past its old best */
	if (v->have_t) {
		if (t < v->prev_t - 1)
			v->clock_back++, r->clock_back++;
		else if (t > v->prev_t + r->o.jump)
			v->clock_jump++, r->clock_jump++;
	}
	v->prev_t = t;
	if (!v->have_t || t > v->last_t)
		v->last_t = t;
	if (!v->have_t || t < v->first_t)
		v->first_t = t;
	v->have_t = 1;
}

static void
rec_outcome(struct report *r, struct vmrep *v, const struct report_rec *rec)
{
	double d = rec->duration;

	if (isnan(d) && v->pending) {
		d = rec->time - v->pending_t;
		if (d < 0) {
			v->negative++; /* the clock went back between request and outcome */
			d = NAN;
		}
	}
	if (rec->kind == REC_CONFIRMED) {
		v->confirmed++;
		hours_add(r, v, rec->time, 0, 1);
		if (!isnan(d))
			dur_add(v, d);
		const char *to = rec->target[0] ? rec->target : v->pending_target;
		int k = to[0] ? res_index(v, to) : -1;
		if (k >= 0)
			v->res[k].arrivals++;
		loc_set(r, v, rec->time, to);
	} else if (rec->kind == REC_UNCONFIRMED) {
		v->unconfirmed++;
		loc_set(r, v, rec->time, rec->target[0] ? rec->target : v->pending_target);
	} else
		v->failed++;
	v->pending = 0;
}

static void
rec_cycle(struct report *r, struct vmrep *v, const struct report_rec *rec)
{
	v->cycles++;
	if (!isnan(rec->value)) {
		v->values++;
		v->val_max = fmax(v->val_max, rec->value);
	}
	if (!isnan(rec->threshold))
		v->thr_max = fmax(v->thr_max, rec->threshold);
	if (!isnan(rec->lowthreshold))
		v->thr_max = fmax(v->thr_max, rec->lowthreshold);
	if (rec->target[0])
		loc_set(r, v, rec->time, rec->target);
	if (v->chart)
		fprintf(v->indf, "%.0f %.6g %.6g %.6g NaN\n", local_of(r, rec->time), rec->value,
		    rec->threshold, rec->lowthreshold);
}

void
report_add(struct report *r, const struct report_rec *rec)
{
	struct vmrep *v = vm_get(r, rec->vm);

	if (v == NULL) {
		r->dropped++;
		return;
	}
	rec_clock(r, v, rec->time);
	switch (rec->kind) {
	case REC_REQUEST:
		settle(r, v);
		v->requests++;
		hours_add(r, v, rec->time, 1, 0);
		v->pending = 1;
		v->pending_t = rec->time;
		snprintf(v->pending_target, sizeof(v->pending_target), "%s", rec->target);
		if (v->chart)
			fprintf(v->indf, "%.0f NaN NaN NaN 1\n", local_of(r, rec->time));
		break;
	case REC_CONFIRMED:
	case REC_UNCONFIRMED:
	case REC_FAILED:
		rec_outcome(r, v, rec);
		break;
	case REC_CYCLE:
		rec_cycle(r, v, rec);
		break;
	case REC_START:
		v->starts++;
		if (rec->target[0])
			loc_set(r, v, rec->time, rec->target);
		break;
	case REC_SUPPRESSED:
		v->suppressed++;
		break;
	case REC_EFFICACY:
		v->eff_n++;
		v->eff_sum += rec->value;
		v->eff_last = rec->value;
		break;
	case REC_LOCATION:
		loc_set(r, v, rec->time, rec->target);
		break;
	default:
		break;
	}
}

void
report_end(struct report *r)
{
	for (size_t i = 0; i < r->nvms; i++) {
		struct vmrep *v = r->vms[i];
		settle(r, v);
		if (v->loc >= 0 && v->last_t > v->loc_since) {
			v->res[v->loc].seconds += v->last_t - v->loc_since;
			v->loc_since = v->last_t;
		}
		if (v->chart) {
			if (v->loc >= 0)
				fprintf(v->resf, "%.0f %d\n", local_of(r, v->last_t), v->loc);
			fclose(v->resf);
			fclose(v->indf);
			v->resf = v->indf = NULL;
		}
	}
}

struct report *
report_new(const struct report_opts *o)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->o = *o;
	if (r->o.jump <= 0)
		r->o.jump = 7 * 86400;
	r->off_hour = INT64_MIN;
	return r;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nvms; i++) {
		struct vmrep *v = r->vms[i];
		if (v->resf)
			fclose(v->resf);
		if (v->indf)
			fclose(v->indf);
		free(v->hours.cells);
		free(v->dhist);
		free(v->res);
		free(v);
	}
	free(r->vms);
	free(r->idx);
	free(r);
}

/* ---- what chart.c and the printer read ---- */

size_t
report_nvms(const struct report *r)
{
	return r->nvms;
}

const char *
report_vm_name(const struct report *r, size_t i)
{
	return r->vms[i]->name;
}

int
report_vm_charted(const struct report *r, size_t i, char *res_path, char *ind_path, size_t len)
{
	const struct vmrep *v = r->vms[i];

	if (!v->chart)
		return 0;
	snprintf(res_path, len, "%s", v->res_path);
	snprintf(ind_path, len, "%s", v->ind_path);
	return 1;
}

size_t
report_vm_hosts(const struct report *r, size_t i, const char **names, size_t max)
{
	const struct vmrep *v = r->vms[i];
	size_t n = v->nres < max ? v->nres : max;

	for (size_t k = 0; k < n; k++)
		names[k] = v->res[k].host;
	return n;
}

int
report_vm_has_values(const struct report *r, size_t i)
{
	return r->vms[i]->values > 0;
}

static int
cell_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct hourcell *)a)->hour, y = ((const struct hourcell *)b)->hour;

	return x < y ? -1 : x > y;
}

size_t
report_vm_hours(const struct report *r, size_t i, int64_t **hours, uint32_t **req, uint32_t **mov)
{
	const struct hourmap *m = &r->vms[i]->hours;
	struct hourcell *c = malloc((m->n ? m->n : 1) * sizeof(*c));
	size_t n = 0;

	*hours = NULL;
	*req = *mov = NULL;
	if (c == NULL)
		return 0;
	for (size_t k = 0; k < m->cap; k++)
		if (m->cells[k].hour != INT64_MIN)
			c[n++] = m->cells[k];
	qsort(c, n, sizeof(*c), cell_cmp);
	*hours = malloc((n ? n : 1) * sizeof(**hours));
	*req = malloc((n ? n : 1) * sizeof(**req));
	*mov = malloc((n ? n : 1) * sizeof(**mov));
	if (*hours == NULL || *req == NULL || *mov == NULL) {
		free(*hours);
		free(*req);
		free(*mov);
		free(c);
		*hours = NULL;
		*req = *mov = NULL;
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		(*hours)[k] = c[k].hour;
		(*req)[k] = c[k].req;
		(*mov)[k] = c[k].mov;
	}
	free(c);
	return n;
}

uint64_t
report_clock_back(const struct report *r)
{
	return r->clock_back;
}

uint64_t
report_clock_jump(const struct report *r)
{
	return r->clock_jump;
}
