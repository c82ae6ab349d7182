/* SPDX-License-Identifier: ISC */
/* logship's spool: numbered segment files of records "SEQ EPOCH LEN\nPAYLOAD\n" in
 * state_dir, trimmed by whole segments up to the collector's ack, bounded by dropping the
 * oldest segment (counted, and said in a message of its own). Internal to logship. */
#ifndef VMM_LOGSHIP_SPOOL_H
#define VMM_LOGSHIP_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct lspool;

struct lspool_rec {
	uint64_t seq;
	int64_t epoch;
	size_t len;        /* payload length; the payload is in the caller's buffer */
};

/* Where the sender is: the next seq it wants, and a hint where that record is. */
struct lspool_cursor {
	uint64_t seq;
	uint64_t seg;      /* first seq of the segment of the hint, 0 = none */
	uint64_t off;
};

struct lspool *lspool_open(const char *dir, uint64_t max_bytes, int sync, char *err, size_t errlen);
/* Appends; if the spool would pass max_bytes, the oldest segments go first and a notice
 * "logship: spool full..." is appended before msg. 0 or -1 (errno). */
int lspool_append(struct lspool *sp, time_t t, const char *msg, size_t len);
/* Everything up to seq is delivered: drop the segments wholly at or below it. */
void lspool_ack(struct lspool *sp, uint64_t seq);
/* The next record at or after cur->seq: 1 and the payload in buf (cap >= its len + 1),
 * 0 when there is none yet, -1 on an I/O error. Advances cur. */
int lspool_read(struct lspool *sp, struct lspool_cursor *cur, struct lspool_rec *rec, char *buf,
    size_t cap);
uint64_t lspool_next_seq(const struct lspool *sp);
uint64_t lspool_acked(const struct lspool *sp);
uint64_t lspool_pending(const struct lspool *sp);
uint64_t lspool_bytes(const struct lspool *sp);
uint64_t lspool_dropped(const struct lspool *sp);
const char *lspool_boot(const struct lspool *sp);
void lspool_close(struct lspool *sp);

#endif
