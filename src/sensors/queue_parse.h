/* SPDX-License-Identifier: ISC */
/* The thesis's job page (Listing 3.11): `grade <g> = <expression>` lines. Pure, no I/O. */
#ifndef VMM_SENSOR_QUEUE_PARSE_H
#define VMM_SENSOR_QUEUE_PARSE_H

#include <stddef.h>

#define QUEUE_MAX_GRADE 32
#define QUEUE_MAX_EXPR 1024

struct queue_job {
	size_t line;        /* 1-based line of the page: the job's name within its queue */
	const char *grade;  /* points into the page, not NUL-terminated */
	size_t grade_len;
	const char *expr;
	size_t expr_len;
};

enum queue_line_kind {
	QUEUE_BLANK = 0,    /* empty, white space only, or a # comment */
	QUEUE_JOB,
	QUEUE_BAD           /* malformed: skipped and logged, never executed */
};

/* The next line of buf from *pos (without its newline); 0 at the end. A last line
 * without a newline counts. */
int queue_next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n);

/* One line. On QUEUE_BAD *why says what is wrong (a static string). The expression
 * must be printable ASCII: it is handed to job_command on stdin, and a byte that a
 * calculator could take for a command or a line end does not belong in it. */
enum queue_line_kind queue_parse_line(const char *s, size_t n, struct queue_job *job,
    const char **why);

/* "grade a" or "a": the grade bigjobs names; -1 when it is not one grade word. */
int queue_bigjobs_grade(const char *bigjobs, const char **grade, size_t *len);

struct queue_count {
	size_t jobs;        /* well-formed job lines */
	size_t big;         /* of which with the grade asked for */
	size_t bad;         /* malformed lines */
};

/* Count the jobs of a page (grade may be NULL: then big stays 0). */
void queue_count_page(const char *buf, size_t len, const char *grade, size_t grade_len,
    struct queue_count *out);

#endif
