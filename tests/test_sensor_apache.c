/* SPDX-License-Identifier: ISC */
/* Unit tests of the mod_status ?auto parser (sensor_apache_parse), with real pages. */
#include "config.h"

#include <math.h>

#include "sensor_test.h"
#include "sensors/apache_parse.h"

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1);
}

/* Parse a string; the return value of the parser. */
static int
parse(const char *s, struct apache_status *st)
{
	return sensor_apache_parse(s, strlen(s), st);
}

static void
test_real_pages(void)
{
	struct apache_status st;
	size_t len;
	char *buf = st_fixture("apache-2.4-prefork.txt", &len);

	st_ok(sensor_apache_parse(buf, len, &st) == 0, "prefork page: IdleWorkers found");
	st_ok(st.idle.state == APACHE_OK && st.idle.value == 3, "prefork page: IdleWorkers 3");
	st_ok(st.busy.state == APACHE_OK && st.busy.value == 1, "prefork page: BusyWorkers 1");
	st_ok(st.rps.state == APACHE_OK && near(st.rps.value, 0.0666667),
	    "prefork page: ReqPerSec .0666667 (no leading zero)");
	st_ok(st.idle.line == 29, "prefork page: IdleWorkers on line 29 (got %zu)", st.idle.line);
	free(buf);

	buf = st_fixture("apache-dup.txt", &len);
	st_ok(sensor_apache_parse(buf, len, &st) == 0 && st.idle.value == 74 && st.busy.value == 1,
	    "event page printing the workers twice: the first of each wins");
	st_ok(st.rps.state == APACHE_OK && near(st.rps.value, 6.7e-05), "ReqPerSec 6.7e-05");
	free(buf);

	buf = st_fixture("apache-status.html", &len);
	char why[200];
	int rc = sensor_apache_parse(buf, len, &st);
	st_ok(rc < 0 && st.idle.state == APACHE_ABSENT,
	    "the HTML page (no ?auto) has no IdleWorkers: %s", sensor_apache_why(&st, why, sizeof(why)));
	free(buf);
}

static void
test_keys_exact(void)
{
	struct apache_status st;
	int rc;

	rc = parse("IdleWorkersX: 5\nXIdleWorkers: 6\nidleworkers: 7\nIdleWorkers : 8\n"
	    " IdleWorkers: 9\n", &st);
	st_ok(rc < 0 && st.idle.state == APACHE_ABSENT && st.pairs == 5,
	    "keys match exactly: no prefix, suffix, case or blank variants");
	rc = parse("Uptime_since_flush: 1\nIdleWorkers: 2\n", &st);
	st_ok(rc == 0 && st.idle.value == 2, "a longer key beside the right one");
	rc = parse("host.example\nno colon here\n:\n: 4\nIdleWorkers: 2\n", &st);
	st_ok(rc == 0 && st.idle.value == 2 && st.pairs == 1,
	    "lines without a key or colon are ignored");
}

static void
test_values(void)
{
	struct apache_status st;
	char why[200];
	int rc;

	rc = parse("IdleWorkers:\t 3 \r\n", &st);
	st_ok(rc == 0 && st.idle.value == 3, "blanks and CR around the value");
	rc = parse("IdleWorkers: abc\n", &st);
	st_ok(rc < 0 && st.idle.state == APACHE_BAD, "a word is not a number: %s",
	    sensor_apache_why(&st, why, sizeof(why)));
	rc = parse("IdleWorkers: 3abc\n", &st);
	st_ok(rc < 0 && st.idle.state == APACHE_BAD, "trailing garbage makes the value bad");
	rc = parse("IdleWorkers:\n", &st);
	st_ok(rc < 0 && st.idle.state == APACHE_BAD, "an empty value");
	rc = parse("IdleWorkers: -1\n", &st);
	st_ok(rc < 0, "a negative count is refused: %s", sensor_apache_why(&st, why, sizeof(why)));
	rc = parse("IdleWorkers: 1e\nIdleWorkers: 2\n", &st);
	st_ok(rc < 0 && st.idle.state == APACHE_BAD,
	    "a bad first IdleWorkers is not replaced by a later one");
	rc = parse("IdleWorkers: 12345678901234567890123456789012345678901234567890123456789012345\n",
	    &st);
	st_ok(rc < 0, "an absurdly long number is bad");
	rc = parse("ReqPerSec: NaN\nBusyWorkers: x\nIdleWorkers: 4\n", &st);
	st_ok(rc == 0 && st.idle.value == 4 && st.rps.state == APACHE_BAD &&
	    st.busy.state == APACHE_BAD, "one bad value does not abort the parse (go.d.plugin#151)");
	rc = parse("IdleWorkers: 1e999\n", &st);
	st_ok(rc < 0, "an exponent past double is bad");
	rc = parse("IdleWorkers: .\n", &st);
	st_ok(rc < 0, "a lone dot is bad");
}

static void
test_cut_and_binary(void)
{
	struct apache_status st;
	char why[200];
	static const char nul[] = "\0\0garbage\0\nIdleWorkers: 5\n\xff\xfe: 1\n";
	int rc;

	rc = parse("BusyWorkers: 1\nIdleWorkers: 1", &st);
	st_ok(rc < 0 && st.unterminated, "a last line without its newline is not trusted: %s",
	    sensor_apache_why(&st, why, sizeof(why)));
	rc = parse("", &st);
	st_ok(rc < 0 && st.lines == 0, "an empty body");
	rc = sensor_apache_parse(nul, sizeof(nul) - 1, &st);
	st_ok(rc == 0 && st.idle.value == 5, "NUL and high bytes in other lines do not stop the parse");
	rc = parse("<html><body>It works!</body></html>\n", &st);
	st_ok(rc < 0 && st.pairs == 0, "HTML: %s", sensor_apache_why(&st, why, sizeof(why)));
}

int
main(void)
{
	test_real_pages();
	test_keys_exact();
	test_values();
	test_cut_and_binary();
	return st_done();
}
