/* SPDX-License-Identifier: ISC */
/* The claimed job queue on disk in state_dir, and running it so that a restart resumes
 * it and a finished job never runs again. No network here; no logging (see `bad`). */
#ifndef VMM_SENSOR_QUEUE_STORE_H
#define VMM_SENSOR_QUEUE_STORE_H

#include <stddef.h>

#include "sensors/queue_parse.h"

/*
 * Files in the directory:
 *   queue          the claimed page, behind a header line "vmmanage-queue 1 ID SOURCE";
 *                  written to queue.tmp, fsynced and renamed, so it is whole or absent
 *   queue.results  one line per finished job, "ID LINE ok|failed TEXT", appended and
 *                  fdatasynced before the next job starts: a job is done when its line
 *                  is there. ID tells queues apart, so results of an earlier queue never
 *                  mark jobs of a later one.
 */
#define QUEUE_FILE "queue"
#define QUEUE_RESULTS_FILE "queue.results"

struct queue_store;

/* Called once per malformed line of a queue when it is loaded or saved. */
typedef void (*queue_bad_fn)(void *ctx, size_t line, const char *text, size_t len,
    const char *why);

/* What running one job gave. */
enum queue_run_status {
	QUEUE_RUN_OK = 0,     /* record `text` as the result */
	QUEUE_RUN_FAILED,     /* the job itself failed (error, time limit): record `text` */
	QUEUE_RUN_ERROR       /* nothing ran (the command cannot start): record nothing, stop */
};
typedef enum queue_run_status (*queue_run_fn)(void *ctx, const struct queue_job *job,
    char *text, size_t len);

/* Open the store in dir (created, mode 0700, when missing), loading a stored queue and
 * its results. NULL with err. */
struct queue_store *queue_store_open(const char *dir, queue_bad_fn bad, void *ctx, char *err,
    size_t errlen);
void queue_store_close(struct queue_store *qs);

/* 1 when a queue is stored. */
int queue_store_has(const struct queue_store *qs);
const char *queue_store_id(const struct queue_store *qs);

/* Store a claimed page (replacing nothing: -1 when a queue is stored already). Durable
 * when it returns 0. */
int queue_store_save(struct queue_store *qs, const char *page, size_t len, const char *source,
    char *err, size_t errlen);

/* Jobs not yet finished, and of those the ones with the grade (NULL: 0). */
void queue_store_remaining(const struct queue_store *qs, const char *grade, size_t grade_len,
    size_t *left, size_t *big);

/* Run the unfinished jobs in page order, recording each result before the next starts.
 * Stops starting jobs once budget_s has passed (0: no limit). Returns 1 when every job
 * is finished, 0 when jobs are left, -1 with err (a result could not be recorded, or
 * run said QUEUE_RUN_ERROR). *ran counts the jobs run. */
int queue_store_process(struct queue_store *qs, queue_run_fn run, void *ctx, double budget_s,
    size_t *ran, char *err, size_t errlen);

/* Forget a finished queue (its results stay). -1 with err when jobs are left. */
int queue_store_remove(struct queue_store *qs, char *err, size_t errlen);

/* Escape a result for its one line: \ as \\, newline as \n, other control bytes as \xHH. */
void queue_escape(const char *s, size_t n, char *out, size_t outlen);

#endif
