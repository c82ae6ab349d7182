/* SPDX-License-Identifier: ISC */
/* A small single-threaded event loop in the spirit of Redis's ae.c, shared by the agent
 * and the collector: all its state is in a loop object, passed to every call that
 * registers something; fds by epoll (a collector holds 100,000 connections), monotonic
 * timers, signals as callbacks in the loop, and groups of fds muted together. */
#ifndef VMM_EV_H
#define VMM_EV_H

#include <poll.h>

struct ev_loop;
struct ev_timer;

/* Called with the events that fired: POLLIN, POLLOUT, POLLERR, POLLHUP (epoll's flags
 * have the same values). */
typedef void (*ev_fd_cb)(int fd, int revents, void *arg);
/* Returns the delay in seconds until it should run again, or a negative value to stop
 * (the timer is then freed by the loop; do not ev_timer_del it). */
typedef double (*ev_timer_cb)(void *arg);
typedef void (*ev_signal_cb)(int sig, void *arg);

/* NULL on ENOMEM or when epoll cannot be had. */
struct ev_loop *ev_loop_new(void);
/* Frees the loop and its timers, puts back the signals it took; the fds stay open
 * (their owners close them). */
void ev_loop_free(struct ev_loop *loop);

/* events: POLLIN and/or POLLOUT. -1 if fd is already registered, or on error. */
int ev_fd_add(struct ev_loop *loop, int fd, short events, ev_fd_cb cb, void *arg);
int ev_fd_mod(struct ev_loop *loop, int fd, short events);
/* Safe from inside any callback, for any fd, its own included: an fd deleted during a
 * dispatch is not called for what it had pending, even if its number is reused at once. */
void ev_fd_del(struct ev_loop *loop, int fd);

/* A group is a set of fds that can be muted together in one step, whatever their
 * number (a collector stops reading all its clients while it cannot write). Returns a
 * group number > 0, or -1. Group 0 is the loop's own and cannot be muted. */
int ev_group_new(struct ev_loop *loop);
int ev_fd_add_to(struct ev_loop *loop, int group, int fd, short events, ev_fd_cb cb, void *arg);
/* A muted group's fds are not waited for (their events wait in the kernel); fds may be
 * added, changed and deleted meanwhile. */
int ev_group_mute(struct ev_loop *loop, int group, int muted);

/* First run after `delay` seconds (CLOCK_MONOTONIC). A timer belongs to its loop: the
 * calls on it below need no loop. */
struct ev_timer *ev_timer_add(struct ev_loop *loop, double delay, ev_timer_cb cb, void *arg);
/* Safe from inside any callback, including the timer's own. */
void ev_timer_del(struct ev_timer *t);
/* Re-arm a live timer to fire after `delay` seconds from now. */
void ev_timer_set(struct ev_timer *t, double delay);
/* Seconds on CLOCK_MONOTONIC (the loops' clock; no loop needed). */
double ev_now(void);

/* Runs cb in the loop, between callbacks, when sig arrives (a handler that only notes
 * it, and a self-pipe to wake the wait). One loop per process takes signals; -1 when
 * another has them or on error. */
int ev_signal_add(struct ev_loop *loop, int sig, ev_signal_cb cb, void *arg);

/* Called before every wait, once the previous turn's callbacks and timers have run
 * (work a turn gathers, done once: e.g. write and sync, then ack): returns an extra
 * bound on the wait in seconds (e.g. from ares_timeout()), or a negative value for
 * none. */
void ev_set_before_wait(struct ev_loop *loop, double (*hook)(void *arg), void *arg);
/* Called after every wait, before the callbacks (e.g. to read the clocks once). */
void ev_set_after_wait(struct ev_loop *loop, void (*hook)(void *arg), void *arg);

/* Run until ev_stop(); 0, or -1 when waiting fails for a reason other than EINTR. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);

#endif
