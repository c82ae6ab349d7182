/* SPDX-License-Identifier: ISC */
/* The agent's words: events, notes and episodes to the logs, and the collector's shipping. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_priv.h"
#include "common/log.h"
#include "core/host.h"
#include "logship/logship.h"
#include "core/setup.h"

int64_t
agent_wall(void)
{
	return (int64_t)time(NULL);
}

/* One event, in the journal's words: syslog or stderr, the local log and the collector. */
void
agent_event(struct agent *a, const struct journal_event *e)
{
	char msg[JOURNAL_MSG];

	journal_message(e, msg, sizeof(msg));
	log_info("%s", msg);
	cyclelog_event(&a->logging.log, agent_wall(), host_hostname(), journal_name(e), msg);
	if (a->logging.ship != NULL && logship_submit(a->logging.ship, (time_t)agent_wall(), msg) < 0)
		log_warn("collector: cannot spool");
}

/* An event of free text: the journal has no kind for it (reload, sensor, queue...). */
void
agent_note(struct agent *a, const char *name, const char *fmt, ...)
{
	char text[JOURNAL_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	agent_event(a, &(struct journal_event){ .kind = JOURNAL_NOTE, .name = name,
	    .u.note.text = text });
}

void
agent_warning(struct agent *a, const char *name, const char *text)
{
	agent_event(a, &(struct journal_event){ .kind = JOURNAL_WARNING, .name = name,
	    .u.note.text = text });
}

void
agent_episode_emit(void *arg, const char *kind, const char *text)
{
	agent_note(arg, kind, "%s", text);
}

void
agent_episode(struct agent *a, struct episode *e, const char *kind, const char *msg)
{
	episode_say(e, kind, msg, agent_episode_emit, a);
}

void
agent_episode_end(struct agent *a, struct episode *e)
{
	episode_end(e, agent_episode_emit, a);
}

/* The cycle's values for the collector, compact: the block itself stays local. */
void
agent_ship_cycle(struct agent *a, const struct vmm_sample *s, enum vmm_action act)
{
	const struct vmm_policy_counters *c = &a->sampling.counters;
	char msg[JOURNAL_MSG];

	if (a->logging.ship == NULL)
		return;
	journal_message(&(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = {
	    .sensor = a->su->set.sensor, .location = a->st.location, .known = s->known,
	    .value = s->value, .count = c->count, .threshold = c->threshold, .has_low = c->has_low,
	    .lowcount = c->lowcount, .lowthreshold = c->lowthreshold, .action = act } },
	    msg, sizeof(msg));
	if (logship_submit(a->logging.ship, (time_t)s->time, msg) < 0)
		log_warn("collector: cannot spool");
}

static char *
agent_ship_fingerprint(const struct settings *s)
{
	char *fp = NULL;

	char list[8 * 300] = "";

	if (s->collector == NULL)
		return NULL;
	for (size_t i = 0; i < s->ncollectors; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s,", s->collectors[i]);
	if (asprintf(&fp, "%s|%g|%d|%s|%lld|%s|%s", list, s->collector_failback, s->collector_syslog,
	    s->collector_key_file ? s->collector_key_file : "", (long long)s->spool_max_bytes,
	    host_hostname(), s->state_dir) < 0)
		return NULL;
	return fp;
}

/* The log path's own troubles (an unauthenticated collector, a full spool) go to the log. */
static void
agent_ship_warn(const char *msg)
{
	log_warnx("%s", msg);
}

/* Start, restart or stop the central log to match the settings. The spool lives in
 * state_dir, so a restart loses nothing. */
int
agent_ship_update(struct agent *a, char *err, size_t errlen)
{
	const struct settings *s = &a->su->set;
	char *fp = agent_ship_fingerprint(s);

	if ((fp == NULL && a->logging.ship_fp == NULL) || (fp && a->logging.ship_fp && strcmp(fp, a->logging.ship_fp) == 0)) {
		free(fp);
		return 0;
	}
	logship_free(a->logging.ship);
	a->logging.ship = NULL;
	free(a->logging.ship_fp);
	a->logging.ship_fp = fp;
	if (fp == NULL)
		return 0;
	struct logship_conf lc = { .collectors = s->collectors, .ncollectors = s->ncollectors,
		.failback = s->collector_failback,
		.protocol = s->collector_syslog ? LOGSHIP_SYSLOG : LOGSHIP_VMMANAGE,
		.hostname = host_hostname(), .state_dir = s->state_dir,
		.spool_max_bytes = (uint64_t)s->spool_max_bytes, .key_file = s->collector_key_file,
		.warn = agent_ship_warn, .loop = a->loop };
	if ((a->logging.ship = logship_new(&lc, err, errlen)) == NULL)
		return -1;
	return 0;
}
