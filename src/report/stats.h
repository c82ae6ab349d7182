/* SPDX-License-Identifier: ISC */
/* The tallies' insides, shared by stats.c (which fills them) and print.c (which prints). */
#ifndef VMM_REPORT_STATS_H
#define VMM_REPORT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "report/report.h"

#define DUR_MIN 0.01
#define DUR_PER_DECADE 60
#define DUR_BINS 480

struct hourcell {
	int64_t hour;             /* epoch of the hour's start; INT64_MIN: empty */
	uint32_t req, mov;
};

struct hourmap {
	struct hourcell *cells;
	size_t cap, n;
};

struct resent {
	char host[REPORT_NAME];
	double seconds;
	uint64_t arrivals;        /* confirmed moves to this host */
};

struct vmrep {
	char name[REPORT_NAME];
	uint64_t requests, confirmed, failed, unconfirmed, no_outcome, suppressed, cycles, starts;
	uint64_t values, negative, clock_back, clock_jump;
	uint64_t eff_n;           /* moves with a measured efficacy */
	double eff_sum, eff_last; /* their gains, and the latest */
	double thr_max, val_max;  /* the largest threshold and value seen, for the charts */
	struct hourmap hours;
	int pending;
	double pending_t;
	char pending_target[REPORT_NAME];
	uint32_t *dhist;          /* request to confirmation, seconds; allocated on first use */
	uint64_t dn;
	double dmin, dmax, dsum;
	struct resent *res;
	size_t nres;
	int loc;                  /* index in res, -1: not known yet */
	double loc_since;
	int have_t;
	double first_t, last_t, prev_t;  /* the earliest, the latest, the one before */
	int chart;
	FILE *resf, *indf;
	char res_path[4200], ind_path[4200];
};

struct report {
	struct report_opts o;
	struct vmrep **vms;
	size_t nvms, cap;
	size_t *idx, idxcap;
	size_t ncharted;
	uint64_t clock_back, clock_jump, dropped;
	int64_t off_hour;
	double off;
};

struct vmcost {
	double a, b, unpriced_h;  /* C_a, C_b, and hours on hosts without a price */
};

double dur_bin_value(size_t b);
double price_of(const struct prices *p, const char *host); /* NaN: no price */
int is_base(const struct prices *p, const char *host);
void fmt_dur(char *buf, size_t len, double s); /* 4.2s, 3.1m, 2.0h; - for NaN */
void report_vm_cost(const struct vmrep *v, const struct prices *p, struct vmcost *c);
/* html.c: DIR/index.html, one self-contained page */
int report_html(const struct report *r, const struct prices *p, const struct input_stats *in,
    const char *dir, char *err, size_t errlen);
double dur_quantile(const uint32_t *hist, uint64_t n, double q);

#endif
