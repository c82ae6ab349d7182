/* SPDX-License-Identifier: ISC */
/* A tiny TAP-like harness for the core's unit tests: ok N - what; exit 1 on any failure. */
#ifndef VMM_TAP_H
#define VMM_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define TAP_STR(got, want, what) \
	tap_ok(strcmp((got), (want)) == 0, __FILE__, __LINE__, "%s: got '%s', want '%s'", what, got, want)
#define TAP_CONTAINS(got, part, what) \
	tap_ok(strstr((got), (part)) != NULL, __FILE__, __LINE__, "%s: '%s' contains '%s'", what, got, part)

static void tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond) {
		printf(" (%s:%d)", file, line);
		tap_failed++;
	}
	printf("\n");
}

static int
tap_done(void)
{
	printf("# %d checks, %d failed\n", tap_n, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
