/* SPDX-License-Identifier: ISC */
/* A small single-threaded event loop in the spirit of Redis's ae.c: poll() over a flat
 * fd table and an unsorted timer list (an agent has a handful of each), all of it in a
 * struct ev_loop. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/ev.h"

struct ev_fd {
	int fd;
	short events;
	ev_fd_cb cb;
	void *arg;
};

struct ev_timer {
	double when;
	unsigned pass;        /* the timer pass it last ran in, or was added during */
	ev_timer_cb cb;
	void *arg;
	int dead;
	struct ev_timer *next;
};

struct ev_loop {
	struct ev_fd *fds;
	size_t nfds, capfds;
	struct ev_timer *timers;
	unsigned pass;        /* counts the timer passes */
	int stopping;
	double (*wait_hook)(void *);
	void *wait_hook_arg;
};

double
ev_now(void)
{
	return vmm_mono_now();
}

struct ev_loop *
ev_loop_new(void)
{
	return calloc(1, sizeof(struct ev_loop));
}

static struct ev_fd *
ev_fd_find(struct ev_loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd == fd)
			return &loop->fds[i];
	return NULL;
}

int
ev_fd_add(struct ev_loop *loop, int fd, short events, ev_fd_cb cb, void *arg)
{
	if (fd < 0 || ev_fd_find(loop, fd) != NULL)
		return -1;
	if (loop->nfds == loop->capfds) {
		size_t cap = loop->capfds ? loop->capfds * 2 : 16;
		struct ev_fd *n = realloc(loop->fds, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		loop->fds = n;
		loop->capfds = cap;
	}
	loop->fds[loop->nfds++] = (struct ev_fd){ fd, events, cb, arg };
	return 0;
}

int
ev_fd_mod(struct ev_loop *loop, int fd, short events)
{
	struct ev_fd *e = ev_fd_find(loop, fd);

	if (e == NULL)
		return -1;
	e->events = events;
	return 0;
}

/* Deleting marks the slot (fd = -1); ev_run compacts between polls, so a callback may
 * delete any fd, its own included. */
void
ev_fd_del(struct ev_loop *loop, int fd)
{
	struct ev_fd *e = ev_fd_find(loop, fd);

	if (e != NULL)
		e->fd = -1;
}

static void
ev_fd_compact(struct ev_loop *loop)
{
	size_t j = 0;

	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd >= 0)
			loop->fds[j++] = loop->fds[i];
	loop->nfds = j;
}

struct ev_timer *
ev_timer_add(struct ev_loop *loop, double delay, ev_timer_cb cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->when = ev_now() + (delay > 0 ? delay : 0);
	t->pass = loop->pass;
	t->cb = cb;
	t->arg = arg;
	t->next = loop->timers;
	loop->timers = t;
	return t;
}

void
ev_timer_del(struct ev_timer *t)
{
	if (t != NULL)
		t->dead = 1;
}

void
ev_timer_set(struct ev_timer *t, double delay)
{
	if (t != NULL && !t->dead)
		t->when = ev_now() + (delay > 0 ? delay : 0);
}

void
ev_set_wait_hook(struct ev_loop *loop, double (*hook)(void *), void *arg)
{
	loop->wait_hook = hook;
	loop->wait_hook_arg = arg;
}

static void
ev_timer_reap(struct ev_loop *loop)
{
	struct ev_timer **pp = &loop->timers;

	while (*pp != NULL) {
		struct ev_timer *t = *pp;
		if (t->dead) {
			*pp = t->next;
			free(t);
		} else
			pp = &t->next;
	}
}

/* Milliseconds until the earliest timer or wait-hook deadline; -1 for none. */
static int
ev_next_wait(struct ev_loop *loop)
{
	double now = ev_now(), wait = -1;

	for (struct ev_timer *t = loop->timers; t != NULL; t = t->next)
		if (!t->dead && (wait < 0 || t->when - now < wait))
			wait = t->when - now > 0 ? t->when - now : 0;
	if (loop->wait_hook != NULL) {
		double h = loop->wait_hook(loop->wait_hook_arg);
		if (h >= 0 && (wait < 0 || h < wait))
			wait = h;
	}
	if (wait < 0)
		return -1;
	if (wait > 3600)
		wait = 3600;
	return (int)ceil(wait * 1000);
}

/* The earliest due timer not yet run in this pass (timers added during the pass wait for
 * the next one, so a timer re-armed with no delay cannot starve the fds). */
static struct ev_timer *
ev_timer_due(struct ev_loop *loop, double now)
{
	struct ev_timer *first = NULL;

	for (struct ev_timer *t = loop->timers; t != NULL; t = t->next)
		if (!t->dead && t->pass != loop->pass && t->when <= now &&
		    (first == NULL || t->when < first->when))
			first = t;
	return first;
}

/* Due timers run in the order of their deadlines. */
static void
ev_run_timers(struct ev_loop *loop)
{
	double now = ev_now();
	struct ev_timer *t;

	loop->pass++;
	while ((t = ev_timer_due(loop, now)) != NULL) {
		t->pass = loop->pass;
		double next = t->cb(t->arg);
		if (t->dead)
			continue;
		if (next < 0)
			t->dead = 1;
		else
			t->when = ev_now() + next;
	}
	ev_timer_reap(loop);
}

static int
ev_poll_once(struct ev_loop *loop)
{
	size_t n = loop->nfds;
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));

	if (pfd == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = loop->fds[i].fd, .events = loop->fds[i].events };
	int r = poll(pfd, n, ev_next_wait(loop));
	if (r < 0) {
		free(pfd);
		return errno == EINTR ? 0 : -1;
	}
	for (size_t i = 0; i < n && r > 0; i++) {
		if (pfd[i].revents == 0)
			continue;
		r--;
		/* look the fd up again: an earlier callback may have deleted or moved it */
		struct ev_fd *e = ev_fd_find(loop, pfd[i].fd);
		if (e != NULL)
			e->cb(e->fd, pfd[i].revents, e->arg);
	}
	free(pfd);
	return 0;
}

int
ev_run(struct ev_loop *loop)
{
	while (!loop->stopping) {
		ev_fd_compact(loop);
		if (ev_poll_once(loop) < 0)
			return -1;
		ev_run_timers(loop);
	}
	loop->stopping = 0;
	return 0;
}

void
ev_stop(struct ev_loop *loop)
{
	loop->stopping = 1;
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	for (struct ev_timer *t = loop->timers; t != NULL; t = t->next)
		t->dead = 1;
	ev_timer_reap(loop);
	free(loop->fds);
	free(loop);
}
