/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/sensors/queue_parse.c */
/* libFuzzer target: the job page parser must take any bytes, and whatever it calls a
 * job must be fit to hand to job_command (printable ASCII, one grade word). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/queue_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_job(const struct queue_job *j)
{
	if (j->grade_len == 0 || j->grade_len > QUEUE_MAX_GRADE || j->expr_len == 0 ||
	    j->expr_len > QUEUE_MAX_EXPR)
		abort();
	for (size_t i = 0; i < j->expr_len; i++)
		if ((unsigned char)j->expr[i] < 0x20 || (unsigned char)j->expr[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t pos = 0, n, jobs = 0, bad = 0;
	const char *s, *why, *g;
	struct queue_job job;
	struct queue_count c;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	while (queue_next_line(buf, size, &pos, &s, &n)) {
		enum queue_line_kind k = queue_parse_line(s, n, &job, &why);
		if (k == QUEUE_JOB) {
			check_job(&job);
			jobs++;
		} else if (k == QUEUE_BAD)
			bad += why != NULL;
	}
	queue_count_page(buf, size, "a", 1, &c);
	if (c.jobs != jobs || c.bad != bad || c.big > c.jobs)
		abort();
	/* bigjobs comes from the config: a NUL-terminated copy of the input */
	char *z = malloc(size + 1);
	if (z != NULL) {
		memcpy(z, data, size);
		z[size] = '\0';
		if (queue_bigjobs_grade(z, &g, &n) == 0 && (n == 0 || n > QUEUE_MAX_GRADE))
			abort();
		free(z);
	}
	free(buf);
	return 0;
}
