/* SPDX-License-Identifier: ISC */
/* A background thread that runs one blocking job at a time (a sensor's sample, an
 * endpoint's move) and hands the result back to the event loop. */
#ifndef VMM_WORKER_H
#define VMM_WORKER_H

struct ev_loop;
struct worker;

typedef void (*worker_job)(void *arg);
/* Runs on the loop thread once the job has finished. */
typedef void (*worker_done)(void *arg);

/* Call with signals blocked: the thread inherits the mask (signals belong to the loop). */
struct worker *worker_new(struct ev_loop *loop, const char *name);
/* -1 while a job is running: one at a time. */
int worker_submit(struct worker *w, worker_job job, worker_done done, void *arg);
int worker_busy(const struct worker *w);
/* Asks the running job to give up: worker_cancel_fd becomes readable in its thread. A
 * job that cannot be asked (a library call under its own timeout) runs on. Only for a
 * stop: the worker takes no job after it. */
void worker_cancel(struct worker *w);
/* In a job: an fd to poll beside its own, readable once the job is to give up; -1
 * outside a worker's thread. */
int worker_cancel_fd(void);
/* Waits for a running job to end. */
void worker_free(struct worker *w);

#endif
