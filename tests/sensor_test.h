/* SPDX-License-Identifier: ISC */
/* A tiny TAP harness for the sensor unit tests. */
#ifndef VMM_SENSOR_TEST_H
#define VMM_SENSOR_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_tests, st_failures;

static inline void __attribute__((format(printf, 2, 3)))
st_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++st_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		st_failures++;
}

static inline int
st_done(void)
{
	printf("1..%d\n", st_tests);
	return st_failures ? 1 : 0;
}

#ifdef VMM_TEST_DATA
/* A fixture from tests/data, NUL-terminated; exits the test when it is missing. */
static inline char *
st_fixture(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", VMM_TEST_DATA, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(99);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}
#endif

#endif
