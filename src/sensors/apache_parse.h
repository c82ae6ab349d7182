/* SPDX-License-Identifier: ISC */
/* Parsing mod_status `server-status?auto` output: pure, no I/O (the fuzzer's target). */
#ifndef VMM_SENSOR_APACHE_PARSE_H
#define VMM_SENSOR_APACHE_PARSE_H

#include <stddef.h>

/* How one field of the page turned out. */
enum apache_field_state {
	APACHE_ABSENT = 0, /* no line with that key */
	APACHE_OK,         /* the first line with that key has a number */
	APACHE_BAD         /* the first line with that key has something else */
};

struct apache_field {
	enum apache_field_state state;
	double value;
	size_t line;        /* 1-based line of the first occurrence, 0 when absent */
};

struct apache_status {
	struct apache_field idle;   /* IdleWorkers */
	struct apache_field busy;   /* BusyWorkers */
	struct apache_field rps;    /* ReqPerSec */
	size_t lines;               /* complete lines seen */
	size_t pairs;               /* of which `Key: value` lines */
	int unterminated;           /* the body ended inside a line (ignored: maybe cut) */
};

/*
 * Reads `Key: value` lines only; other lines (a host name first line, lines without a
 * colon) and unknown keys are ignored; keys match exactly and case-sensitively; of
 * duplicate keys the first counts (Apache 2.4 prints some twice); a last line without
 * its newline is ignored, as a cut body could end inside a number.
 * Returns 0 when IdleWorkers was found with a number, -1 otherwise (out says why).
 * buf need not be NUL-terminated and may contain NULs.
 */
int sensor_apache_parse(const char *buf, size_t len, struct apache_status *out);

/* One line for a log saying why the parse gave no IdleWorkers. */
const char *sensor_apache_why(const struct apache_status *st, char *buf, size_t len);

#endif
