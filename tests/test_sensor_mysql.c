/* SPDX-License-Identifier: ISC */
/* Unit tests of the Slow_queries counter logic of the mysql_slow sensor. */
#include "config.h"

#include <stdint.h>

#include "sensor_test.h"
#include "sensors/mysql_slow_parse.h"

static void
test_counter(void)
{
	struct slow_counter c = { 0 };
	uint64_t d = 99;

	st_ok(slow_counter_update(&c, 12, 100, 0, &d) == SLOW_BASELINE && d == 0,
	    "the first reading is a baseline, not a rate of 12 or 0");
	st_ok(slow_counter_update(&c, 15, 160, 60, &d) == SLOW_RATE && d == 3,
	    "the increase since the previous reading");
	st_ok(slow_counter_update(&c, 15, 220, 60, &d) == SLOW_RATE && d == 0, "no slow queries: 0");
	st_ok(slow_counter_update(&c, 0, 5, 60, &d) == SLOW_RESTART && d == 0,
	    "Slow_queries going down is a restart, never a negative rate");
	st_ok(slow_counter_update(&c, 2, 65, 60, &d) == SLOW_RATE && d == 2,
	    "after the restart the new baseline counts");
	st_ok(slow_counter_update(&c, 4, 20, 60, &d) == SLOW_RESTART,
	    "Uptime going down is a restart even when Slow_queries grew");
	st_ok(slow_counter_update(&c, 9, 30, 60, &d) == SLOW_RESTART,
	    "Uptime growing 10 s in 60 s: restarted in between");
	st_ok(slow_counter_update(&c, 9, 88, 60, &d) == SLOW_RATE && d == 0,
	    "Uptime lagging by less than the slack is no restart");
	slow_counter_forget(&c);
	st_ok(slow_counter_update(&c, 20, 150, 300, &d) == SLOW_BASELINE,
	    "after failed cycles the next reading is a baseline again");
	st_ok(slow_counter_update(&c, UINT64_MAX, 210, 60, &d) == SLOW_RATE &&
	    d == UINT64_MAX - 20, "64-bit counters");
}

static void
test_rows(void)
{
	uint64_t slow = 0, up = 0;
	unsigned seen = 0;

	st_ok(slow_status_row("Uptime_since_flush_status", "7", &slow, &up, &seen) == 0 && seen == 0,
	    "Uptime_since_flush_status is not Uptime (collectd#3125)");
	st_ok(slow_status_row("Slow_queries", "12", &slow, &up, &seen) == 1 && slow == 12 &&
	    seen == SLOW_SEEN_SLOW, "Slow_queries");
	st_ok(slow_status_row("Uptime", "3600", &slow, &up, &seen) == 1 && up == 3600 &&
	    seen == (SLOW_SEEN_SLOW | SLOW_SEEN_UPTIME), "Uptime");
	st_ok(slow_status_row("slow_queries", "1", &slow, &up, &seen) == 0, "names are exact");
	st_ok(slow_status_row("Slow_queries", "12x", &slow, &up, &seen) < 0, "not a counter");
	st_ok(slow_status_row("Slow_queries", "-1", &slow, &up, &seen) < 0, "negative");
	st_ok(slow_status_row("Slow_queries", NULL, &slow, &up, &seen) < 0, "NULL value");
	st_ok(slow_status_row("Slow_queries", "99999999999999999999999", &slow, &up, &seen) < 0,
	    "out of range");
	st_ok(slow_status_row(NULL, "1", &slow, &up, &seen) == 0, "NULL name");
}

int
main(void)
{
	test_counter();
	test_rows();
	return st_done();
}
