/* SPDX-License-Identifier: ISC */
/* A small single-threaded event loop in the spirit of Redis's ae.c: epoll over an fd
 * table indexed by fd, an unsorted timer list (a daemon has a handful), signals through
 * a self-pipe, all of it in a struct ev_loop (the signal handler's pipe aside: signals
 * belong to the process). A group of fds is an epoll instance of its own, waited for
 * inside the loop's: muting it takes it out, one call for any number of fds. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ev.h"

_Static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
    EPOLLHUP == POLLHUP, "epoll and poll flags differ: translate them");

#define EV_MAX_EVENTS 256
#define EV_MAX_GROUPS 8
/* An epoll event's data: the fd in the low half, its registration's generation in the
 * high half, so an event for an fd deleted (and its number reused) during the dispatch
 * is told apart; a group's own event has this bit set and the group number below. */
#define EV_GROUP_TAG (UINT64_C(1) << 63)

struct ev_fd {
	ev_fd_cb cb;
	void *arg;
	uint32_t gen;         /* bumped at each add */
	int group;
	int used;
};

struct ev_timer {
	double when;
	unsigned pass;        /* the timer pass it last ran in, or was added during */
	ev_timer_cb cb;
	void *arg;
	int dead;
	struct ev_timer *next;
};

struct ev_group {
	int ep;
	int muted;
};

struct ev_loop {
	int ep;
	struct ev_fd *fds;    /* indexed by fd */
	size_t capfds;
	struct ev_group groups[EV_MAX_GROUPS];   /* [0] is the loop's own: ep */
	int ngroups;
	struct ev_timer *timers;
	unsigned pass;        /* counts the timer passes */
	int stopping;
	double (*before_wait)(void *);
	void *before_wait_arg;
	void (*after_wait)(void *);
	void *after_wait_arg;
};

double
ev_now(void)
{
	return vmm_mono_now();
}

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(struct ev_loop));

	if (loop == NULL)
		return NULL;
	if ((loop->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(loop);
		return NULL;
	}
	loop->groups[0].ep = loop->ep;
	loop->ngroups = 1;
	return loop;
}

/* ---- fds ---- */

static struct ev_fd *
ev_fd_find(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->capfds || !loop->fds[fd].used)
		return NULL;
	return &loop->fds[fd];
}

static int
ev_fd_grow(struct ev_loop *loop, int fd)
{
	size_t cap = loop->capfds ? loop->capfds : 64;

	while (cap <= (size_t)fd)
		cap *= 2;
	if (cap == loop->capfds)
		return 0;
	struct ev_fd *n = realloc(loop->fds, cap * sizeof(*n));
	if (n == NULL)
		return -1;
	memset(n + loop->capfds, 0, (cap - loop->capfds) * sizeof(*n));
	loop->fds = n;
	loop->capfds = cap;
	return 0;
}

static int
ev_ctl(struct ev_loop *loop, int op, int fd, short events)
{
	struct ev_fd *e = &loop->fds[fd];
	struct epoll_event ev = { .events = (uint32_t)(uint16_t)events,
	    .data.u64 = (uint64_t)e->gen << 32 | (uint32_t)fd };

	return epoll_ctl(loop->groups[e->group].ep, op, fd, &ev);
}

int
ev_fd_add_to(struct ev_loop *loop, int group, int fd, short events, ev_fd_cb cb, void *arg)
{
	if (fd < 0 || group < 0 || group >= loop->ngroups || ev_fd_find(loop, fd) != NULL ||
	    ev_fd_grow(loop, fd) < 0)
		return -1;
	struct ev_fd *e = &loop->fds[fd];
	e->gen++;
	e->group = group;
	e->cb = cb;
	e->arg = arg;
	if (ev_ctl(loop, EPOLL_CTL_ADD, fd, events) < 0)
		return -1;
	e->used = 1;
	return 0;
}

int
ev_fd_add(struct ev_loop *loop, int fd, short events, ev_fd_cb cb, void *arg)
{
	return ev_fd_add_to(loop, 0, fd, events, cb, arg);
}

int
ev_fd_mod(struct ev_loop *loop, int fd, short events)
{
	if (ev_fd_find(loop, fd) == NULL)
		return -1;
	return ev_ctl(loop, EPOLL_CTL_MOD, fd, events);
}

/* The fd may be closed already (epoll then forgot it by itself): errors do not matter. */
void
ev_fd_del(struct ev_loop *loop, int fd)
{
	struct ev_fd *e = ev_fd_find(loop, fd);

	if (e == NULL)
		return;
	epoll_ctl(loop->groups[e->group].ep, EPOLL_CTL_DEL, fd, NULL);
	e->used = 0;
}

/* ---- groups ---- */

static int
ev_group_ctl(struct ev_loop *loop, int op, int group)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_GROUP_TAG | (uint64_t)group };

	return epoll_ctl(loop->ep, op, loop->groups[group].ep, &ev);
}

int
ev_group_new(struct ev_loop *loop)
{
	int g = loop->ngroups;

	if (g == EV_MAX_GROUPS || (loop->groups[g].ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	if (ev_group_ctl(loop, EPOLL_CTL_ADD, g) < 0) {
		close(loop->groups[g].ep);
		return -1;
	}
	loop->groups[g].muted = 0;
	loop->ngroups++;
	return g;
}

int
ev_group_mute(struct ev_loop *loop, int group, int muted)
{
	if (group <= 0 || group >= loop->ngroups)
		return -1;
	if (loop->groups[group].muted == !!muted)
		return 0;
	if (ev_group_ctl(loop, muted ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, group) < 0)
		return -1;
	loop->groups[group].muted = !!muted;
	return 0;
}

/* ---- timers ---- */

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

/* ---- signals: process-wide by nature, so their pipe is too ---- */

static struct {
	struct ev_loop *loop;
	int pipe[2];
	volatile sig_atomic_t pending[NSIG];
	ev_signal_cb cb[NSIG];
	void *arg[NSIG];
	struct sigaction old[NSIG];
} ev_sig = { .pipe = { -1, -1 } };

static void
ev_signal_note(int sig)
{
	int saved = errno;

	ev_sig.pending[sig] = 1;
	if (write(ev_sig.pipe[1], "", 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

static void
ev_signal_ready(int fd, int revents, void *arg)
{
	char buf[64];

	(void)revents;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	for (int sig = 1; sig < NSIG; sig++)
		if (ev_sig.pending[sig] && ev_sig.cb[sig] != NULL) {
			ev_sig.pending[sig] = 0;
			ev_sig.cb[sig](sig, ev_sig.arg[sig]);
		}
}

static int
ev_signal_take(struct ev_loop *loop)
{
	if (ev_sig.loop == loop)
		return 0;
	if (ev_sig.loop != NULL || pipe2(ev_sig.pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	if (ev_fd_add(loop, ev_sig.pipe[0], POLLIN, ev_signal_ready, NULL) < 0) {
		close(ev_sig.pipe[0]);
		close(ev_sig.pipe[1]);
		return -1;
	}
	ev_sig.loop = loop;
	return 0;
}

int
ev_signal_add(struct ev_loop *loop, int sig, ev_signal_cb cb, void *arg)
{
	struct sigaction sa;

	if (sig <= 0 || sig >= NSIG || ev_sig.cb[sig] != NULL || ev_signal_take(loop) < 0)
		return -1;
	ev_sig.cb[sig] = cb;
	ev_sig.arg[sig] = arg;
	ev_sig.pending[sig] = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ev_signal_note;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &ev_sig.old[sig]) < 0) {
		ev_sig.cb[sig] = NULL;
		return -1;
	}
	return 0;
}

static void
ev_signal_release(struct ev_loop *loop)
{
	if (ev_sig.loop != loop)
		return;
	for (int sig = 1; sig < NSIG; sig++)
		if (ev_sig.cb[sig] != NULL) {
			sigaction(sig, &ev_sig.old[sig], NULL);
			ev_sig.cb[sig] = NULL;
		}
	close(ev_sig.pipe[0]);
	close(ev_sig.pipe[1]);
	ev_sig.pipe[0] = ev_sig.pipe[1] = -1;
	ev_sig.loop = NULL;
}

/* ---- the loop ---- */

void
ev_set_before_wait(struct ev_loop *loop, double (*hook)(void *), void *arg)
{
	loop->before_wait = hook;
	loop->before_wait_arg = arg;
}

void
ev_set_after_wait(struct ev_loop *loop, void (*hook)(void *), void *arg)
{
	loop->after_wait = hook;
	loop->after_wait_arg = arg;
}

/* Milliseconds until the earliest timer or the hook's deadline; -1 for none. The hook
 * runs first: it may add timers. */
static int
ev_next_wait(struct ev_loop *loop)
{
	double wait = loop->before_wait ? loop->before_wait(loop->before_wait_arg) : -1;
	double now = ev_now();

	for (struct ev_timer *t = loop->timers; t != NULL; t = t->next)
		if (!t->dead && (wait < 0 || t->when - now < wait))
			wait = t->when - now > 0 ? t->when - now : 0;
	if (wait < 0)
		return -1;
	if (wait > 3600)
		wait = 3600;
	return (int)ceil(wait * 1000);
}

static void
ev_dispatch(struct ev_loop *loop, const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		if (d & EV_GROUP_TAG) {
			struct epoll_event inner[EV_MAX_EVENTS];
			int g = (int)(d & ~EV_GROUP_TAG);
			int m = epoll_wait(loop->groups[g].ep, inner, EV_MAX_EVENTS, 0);
			ev_dispatch(loop, inner, m);
			continue;
		}
		/* looked up again: an earlier callback may have deleted it */
		struct ev_fd *e = ev_fd_find(loop, (int)(uint32_t)d);
		if (e != NULL && e->gen == (uint32_t)(d >> 32))
			e->cb((int)(uint32_t)d, (int)evs[i].events, e->arg);
	}
}

int
ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[EV_MAX_EVENTS];

	while (!loop->stopping) {
		int n = epoll_wait(loop->ep, evs, EV_MAX_EVENTS, ev_next_wait(loop));
		if (n < 0 && errno != EINTR)
			return -1;
		if (loop->after_wait != NULL)
			loop->after_wait(loop->after_wait_arg);
		ev_dispatch(loop, evs, n);
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
	ev_signal_release(loop);
	for (struct ev_timer *t = loop->timers; t != NULL; t = t->next)
		t->dead = 1;
	ev_timer_reap(loop);
	for (int g = 0; g < loop->ngroups; g++)
		close(loop->groups[g].ep);
	free(loop->fds);
	free(loop);
}
