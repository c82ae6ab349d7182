/* SPDX-License-Identifier: ISC */
/* The guard: whatever the policy asks, this decides whether a request may go out now.
 * The thesis's VMs hopped up to 14 times an hour; a bad threshold is stopped here. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/guard.h"

void
guard_init(struct guard *g, double cooldown, int64_t max_per_hour)
{
	memset(g, 0, sizeof(*g));
	g->last_request = -1;
	guard_configure(g, cooldown, max_per_hour);
}

void
guard_configure(struct guard *g, double cooldown, int64_t max_per_hour)
{
	g->cooldown = cooldown;
	g->max_per_hour = max_per_hour;
}

size_t
guard_requests_last_hour(const struct guard *g, double now)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nrequests; i++)
		if (now - g->requests[i] < 3600)
			n++;
	return n;
}

/* When the oldest request inside the hour leaves it. */
static double
guard_budget_frees_at(const struct guard *g, double now)
{
	double oldest = now;

	for (size_t i = 0; i < g->nrequests; i++)
		if (now - g->requests[i] < 3600 && g->requests[i] < oldest)
			oldest = g->requests[i];
	return oldest + 3600;
}

enum guard_verdict
guard_check(struct guard *g, double now, char *why, size_t len)
{
	enum guard_verdict v = guard_peek(g, now, why, len);

	if (v != GUARD_ALLOW)
		g->suppressed++;
	return v;
}

enum guard_verdict
guard_peek(const struct guard *g, double now, char *why, size_t len)
{
	enum guard_verdict v = GUARD_ALLOW;

	if (g->in_flight) {
		v = GUARD_IN_FLIGHT;
		snprintf(why, len, "a request is still in flight");
	} else if (now < g->refused_until) {
		/* worded the same each cycle: the agent says it once per episode */
		v = GUARD_REFUSED;
		snprintf(why, len, "the provider refused the last request (%s): no new one before its retry-after of %.0f s",
		    g->refused_why, g->refused_after);
	} else if (g->last_request >= 0 && now - g->last_request < g->cooldown) {
		v = GUARD_COOLDOWN;
		snprintf(why, len, "cooldown: %.0f s since the last request, %.0f s to go",
		    now - g->last_request, g->cooldown - (now - g->last_request));
	} else if (g->max_per_hour > 0 &&
	    guard_requests_last_hour(g, now) >= (size_t)g->max_per_hour) {
		v = GUARD_BUDGET;
		snprintf(why, len, "max_moves_per_hour: %zu requests in the last hour (limit %lld), next allowed in %.0f s",
		    guard_requests_last_hour(g, now), (long long)g->max_per_hour,
		    guard_budget_frees_at(g, now) - now);
	} else if (len > 0)
		why[0] = '\0';
	return v;
}

void
guard_request_sent(struct guard *g, double now)
{
	g->in_flight = 1;
	g->last_request = now;
	g->requests[g->next] = now;
	g->next = (g->next + 1) % GUARD_HISTORY;
	if (g->nrequests < GUARD_HISTORY)
		g->nrequests++;
}

void
guard_request_done(struct guard *g)
{
	g->in_flight = 0;
}

void
guard_refused(struct guard *g, double now, double retry_after, const char *why)
{
	/* the request just counted leaves the hour's budget: it never reached a host */
	if (g->nrequests > 0)
		g->requests[(g->next + GUARD_HISTORY - 1) % GUARD_HISTORY] = -1e300;
	g->refused_after = retry_after > 0 ? retry_after : 0;
	g->refused_until = now + g->refused_after;
	snprintf(g->refused_why, sizeof(g->refused_why), "%s", why != NULL && *why ? why : "no reason given");
}

int
guard_moved(struct guard *g, double now, const char *from, const char *to, char *warn,
    size_t len)
{
	int pingpong = 0;

	for (size_t i = 0; i < g->nmoves; i++) {
		const struct guard_move *m = &g->moves[i];
		if (now - m->when < 3600 && strcmp(m->from, to) == 0 && strcmp(m->to, from) == 0) {
			snprintf(warn, len, "ping-pong: back to %s %.0f s after leaving it for %s",
			    to, now - m->when, from);
			pingpong = 1;
			break;
		}
	}
	if (g->nmoves == sizeof(g->moves) / sizeof(g->moves[0])) {
		memmove(&g->moves[0], &g->moves[1], (g->nmoves - 1) * sizeof(g->moves[0]));
		g->nmoves--;
	}
	struct guard_move *m = &g->moves[g->nmoves++];
	m->when = now;
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", to);
	return pingpong;
}

const char *
guard_verdict_name(enum guard_verdict v)
{
	static const char *const names[] = { "allowed", "in flight", "cooldown", "max_moves_per_hour",
		"refused by the provider" };

	return names[v];
}
