/* SPDX-License-Identifier: ISC */
/* The thesis's job page (Listing 3.11): `grade <g> = <expression>` lines. Pure, no I/O. */
#include "config.h"

#include <string.h>

#include "sensors/queue_parse.h"

static int
queue_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
queue_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.' || c == '+';
}

int
queue_next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
	if (*pos >= len)
		return 0;
	const char *s = buf + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	*line = s;
	*n = nl ? (size_t)(nl - s) : len - *pos;
	*pos += *n + (nl ? 1 : 0);
	return 1;
}

/* Skip blanks from *i; how many were skipped. */
static size_t
queue_skip(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && queue_blank(s[*i]))
		(*i)++;
	return *i - start;
}

static const char *
queue_check_expr(const char *s, size_t n)
{
	if (n == 0)
		return "no expression after `=`";
	if (n > QUEUE_MAX_EXPR)
		return "expression longer than 1024 bytes";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return "expression has a control or non-ASCII byte";
	return NULL;
}

enum queue_line_kind
queue_parse_line(const char *s, size_t n, struct queue_job *job, const char **why)
{
	size_t i = 0, g;

	while (n > 0 && queue_blank(s[n - 1]))
		n--;
	queue_skip(s, n, &i);
	if (i == n || s[i] == '#')
		return QUEUE_BLANK;
	if (n - i < 5 || memcmp(s + i, "grade", 5) != 0) {
		*why = "does not start with `grade`";
		return QUEUE_BAD;
	}
	i += 5;
	if (queue_skip(s, n, &i) == 0) {
		*why = "no blank after `grade`";
		return QUEUE_BAD;
	}
	for (g = i; i < n && queue_word_char(s[i]); i++)
		;
	if (i == g || i - g > QUEUE_MAX_GRADE || (i < n && !queue_blank(s[i]) && s[i] != '=')) {
		*why = "the grade is not one word of letters, digits, _ - . +";
		return QUEUE_BAD;
	}
	job->grade = s + g;
	job->grade_len = i - g;
	queue_skip(s, n, &i);
	if (i == n || s[i] != '=') {
		*why = "no `=` after the grade";
		return QUEUE_BAD;
	}
	i++;
	queue_skip(s, n, &i);
	job->expr = s + i;
	job->expr_len = n - i;
	return (*why = queue_check_expr(job->expr, job->expr_len)) ? QUEUE_BAD : QUEUE_JOB;
}

int
queue_bigjobs_grade(const char *bigjobs, const char **grade, size_t *len)
{
	size_t i = 0, n = strlen(bigjobs), g;

	while (n > 0 && queue_blank(bigjobs[n - 1]))
		n--;
	queue_skip(bigjobs, n, &i);
	if (n - i > 5 && memcmp(bigjobs + i, "grade", 5) == 0 && queue_blank(bigjobs[i + 5])) {
		i += 5;
		queue_skip(bigjobs, n, &i);
	}
	for (g = i; i < n && queue_word_char(bigjobs[i]); i++)
		;
	if (i == g || i != n || i - g > QUEUE_MAX_GRADE)
		return -1;
	*grade = bigjobs + g;
	*len = i - g;
	return 0;
}

void
queue_count_page(const char *buf, size_t len, const char *grade, size_t grade_len,
    struct queue_count *out)
{
	size_t pos = 0, n, line = 0;
	const char *s, *why;
	struct queue_job job;

	memset(out, 0, sizeof(*out));
	while (queue_next_line(buf, len, &pos, &s, &n)) {
		job.line = ++line;
		switch (queue_parse_line(s, n, &job, &why)) {
		case QUEUE_JOB:
			out->jobs++;
			if (grade != NULL && job.grade_len == grade_len &&
			    memcmp(job.grade, grade, grade_len) == 0)
				out->big++;
			break;
		case QUEUE_BAD:
			out->bad++;
			break;
		case QUEUE_BLANK:
			break;
		}
	}
}
