/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/report/parse.c src/report/parse_common.c src/report/parse_thesis.c src/report/parse_json.c src/report/parse_csv.c src/report/parse_block.c src/core/journal.c src/core/cyclelog.c src/common/strutil.c */
/* libFuzzer target: vmmanage-report's line parser (thesis/collector lines, the collector's
 * and the agent's JSON, the simulator's CSV, cycle blocks) must take any bytes, line by
 * line with its state carried over, and return only bounded, terminated, finite fields. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
terminated(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

static void
check(const struct report_rec *r)
{
	terminated(r->vm, sizeof(r->vm));
	terminated(r->target, sizeof(r->target));
	terminated(r->action, sizeof(r->action));
	if ((unsigned)r->kind > REC_OTHER || !isfinite(r->time))
		abort();
	if (!isnan(r->duration) && !(r->duration >= 0 && isfinite(r->duration)))
		abort();
	/* names go into tables and gnuplot scripts: no quotes, backslashes or control bytes */
	for (const char *p = r->vm; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_parser p;
	struct report_rec r;
	char *buf = malloc(size ? size : 1);
	size_t start = 0;

	memcpy(buf, data, size);
	report_parser_init(&p);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && buf[i] != '\n')
			continue;
		if (report_parse_line(&p, buf + start, i - start, &r) == 1)
			check(&r);
		start = i + 1;
	}
	memset(&r, 0, sizeof(r));
	report_parse_message("vm", buf, size, &r);
	terminated(r.target, sizeof(r.target));
	free(buf);
	return 0;
}
