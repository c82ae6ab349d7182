/* SPDX-License-Identifier: ISC */
/* vmmanage-report: the thesis's and the collector's line, EPOCH [DATE] host: message. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report/parse.h"
#include "core/spannum.h"

static int
is_clock(const char *s, size_t n)
{
	return n == 8 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':' &&
	    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) && s[5] == ':' &&
	    isdigit((unsigned char)s[6]) && isdigit((unsigned char)s[7]);
}

/* Past date(1)'s "Wed May  6 14:44:23 CEST 2009 ": where host starts, or p when there is
 * no date. */
static const char *
skip_date(const char *p, const char *end)
{
	const char *q = p;
	int seen_clock = 0;

	for (int tok = 0; tok < 8 && q < end; tok++) {
		while (q < end && *q == ' ')
			q++;
		size_t n = token_len(q, (size_t)(end - q));
		if (n == 0)
			break;
		if (is_clock(q, n))
			seen_clock = 1;
		else if (seen_clock && is_year(q, n))
			return q + n;
		q += n;
	}
	return p;
}

int
parse_thesis(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	const char *end = line + len, *q = line;
	double t;

	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (span_number(line, (size_t)(q - line), &t) < 0)
		return -1;
	q = skip_date(q, end);
	while (q < end && *q == ' ')
		q++;
	const char *colon = memchr(q, ':', (size_t)(end - q));
	if (colon == NULL || colon == q || colon + 1 >= end || colon[1] != ' ' ||
	    memchr(q, ' ', (size_t)(colon - q)) != NULL)
		return -1; /* no "host: " (a truncated line) */
	rec_clear(out);
	out->time = t;
	copy_name(out->vm, sizeof(out->vm), q, (size_t)(colon - q));
	snprintf(p->last_vm, sizeof(p->last_vm), "%s", out->vm);
	report_parse_message(out->vm, colon + 2, (size_t)(end - colon - 2), out);
	p->last_format = FMT_THESIS;
	return 1;
}
