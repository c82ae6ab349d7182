/* SPDX-License-Identifier: ISC */
/* vmmanage-report: the agent's cycle block (thesis Listings 4.2 and 4.3). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/parse.h"
#include "core/spannum.h"

static int
starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static int
block_time(const char *s, size_t len, double *out)
{
	char buf[96];
	struct tm tm;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(buf, "%a %b %d %H:%M:%S", &tm);
	if (rest == NULL)
		return -1;
	/* the zone's name says nothing strptime can use: local time, then the year */
	const char *year = strrchr(buf, ' ');
	if (year == NULL || !is_year(year + 1, strlen(year + 1)))
		return -1;
	tm.tm_year = atoi(year + 1) - 1900;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)t;
	return 0;
}

int
parse_block(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	const char *colon = memchr(line, ':', len);
	double d;

	if (colon == NULL || colon == line)
		return -1;
	size_t kl = (size_t)(colon - line);
	const char *v = colon + 1;
	size_t vl = len - kl - 1;
	while (vl > 0 && isspace((unsigned char)*v))
		v++, vl--;
	for (size_t i = 0; i < kl; i++)
		if (!isalpha((unsigned char)line[i]) && line[i] != ' ' && line[i] != '_')
			return -1;
	struct report_rec *b = &p->block;
	if (kl == 4 && memcmp(line, "time", 4) == 0)
		return p->in_block && block_time(v, vl, &b->time) == 0 ? 0 : -1;
	if (kl == 9 && memcmp(line, "threshold", 9) == 0)
		return p->in_block && span_number(v, vl, &b->threshold) == 0 ? 0 : -1;
	if (kl == 12 && memcmp(line, "lowthreshold", 12) == 0)
		return p->in_block && span_number(v, vl, &b->lowthreshold) == 0 ? 0 : -1;
	if ((kl == 5 && memcmp(line, "count", 5) == 0) || (kl == 8 && memcmp(line, "lowcount", 8) == 0) ||
	    (kl == 7 && memcmp(line, "resting", 7) == 0))
		return p->in_block ? 0 : -1;
	/* "slow rate:      76": a new block, its label the sensor's */
	rec_clear(b);
	p->in_block = 1;
	b->kind = REC_CYCLE;
	snprintf(b->vm, sizeof(b->vm), "%s", p->last_vm);
	if (span_number(v, vl, &d) == 0)
		b->value = d;
	else if (!starts(v, vl, "unknown"))
		return p->in_block = 0, -1;
	(void)out;
	return 0;
}

int
block_end(struct report_parser *p, struct report_rec *out)
{
	int had = p->in_block && p->block.time > 0;

	p->in_block = 0;
	if (!had)
		return -1;
	*out = p->block;
	p->last_format = FMT_BLOCK;
	return 1;
}
