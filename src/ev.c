/* A small single-threaded event loop in the spirit of Redis's ae.c: poll() over a flat
 * fd table and an unsorted timer list (an agent has a handful of each). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "ev.h"

struct ev_fd {
	int fd;
	short events;
	ev_fd_cb cb;
	void *arg;
};

struct ev_timer {
	double when;
	ev_timer_cb cb;
	void *arg;
	int dead;
	struct ev_timer *next;
};

static struct ev_fd *ev_fds;
static size_t ev_nfds, ev_capfds;
static struct ev_timer *ev_timers;
static int ev_stopping;
static double (*ev_wait_hook)(void *);
static void *ev_wait_hook_arg;

double
ev_now(void)
{
	return vmm_mono_now();
}

int
ev_init(void)
{
	ev_stopping = 0;
	return 0;
}

static struct ev_fd *
ev_fd_find(int fd)
{
	for (size_t i = 0; i < ev_nfds; i++)
		if (ev_fds[i].fd == fd)
			return &ev_fds[i];
	return NULL;
}

int
ev_fd_add(int fd, short events, ev_fd_cb cb, void *arg)
{
	if (fd < 0 || ev_fd_find(fd) != NULL)
		return -1;
	if (ev_nfds == ev_capfds) {
		size_t cap = ev_capfds ? ev_capfds * 2 : 16;
		struct ev_fd *n = realloc(ev_fds, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		ev_fds = n;
		ev_capfds = cap;
	}
	ev_fds[ev_nfds++] = (struct ev_fd){ fd, events, cb, arg };
	return 0;
}

int
ev_fd_mod(int fd, short events)
{
	struct ev_fd *e = ev_fd_find(fd);

	if (e == NULL)
		return -1;
	e->events = events;
	return 0;
}

/* Deleting marks the slot (fd = -1); ev_run compacts between polls, so a callback may
 * delete any fd, its own included. */
void
ev_fd_del(int fd)
{
	struct ev_fd *e = ev_fd_find(fd);

	if (e != NULL)
		e->fd = -1;
}

static void
ev_fd_compact(void)
{
	size_t j = 0;

	for (size_t i = 0; i < ev_nfds; i++)
		if (ev_fds[i].fd >= 0)
			ev_fds[j++] = ev_fds[i];
	ev_nfds = j;
}

struct ev_timer *
ev_timer_add(double delay, ev_timer_cb cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->when = ev_now() + (delay > 0 ? delay : 0);
	t->cb = cb;
	t->arg = arg;
	t->next = ev_timers;
	ev_timers = t;
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
ev_set_wait_hook(double (*hook)(void *), void *arg)
{
	ev_wait_hook = hook;
	ev_wait_hook_arg = arg;
}

static void
ev_timer_reap(void)
{
	struct ev_timer **pp = &ev_timers;

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
ev_next_wait(void)
{
	double now = ev_now(), wait = -1;

	for (struct ev_timer *t = ev_timers; t != NULL; t = t->next)
		if (!t->dead && (wait < 0 || t->when - now < wait))
			wait = t->when - now > 0 ? t->when - now : 0;
	if (ev_wait_hook != NULL) {
		double h = ev_wait_hook(ev_wait_hook_arg);
		if (h >= 0 && (wait < 0 || h < wait))
			wait = h;
	}
	if (wait < 0)
		return -1;
	if (wait > 3600)
		wait = 3600;
	return (int)ceil(wait * 1000);
}

static void
ev_run_timers(void)
{
	double now = ev_now();

	for (struct ev_timer *t = ev_timers; t != NULL; t = t->next) {
		if (t->dead || t->when > now)
			continue;
		double next = t->cb(t->arg);
		if (t->dead)
			continue;
		if (next < 0)
			t->dead = 1;
		else
			t->when = ev_now() + next;
	}
	ev_timer_reap();
}

static int
ev_poll_once(void)
{
	size_t n = ev_nfds;
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));

	if (pfd == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = ev_fds[i].fd, .events = ev_fds[i].events };
	int r = poll(pfd, n, ev_next_wait());
	if (r < 0) {
		free(pfd);
		return errno == EINTR ? 0 : -1;
	}
	for (size_t i = 0; i < n && r > 0; i++) {
		if (pfd[i].revents == 0)
			continue;
		r--;
		/* look the fd up again: an earlier callback may have deleted or moved it */
		struct ev_fd *e = ev_fd_find(pfd[i].fd);
		if (e != NULL)
			e->cb(e->fd, pfd[i].revents, e->arg);
	}
	free(pfd);
	return 0;
}

int
ev_run(void)
{
	while (!ev_stopping) {
		ev_fd_compact();
		if (ev_poll_once() < 0)
			return -1;
		ev_run_timers();
	}
	ev_stopping = 0;
	return 0;
}

void
ev_stop(void)
{
	ev_stopping = 1;
}

void
ev_free(void)
{
	for (struct ev_timer *t = ev_timers; t != NULL; t = t->next)
		t->dead = 1;
	ev_timer_reap();
	free(ev_fds);
	ev_fds = NULL;
	ev_nfds = ev_capfds = 0;
}
