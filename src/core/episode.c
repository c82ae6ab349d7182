/* SPDX-License-Identifier: ISC */
/* Said once per episode (episode.h). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/episode.h"

void
episode_say(struct episode *e, const char *kind, const char *msg, episode_emit *emit, void *arg)
{
	if (e->msg[0] && strcmp(e->msg, msg) == 0) {
		e->repeats++;
		return;
	}
	episode_end(e, emit, arg);
	emit(arg, kind, msg);
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* The same words, whatever the numbers in them: each run of digits and dots matches any
 * other. */
static int
episode_alike(const char *x, const char *y)
{
	for (;;) {
		int nx = 0, ny = 0;
		while (isdigit((unsigned char)*x) || (*x == '.' && nx)) {
			x++;
			nx = 1;
		}
		while (isdigit((unsigned char)*y) || (*y == '.' && ny)) {
			y++;
			ny = 1;
		}
		if (nx != ny || *x != *y)
			return 0;
		if (*x == '\0')
			return 1;
		x++;
		y++;
	}
}

void
episode_say_alike(struct episode *e, const char *kind, const char *msg, episode_emit *emit,
    void *arg)
{
	if (e->msg[0] && episode_alike(e->msg, msg)) {
		e->repeats++;
		return;
	}
	episode_say(e, kind, msg, emit, arg);
}

void
episode_end(struct episode *e, episode_emit *emit, void *arg)
{
	char text[sizeof(e->msg) + 48];

	if (e->msg[0] && e->repeats > 0) {
		snprintf(text, sizeof(text), "%s: %" PRIu64 " times in all", e->msg, e->repeats + 1);
		emit(arg, e->kind, text);
	}
	e->msg[0] = '\0';
	e->repeats = 0;
}

void
said_suppressed(struct decide_said *s, const struct decide_result *r,
    const struct journal_event *e, episode_emit *emit, void *arg)
{
	char msg[JOURNAL_MSG];
	const char *kind = journal_name(e);

	journal_message(e, msg, sizeof(msg));
	if (r->provider_hold)
		episode_say(&s->refused, kind, msg, emit, arg);
	else if (r->held == HOLD_QUIET)
		episode_say(&s->quiet, kind, msg, emit, arg);
	else
		episode_say_alike(&s->held, kind, msg, emit, arg);
}

void
said_nothing(struct decide_said *s, const char *why, episode_emit *emit, void *arg)
{
	episode_say(&s->nothing, "nothing", why, emit, arg);
}

void
said_cycle(struct decide_said *s, const struct decide_result *r,
    const struct hold_conf *hold, const struct vmm_local_time *lt, episode_emit *emit,
    void *arg)
{
	const char *window;
	char until[16];

	/* asked only while a window's episode is open: every simulated VM runs this */
	if (s->quiet.msg[0] && !quiet_now(hold, lt, &window, until, sizeof(until)))
		episode_end(&s->quiet, emit, arg);
	if (r->action == VMM_ACT_NONE && r->counters.count == 0 &&
	    (!r->counters.has_low || r->counters.lowcount == 0))
		episode_end(&s->held, emit, arg);
}

void
said_request(struct decide_said *s, episode_emit *emit, void *arg)
{
	episode_end(&s->nothing, emit, arg);
	episode_end(&s->refused, emit, arg);
	episode_end(&s->held, emit, arg);
}

void
said_close(struct decide_said *s, episode_emit *emit, void *arg)
{
	episode_end(&s->nothing, emit, arg);
	episode_end(&s->quiet, emit, arg);
	episode_end(&s->refused, emit, arg);
	episode_end(&s->held, emit, arg);
}
