/* SPDX-License-Identifier: ISC */
/* A small single-threaded event loop in the spirit of Redis's ae.c: all its state is in
 * a loop object, passed to every call that registers something; fds by poll(),
 * monotonic timers. */
#ifndef VMM_EV_H
#define VMM_EV_H

#include <poll.h>

struct ev_loop;
struct ev_timer;

/* Called with the poll revents that fired (POLLIN, POLLOUT, POLLERR, POLLHUP). */
typedef void (*ev_fd_cb)(int fd, int revents, void *arg);
/* Returns the delay in seconds until it should run again, or a negative value to stop
 * (the timer is then freed by the loop; do not ev_timer_del it). */
typedef double (*ev_timer_cb)(void *arg);

/* NULL on ENOMEM. */
struct ev_loop *ev_loop_new(void);
/* Frees the loop and its timers; the fds stay open (their owners close them). */
void ev_loop_free(struct ev_loop *loop);
/* events: POLLIN and/or POLLOUT. -1 if fd is already registered or on ENOMEM. */
int ev_fd_add(struct ev_loop *loop, int fd, short events, ev_fd_cb cb, void *arg);
int ev_fd_mod(struct ev_loop *loop, int fd, short events);
/* Safe from inside any callback, for any fd, its own included. */
void ev_fd_del(struct ev_loop *loop, int fd);
/* First run after `delay` seconds (CLOCK_MONOTONIC). A timer belongs to its loop: the
 * calls on it below need no loop. */
struct ev_timer *ev_timer_add(struct ev_loop *loop, double delay, ev_timer_cb cb, void *arg);
/* Safe from inside any callback, including the timer's own. */
void ev_timer_del(struct ev_timer *t);
/* Re-arm a live timer to fire after `delay` seconds from now. */
void ev_timer_set(struct ev_timer *t, double delay);
/* Seconds on CLOCK_MONOTONIC (the loops' clock; no loop needed). */
double ev_now(void);
/* An extra bound on the next wait, e.g. from ares_timeout(); asked before every poll.
 * Returns seconds, or a negative value for none. */
void ev_set_wait_hook(struct ev_loop *loop, double (*hook)(void *arg), void *arg);
/* Run until ev_stop(); 0, or -1 when poll fails for a reason other than EINTR. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);

#endif
