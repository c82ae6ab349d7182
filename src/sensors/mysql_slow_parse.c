/* SPDX-License-Identifier: ISC */
/* Turning the Slow_queries counter into a per-cycle increase: pure, no I/O. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/mysql_slow_parse.h"

enum slow_result
slow_counter_update(struct slow_counter *c, uint64_t slow, uint64_t uptime, double elapsed,
    uint64_t *delta)
{
	enum slow_result r;

	*delta = 0;
	if (!c->have)
		r = SLOW_BASELINE;
	else if (slow < c->slow || uptime < c->uptime ||
	    (double)(uptime - c->uptime) + SLOW_UPTIME_SLACK < elapsed)
		/* a negative rate is meaningless (cockroach#4347): start again from here */
		r = SLOW_RESTART;
	else {
		*delta = slow - c->slow;
		r = SLOW_RATE;
	}
	c->have = 1;
	c->slow = slow;
	c->uptime = uptime;
	return r;
}

void
slow_counter_forget(struct slow_counter *c)
{
	c->have = 0;
}

static int
slow_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
slow_status_row(const char *name, const char *value, uint64_t *slow, uint64_t *uptime,
    unsigned *seen)
{
	uint64_t *dst;
	unsigned bit;

	if (name == NULL)
		return 0;
	if (strcmp(name, "Slow_queries") == 0)
		dst = slow, bit = SLOW_SEEN_SLOW;
	else if (strcmp(name, "Uptime") == 0)
		dst = uptime, bit = SLOW_SEEN_UPTIME;
	else
		return 0;
	if (slow_u64(value, dst) < 0)
		return -1;
	*seen |= bit;
	return 1;
}
