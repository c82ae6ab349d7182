/* SPDX-License-Identifier: ISC */
/* vmmanage-report: what the logs say about requests, moves, residency and cost. The
 * parser is pure (the fuzzer calls report_parse_line); the tallies are bounded by the
 * number of VMs, hosts and distinct hours, never by the size of the logs. */
#ifndef VMM_REPORT_H
#define VMM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_NAME 128
#define REPORT_MAX_LINE 65536

enum rec_kind {
	REC_NONE = 0,
	REC_REQUEST,     /* "Now using X": a request to move to X */
	REC_CONFIRMED,   /* the move to target happened (the endpoint said so) */
	REC_FAILED,
	REC_UNCONFIRMED, /* accepted by the endpoint, where the VM went is not known */
	REC_CYCLE,       /* one sample: value, thresholds, location */
	REC_START,       /* the agent started (after a cold move, too) */
	REC_SUPPRESSED,  /* the guard held a request back */
	REC_LOCATION,    /* where the VM runs, as the endpoint reported */
	REC_EFFICACY,    /* a confirmed move's efficacy: value is the gain */
	REC_OTHER        /* a message of no interest here */
};

struct report_rec {
	enum rec_kind kind;
	double time;                 /* epoch seconds */
	char vm[REPORT_NAME];        /* the host that logged (a VM); "mode/vm" for the simulator */
	char action[32];
	char target[REPORT_NAME];    /* request/outcome: where to; cycle/location: where it is */
	double duration;             /* outcome: seconds the move took; NaN when not said */
	double value, threshold, lowthreshold; /* cycle; NaN when absent or unknown */
	double before, after;        /* efficacy: the indicator's means around the move */
};

enum report_format { FMT_UNKNOWN = 0, FMT_THESIS, FMT_COLLECTOR_JSON, FMT_AGENT_JSON, FMT_SIM_CSV,
	FMT_BLOCK };

/* What a stream has shown so far: the simulator's CSV header, a cycle block in progress. */
struct report_parser {
	int csv_col[16];             /* index of each field in the CSV header, -1 absent */
	int csv_header;
	int in_block;
	struct report_rec block;
	char last_vm[REPORT_NAME];   /* a block names no host: the last one seen */
	enum report_format last_format;
};

void report_parser_init(struct report_parser *p);
/* One line without its LF (it may hold anything). 1: *out holds a record; 0: nothing to
 * count (blank, header, a block's middle line); -1: malformed. */
int report_parse_line(struct report_parser *p, const char *line, size_t len,
    struct report_rec *out);
/* The message part of a thesis/collector line ("Now using 2 (why)") into *out; kind
 * REC_OTHER when it is none of ours. */
void report_parse_message(const char *vm, const char *msg, size_t len, struct report_rec *out);
const char *report_format_name(enum report_format f);

/* stats.c */
struct report;
struct report_opts {
	const char *const *charted;  /* VMs to chart (NULL: the first max_charts seen) */
	size_t max_charts;
	const char *chart_tmp;       /* where chart data goes while reading; NULL: no charts */
	double jump;                 /* seconds forward that count as a clock jump */
};
struct report *report_new(const struct report_opts *o);
void report_free(struct report *r);
/* A record, in the order of the stream it came from. */
void report_add(struct report *r, const struct report_rec *rec);
/* A stream ended: what was pending in it is settled. */
void report_end(struct report *r);

/* Prices per VM-hour for each host ("h1=0.12"), a default, and the hosts that are bases. */
struct prices {
	char **host;
	double *price;
	size_t n;
	double dflt;                 /* NaN: none */
	char **base;
	size_t nbase;
};
int prices_add(struct prices *p, const char *spec, char *err, size_t errlen);
int prices_file(struct prices *p, const char *path, char *err, size_t errlen);
int prices_base(struct prices *p, const char *host);
void prices_free(struct prices *p);

struct input_stats {
	uint64_t files, lines, records, malformed, overlong, bad_time;
	uint64_t bytes;
	unsigned formats;            /* a bit per enum report_format seen */
};

void report_print(FILE *f, const struct report *r, const struct prices *p,
    const struct input_stats *in, int hourly);

/* chart.c */
int report_charts(const struct report *r, const char *dir, const char *gnuplot, int png, int svg,
    char *err, size_t errlen);

/* what stats.c lends chart.c */
size_t report_nvms(const struct report *r);
const char *report_vm_name(const struct report *r, size_t i);
int report_vm_charted(const struct report *r, size_t i, char *res_path, char *ind_path,
    size_t len);
size_t report_vm_hosts(const struct report *r, size_t i, const char **names, size_t max);
int report_vm_has_values(const struct report *r, size_t i);
/* per hour (epoch of the hour's start): requests, confirmed moves; sorted by hour */
size_t report_vm_hours(const struct report *r, size_t i, int64_t **hours, uint32_t **req,
    uint32_t **mov);
uint64_t report_clock_back(const struct report *r);
uint64_t report_clock_jump(const struct report *r);

#endif
