/* SPDX-License-Identifier: ISC */
/* A finite number that takes the whole of a span of text (spaces around allowed), for
 * the parsers of outside input that work on spans, not NUL-terminated strings. */
#ifndef VMM_SPANNUM_H
#define VMM_SPANNUM_H

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 0 with *out set, or -1: empty, too long, not a number, out of range, not finite. */
static inline int
span_number(const char *s, size_t len, double *out)
{
	char buf[64], *end;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return *end == '\0' && errno != ERANGE && isfinite(*out) ? 0 : -1;
}

#endif
