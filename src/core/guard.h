/* SPDX-License-Identifier: ISC */
/* The guard between the policy and the endpoint: cooldown, a budget of moves per hour,
 * one request in flight, ping-pong detection. Pure state: times are handed in. */
#ifndef VMM_GUARD_H
#define VMM_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* The largest max_moves_per_hour the config accepts: the guard remembers that many
 * requests, so every accepted limit holds (a shorter history let every request through). */
#define GUARD_MAX_PER_HOUR 3600
#define GUARD_HISTORY GUARD_MAX_PER_HOUR

enum guard_verdict {
	GUARD_ALLOW = 0,
	GUARD_IN_FLIGHT,  /* a request is still with the endpoint */
	GUARD_COOLDOWN,   /* too soon after the last request */
	GUARD_BUDGET,     /* max_moves_per_hour reached */
	GUARD_REFUSED     /* the provider refused the last request: its retry-after runs */
};

struct guard_move {
	double when;
	char from[64], to[64];
};

struct guard {
	double cooldown;          /* seconds */
	int64_t max_per_hour;     /* 0: no budget */
	int in_flight;
	double last_request;      /* monotonic seconds; < 0: none yet */
	double requests[GUARD_HISTORY]; /* times of requests, a ring */
	size_t nrequests, next;
	struct guard_move moves[8];     /* recent moves, for ping-pong */
	size_t nmoves;
	uint64_t suppressed;
	double refused_until;     /* monotonic; no request before it (the provider's word) */
	double refused_after;     /* the retry-after it said, seconds */
	char refused_why[160];    /* the provider's reason */
};

void guard_init(struct guard *g, double cooldown, int64_t max_per_hour);
/* Keep the history, take new limits (a reload). */
void guard_configure(struct guard *g, double cooldown, int64_t max_per_hour);
/* May a request go out now? why says which rule held it back and until when. */
enum guard_verdict guard_check(struct guard *g, double now, char *why, size_t len);
/* The same verdict, without counting a suppression. */
enum guard_verdict guard_peek(const struct guard *g, double now, char *why, size_t len);
/* A request went to the endpoint. */
void guard_request_sent(struct guard *g, double now);
void guard_request_done(struct guard *g);
/* The provider refused the request sent at now: nothing moved, so it counts for no budget
 * of the agent's, and no request goes out before retry_after seconds have passed. */
void guard_refused(struct guard *g, double now, double retry_after, const char *why);
/* A move happened (confirmed or assumed). Returns 1 and fills warn when this move
 * undoes one made within the last hour (A -> B -> A). */
int guard_moved(struct guard *g, double now, const char *from, const char *to, char *warn,
    size_t len);
/* Requests within the hour before now. */
size_t guard_requests_last_hour(const struct guard *g, double now);
const char *guard_verdict_name(enum guard_verdict v);

#endif
