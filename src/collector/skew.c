/* SPDX-License-Identifier: ISC */
/* Is an agent's clock off ours? Its frames carry the agent's time; their receipt is
 * ours. A stamp ahead of its receipt by more than max_clock_skew can only be a clock
 * ahead, and is said at once. A stamp behind may be a clock behind or a spool sent
 * late after an outage: only a window of frames whose stamps advance at the pace of
 * their receipt (a live stream, not a backlog rushing by) that all lag by more than
 * the limit says the clock is behind. One warning per episode per connection, and
 * one line when the clocks agree again. Seed 004 saw guests' clocks jump after a
 * migration: the central log then has the agent's times, and the JSON copy both. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector.h"
#include "server.h"
#include "common/log.h"

#define SKEW_WINDOW 10.0  /* seconds of receipt */
#define SKEW_FRAMES 3     /* frames at the least in a window */

static void
skew_episode(struct collector *s, struct collector_conn *c, int off, int64_t by)
{
	if (off && !c->skew.off) {
		s->st.skewed++;
		log_warnx("agent %s (%s): its clock is %" PRId64 " s %s the collector's (max_clock_skew %g s); the log has its times, the JSON copy also the receipt",
		    c->host, c->peer, by < 0 ? -by : by, by < 0 ? "behind" : "ahead of",
		    s->conf->max_clock_skew);
	} else if (!off && c->skew.off)
		log_info("agent %s (%s): its clock agrees with the collector's again", c->host, c->peer);
	c->skew.off = off;
}

void
collector_skew_note(struct collector *s, struct collector_conn *c, int64_t epoch)
{
	struct collector_skew *k = &c->skew;
	double limit = s->conf->max_clock_skew;
	int64_t lag = (int64_t)s->wall - epoch;

	if (limit <= 0)
		return;
	/* a jump of the agent's clock (or the end of a backlog) starts a new window */
	if (k->n > 0 && (double)llabs(lag - k->prev_lag) > limit)
		k->n = 0;
	k->prev_lag = lag;
	if (k->n == 0) {
		k->start = s->now;
		k->first = epoch;
		k->lag_min = lag;
		k->lead_max = -lag;
	}
	k->last = epoch;
	k->n++;
	if (lag < k->lag_min)
		k->lag_min = lag;
	if (-lag > k->lead_max)
		k->lead_max = -lag;
	if ((double)-lag > limit) {
		skew_episode(s, c, 1, -lag);
		return;
	}
	double span = s->now - k->start;
	if (span < SKEW_WINDOW || k->n < SKEW_FRAMES)
		return;
	/* a backlog's stamps cover far more time than its receipt took */
	int live = (double)(k->last - k->first) <= 1.5 * span + 1;
	if ((double)k->lead_max > limit)
		skew_episode(s, c, 1, k->lead_max);
	else if (live)
		skew_episode(s, c, (double)k->lag_min > limit, -k->lag_min);
	k->n = 0;
}
