/* SPDX-License-Identifier: ISC */
/* alert_command's queue and thread (see alertq.h). */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alertq.h"
#include "common/log.h"
#include "common/worker.h"

struct alertq_call {
	char *argv[ALERTQ_ARGV];     /* its own copies, NULL-terminated */
	double timeout;
};

struct alertq {
	struct worker *w;
	alertq_run_fn run;
	alertq_done_fn done;
	void *arg;
	struct alertq_call queue[ALERTQ_QUEUE];
	size_t head, n;
	uint64_t dropped;
	struct alertq_call job;      /* the call running */
	int ok;
	char err[256];
};

static void
alertq_call_free(struct alertq_call *c)
{
	for (size_t i = 0; c->argv[i] != NULL; i++)
		free(c->argv[i]);
	memset(c, 0, sizeof(*c));
}

struct alertq *
alertq_new(struct ev_loop *loop, alertq_run_fn run, alertq_done_fn done, void *arg)
{
	struct alertq *q = calloc(1, sizeof(*q));
	sigset_t all, old;

	if (q == NULL)
		return NULL;
	q->run = run;
	q->done = done;
	q->arg = arg;
	/* signals belong to the loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	q->w = worker_new(loop, "alert");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (q->w == NULL) {
		free(q);
		return NULL;
	}
	return q;
}

/* The thread: the command, to its end or its deadline. */
static void
alertq_job(void *arg)
{
	struct alertq *q = arg;

	q->err[0] = '\0';
	q->ok = q->run((const char *const *)q->job.argv, q->job.timeout, q->err, sizeof(q->err)) == 0;
}

static void alertq_next(struct alertq *q);

static void
alertq_job_done(void *arg)
{
	struct alertq *q = arg;

	if (q->done != NULL)
		q->done(q->arg, q->ok, q->job.argv[0], q->err);
	alertq_call_free(&q->job);
	alertq_next(q);
}

static void
alertq_next(struct alertq *q)
{
	while (q->n > 0 && !worker_busy(q->w)) {
		q->job = q->queue[q->head];
		memset(&q->queue[q->head], 0, sizeof(q->queue[q->head]));
		q->head = (q->head + 1) % ALERTQ_QUEUE;
		q->n--;
		if (worker_submit(q->w, alertq_job, alertq_job_done, q) < 0) {
			log_warnx("alert_command: cannot start it");
			alertq_call_free(&q->job);
		}
	}
}

int
alertq_push(struct alertq *q, const char *const *command, size_t ncommand, double timeout,
    const char *kind, int firing, const char *host, const char *msg)
{
	const char *tail[] = { kind, firing ? "firing" : "resolved", host, msg };
	struct alertq_call c = { .timeout = timeout };
	size_t n = 0;

	if (ncommand == 0)
		return 0;
	for (size_t i = 0; i < ncommand && n < ALERTQ_ARGV - 5; i++)
		if ((c.argv[n++] = strdup(command[i])) == NULL)
			goto oom;
	for (size_t i = 0; i < 4; i++)
		if ((c.argv[n++] = strdup(tail[i])) == NULL)
			goto oom;
	if (q->n == ALERTQ_QUEUE) {
		alertq_call_free(&q->queue[q->head]);
		q->head = (q->head + 1) % ALERTQ_QUEUE;
		q->n--;
		q->dropped++;
		log_warnx("alert_command: %" PRIu64 " calls dropped, the command is slower than the alerts",
		    q->dropped);
	}
	q->queue[(q->head + q->n++) % ALERTQ_QUEUE] = c;
	alertq_next(q);
	return 0;
oom:
	alertq_call_free(&c);
	log_warnx("alert_command: out of memory, a call is lost");
	return -1;
}

uint64_t
alertq_dropped(const struct alertq *q)
{
	return q != NULL ? q->dropped : 0;
}

void
alertq_free(struct alertq *q)
{
	if (q == NULL)
		return;
	worker_free(q->w);
	alertq_call_free(&q->job);
	for (size_t i = 0; i < ALERTQ_QUEUE; i++)
		alertq_call_free(&q->queue[i]);
	free(q);
}
