/* SPDX-License-Identifier: ISC */
/* What vmmanage-report's line parsers (parse_*.c) share: the helpers and each format's entry. */
#ifndef VMM_REPORT_PARSE_H
#define VMM_REPORT_PARSE_H

#include <stddef.h>

#include "report/report.h"

enum csv_field { CSV_TIME = 0, CSV_MODE, CSV_VM, CSV_EVENT, CSV_ACTION, CSV_FROM, CSV_TO,
	CSV_VALUE, CSV_COUNT, CSV_THRESHOLD, CSV_LOWCOUNT, CSV_LOWTHRESHOLD, CSV_DETAIL, CSV__N };

/* parse_common.c: the shared helpers */
void rec_clear(struct report_rec *r);
void copy_name(char *dst, size_t cap, const char *src, size_t len);
size_t token_len(const char *s, size_t len);
int is_year(const char *s, size_t n);

/* One line of each format: 1, a record in *out; 0, nothing to count; -1, malformed. */
int parse_thesis(struct report_parser *p, const char *line, size_t len, struct report_rec *out);
int parse_json(struct report_parser *p, const char *line, size_t len, struct report_rec *out);
int csv_header(struct report_parser *p, const char *line, size_t len);
int parse_csv(struct report_parser *p, const char *line, size_t len, struct report_rec *out);
int parse_block(struct report_parser *p, const char *line, size_t len, struct report_rec *out);
int block_end(struct report_parser *p, struct report_rec *out);

#endif
