/* SPDX-License-Identifier: ISC */
/* Turning the Slow_queries counter into a per-cycle increase: pure, no I/O. */
#ifndef VMM_SENSOR_MYSQL_SLOW_PARSE_H
#define VMM_SENSOR_MYSQL_SLOW_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct slow_counter {
	int have;        /* a previous reading to compare with */
	uint64_t slow;   /* Slow_queries then */
	uint64_t uptime; /* Uptime then */
};

enum slow_result {
	SLOW_RATE = 0,   /* *delta is the increase since the previous reading */
	SLOW_BASELINE,   /* the first reading (after start or a gap): nothing to compare */
	SLOW_RESTART     /* a counter went down: the server restarted or was flushed */
};

/* Uptime may lag the wall clock by this much (1 s granularity, query latency). */
#define SLOW_UPTIME_SLACK 2

/* Feed one reading of the two counters, `elapsed` seconds (monotonic) after the previous
 * one. A restart shows as a counter going down, or as Uptime growing less than the time
 * that passed (the server restarted and has already run a while). */
enum slow_result slow_counter_update(struct slow_counter *c, uint64_t slow, uint64_t uptime,
    double elapsed, uint64_t *delta);

/* Forget the previous reading: a cycle failed, so the next increase would span more than
 * one interval. */
void slow_counter_forget(struct slow_counter *c);

/* The status rows: exact names only (`Uptime` must not match `Uptime_since_flush_status`).
 * Feeds one row; returns 1 when the name was one of the two and the value a number,
 * 0 when the name is another, -1 when the value is not a number. */
int slow_status_row(const char *name, const char *value, uint64_t *slow, uint64_t *uptime,
    unsigned *seen);
#define SLOW_SEEN_SLOW 1u
#define SLOW_SEEN_UPTIME 2u

#endif
