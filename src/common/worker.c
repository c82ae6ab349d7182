/* SPDX-License-Identifier: ISC */
/* Blocking work off the event loop. libmysqlclient, libcurl's easy API and libvirt's
 * migration call all block; in a thread they cannot stall the control socket or the
 * timers. The loop hears of a finished job through an eventfd. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/worker.h"

struct worker {
	struct ev_loop *loop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd;
	int cancel_fd; /* readable once worker_cancel asked the running job to give up */
	int busy;      /* submitted and not yet handed back */
	int queued;    /* waiting for the thread to pick it up */
	int finished;  /* done, waiting for the loop */
	int quit;
	worker_job job;
	worker_done done;
	void *arg;
	char name[32];
};

/* The worker whose thread this is, for worker_cancel_fd. */
static __thread struct worker *worker_self;

static void *
worker_main(void *p)
{
	struct worker *w = p;

	worker_self = w;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queued && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		w->queued = 0;
		pthread_mutex_unlock(&w->lock);
		w->job(w->arg);
		pthread_mutex_lock(&w->lock);
		w->finished = 1;
		uint64_t one = 1;
		if (write(w->efd, &one, sizeof(one)) < 0)
			log_warn("%s: eventfd", w->name);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* On the loop thread: hand the finished job's result to its owner. */
static void
worker_ready(int fd, int revents, void *arg)
{
	struct worker *w = arg;
	uint64_t n;

	(void)revents;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd", w->name);
	pthread_mutex_lock(&w->lock);
	int finished = w->finished;
	worker_done done = w->done;
	void *jarg = w->arg;
	w->finished = 0;
	pthread_mutex_unlock(&w->lock);
	if (!finished)
		return;
	w->busy = 0;
	done(jarg);
}

struct worker *
worker_new(struct ev_loop *loop, const char *name)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->loop = loop;
	snprintf(w->name, sizeof(w->name), "%s", name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0 || w->cancel_fd < 0 ||
	    ev_fd_add(w->loop, w->efd, POLLIN, worker_ready, w) < 0 ||
	    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		if (w->efd >= 0) {
			ev_fd_del(w->loop, w->efd);
			close(w->efd);
		}
		if (w->cancel_fd >= 0)
			close(w->cancel_fd);
		free(w);
		return NULL;
	}
	return w;
}

int
worker_submit(struct worker *w, worker_job job, worker_done done, void *arg)
{
	if (w->busy)
		return -1;
	pthread_mutex_lock(&w->lock);
	w->job = job;
	w->done = done;
	w->arg = arg;
	w->queued = 1;
	w->busy = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int
worker_busy(const struct worker *w)
{
	return w->busy;
}

void
worker_cancel(struct worker *w)
{
	uint64_t one = 1;

	if (w != NULL && w->busy && write(w->cancel_fd, &one, sizeof(one)) < 0)
		log_warn("%s: eventfd", w->name);
}

int
worker_cancel_fd(void)
{
	return worker_self != NULL ? worker_self->cancel_fd : -1;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	ev_fd_del(w->loop, w->efd);
	close(w->efd);
	close(w->cancel_fd);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
