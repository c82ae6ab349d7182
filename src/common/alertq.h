/* SPDX-License-Identifier: ISC */
/* alert_command's calls, for every daemon that has one (the agent, the collector): the
 * command in argv (never a shell) with KIND STATE HOST MESSAGE after its own arguments,
 * run on a thread of its own, one call at a time, so that a slow mail relay never holds
 * up the loop; calls wait in a bounded queue (the oldest makes room, counted). When and
 * why to call is the daemon's: each condition an episode, "firing" once when it starts
 * and "resolved" once when it ends. */
#ifndef VMM_COMMON_ALERTQ_H
#define VMM_COMMON_ALERTQ_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct alertq;

#define ALERTQ_QUEUE 16
#define ALERTQ_ARGV 40

/* Runs argv to its end or the deadline (on the queue's thread): 0 when it exited 0,
 * else -1 with err. The agent and the collector give spawn_run's (core/subproc.c). */
typedef int (*alertq_run_fn)(const char *const argv[], double timeout, char *err, size_t errlen);
/* On the loop's thread after each call: ok, and why not. */
typedef void (*alertq_done_fn)(void *arg, int ok, const char *argv0, const char *err);

struct alertq *alertq_new(struct ev_loop *loop, alertq_run_fn run, alertq_done_fn done, void *arg);
/* Queues command[0..ncommand) KIND STATE HOST MESSAGE, copied now (a reload while it
 * waits changes nothing). 0, or -1 when out of memory. */
int alertq_push(struct alertq *q, const char *const *command, size_t ncommand, double timeout,
    const char *kind, int firing, const char *host, const char *msg);
uint64_t alertq_dropped(const struct alertq *q);
/* Waits for a running call; drops the waiting ones. */
void alertq_free(struct alertq *q);

#endif
