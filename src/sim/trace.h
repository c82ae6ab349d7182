/* SPDX-License-Identifier: ISC */
/* Demand traces: a CSV file of `time,value` lines, parsed without I/O (the fuzzer calls
 * sim_trace_parse), and looked up by linear interpolation. */
#ifndef VMM_SIM_TRACE_H
#define VMM_SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct sim_trace {
	double *t, *v;     /* seconds (offsets, or epochs when epoch is set), values */
	size_t n;
	int epoch;         /* the times looked like epochs (all above 10^8) */
};

/* Lines: `time,value` (also `;` or TAB between them), `#` comments, blank lines, and
 * one header line of non-numbers. time is seconds (from the start of the simulation, or
 * an epoch), or a date "YYYY-MM-DD HH:MM[:SS]" (local time; "T" or a trailing "Z" for
 * ISO 8601 UTC). Times must increase. 0, or -1 with err as "name:line: what". */
int sim_trace_parse(const char *buf, size_t len, const char *name, struct sim_trace *out,
    char *err, size_t errlen);
/* The same from a file. */
int sim_trace_load(const char *path, struct sim_trace *out, char *err, size_t errlen);
void sim_trace_free(struct sim_trace *tr);
/* The value at time t (same unit as the trace's times); before the first point the first
 * value, after the last the last one, or the trace again from its start when repeat. */
double sim_trace_at(const struct sim_trace *tr, double t, int repeat);

/* "YYYY-MM-DD HH:MM[:SS]" (local time) or with T/Z (UTC) to an epoch; -1 when it is not
 * one. Also used for the simulation file's start. */
int sim_parse_date(const char *s, size_t len, int64_t *out);

#endif
