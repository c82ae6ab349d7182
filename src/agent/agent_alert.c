/* SPDX-License-Identifier: ISC */
/* alert_command: what an operator must hear of without reading logs. Each condition is
 * an episode: the command is run once when it starts ("firing") and once when it ends
 * ("resolved"), as Monit and Alertmanager do. The command gets its arguments in argv
 * (never a shell) and runs on a thread of its own, one call at a time, so a slow mail
 * relay never holds up a cycle; calls wait in a bounded queue. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_priv.h"
#include "common/worker.h"
#include "common/ev.h"
#include "common/log.h"
#include "core/host.h"
#include "core/setup.h"
#include "core/subproc.h"
#include "logship/logship.h"

static const char *const alert_names[ALERT__N] = {
	[ALERT_BREAKER] = "breaker",
	[ALERT_MOVES_FAILING] = "moves_failing",
	[ALERT_INDICATOR_UNKNOWN] = "indicator_unknown",
	[ALERT_SPOOL] = "spool",
};

/* Worker thread: the command, to its end or its deadline. */
static void
alert_job(void *arg)
{
	struct agent_alert_job *j = arg;
	struct vmm_run_result res;

	j->rc = spawn_run(j->argv, NULL, j->timeout, 4096, &res);
	j->status = res.status;
	snprintf(j->err, sizeof(j->err), "%s", res.err);
	spawn_result_free(&res);
}

static void alert_next(struct agent *a);

static void
alert_done(void *arg)
{
	struct agent_alert_job *j = arg;
	struct agent *a = AGENT_OF(j, alerts.job);
	char msg[256];

	if (j->rc < 0 || j->status != 0) {
		snprintf(msg, sizeof(msg), "alert_command %s failed: %s", j->argv[0],
		    j->rc < 0 ? j->err : "it exited non-zero");
		agent_episode(a, &a->alerts.ep_command, "alert", msg);
	} else
		agent_episode_end(a, &a->alerts.ep_command);
	for (size_t i = 0; j->argv[i] != NULL; i++)
		free((char *)(uintptr_t)j->argv[i]);
	memset(j->argv, 0, sizeof(j->argv));
	alert_next(a);
}

/* argv: the configured command, then KIND STATE HOST MESSAGE; copied, so that a reload
 * while it runs changes nothing under it. */
static int
alert_argv(struct agent *a, const struct agent_alert_call *c, struct agent_alert_job *j)
{
	const struct alert_conf *ac = &a->su->set.alert;
	const char *tail[] = { alert_names[c->kind], c->firing ? "firing" : "resolved",
		host_hostname(), c->msg };
	size_t n = 0;

	for (size_t i = 0; i < ac->ncommand && n < AGENT_ALERT_ARGV - 5; i++)
		if ((j->argv[n++] = strdup(ac->command[i])) == NULL)
			return -1;
	for (size_t i = 0; i < 4; i++)
		if ((j->argv[n++] = strdup(tail[i])) == NULL)
			return -1;
	j->argv[n] = NULL;
	j->timeout = ac->timeout;
	return 0;
}

static void
alert_next(struct agent *a)
{
	struct agent_alerts *al = &a->alerts;

	while (al->nqueued > 0 && !worker_busy(a->alert_w) && a->su->set.alert.command != NULL) {
		struct agent_alert_call *c = &al->queue[al->head];
		al->head = (al->head + 1) % AGENT_ALERT_QUEUE;
		al->nqueued--;
		if (alert_argv(a, c, &al->job) < 0 ||
		    worker_submit(a->alert_w, alert_job, alert_done, &al->job) < 0) {
			for (size_t i = 0; al->job.argv[i] != NULL; i++)
				free((char *)(uintptr_t)al->job.argv[i]);
			memset(al->job.argv, 0, sizeof(al->job.argv));
			log_warnx("alert_command: cannot start it (out of memory)");
		}
	}
}

/* The episode starts or ends: log it, and queue the call (the oldest waiting one makes
 * room when the queue is full, counted). */
static void
alert_change(struct agent *a, enum agent_alert_kind k, int firing, const char *msg)
{
	struct agent_alerts *al = &a->alerts;

	al->firing[k] = firing;
	agent_note(a, "alert", "Alert %s %s: %s", alert_names[k], firing ? "firing" : "resolved", msg);
	if (a->su->set.alert.command == NULL)
		return;
	if (al->nqueued == AGENT_ALERT_QUEUE) {
		al->head = (al->head + 1) % AGENT_ALERT_QUEUE;
		al->nqueued--;
		al->dropped++;
		log_warnx("alert_command: %" PRIu64 " calls dropped, the command is slower than the alerts", al->dropped);
	}
	struct agent_alert_call *c = &al->queue[(al->head + al->nqueued++) % AGENT_ALERT_QUEUE];
	c->kind = k;
	c->firing = firing;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	alert_next(a);
}

static void
alert_set(struct agent *a, enum agent_alert_kind k, int cond, const char *msg)
{
	if (cond != a->alerts.firing[k])
		alert_change(a, k, cond, msg);
}

/* Failed or unconfirmed outcomes since the last confirmed one, from the totals. */
static uint64_t
alert_bad_run(struct agent *a)
{
	struct agent_alerts *al = &a->alerts;
	uint64_t bad = a->st.failed + a->st.unconfirmed;

	if (a->st.confirmed != al->seen_confirmed)
		al->bad_run = 0;
	else
		al->bad_run += bad - al->seen_bad;
	al->seen_confirmed = a->st.confirmed;
	al->seen_bad = bad;
	return al->bad_run;
}

void
agent_alerts_check(struct agent *a)
{
	const struct alert_conf *ac = &a->su->set.alert;
	char why[256], msg[256];
	uint64_t run = alert_bad_run(a);

	int tripped = damper_tripped(&a->learning.damp, ev_now(), why, sizeof(why));
	alert_set(a, ALERT_BREAKER, tripped, tripped ? why : "the breaker lets the agent act again");
	snprintf(msg, sizeof(msg), "%" PRIu64 " failed or unconfirmed moves in a row, the last %s to %s: %s",
	    run, a->st.last_outcome, a->st.last_target, a->st.last_detail);
	alert_set(a, ALERT_MOVES_FAILING, run >= (uint64_t)ac->failed_moves,
	    run >= (uint64_t)ac->failed_moves ? msg : "a move was confirmed");
	uint64_t unknown = a->sampling.unknown_run;
	snprintf(msg, sizeof(msg), "the indicator has been unknown for %" PRIu64 " cycles: %s", unknown,
	    a->sampling.prev_why);
	alert_set(a, ALERT_INDICATOR_UNKNOWN, unknown >= (uint64_t)ac->unknown_cycles,
	    unknown >= (uint64_t)ac->unknown_cycles ? msg : "the sensor reads again");
	if (a->logging.ship != NULL) {
		struct logship_status ls;
		logship_status(a->logging.ship, &ls);
		/* ends only at half the level: a spool hovering at it is one episode */
		int over = ls.spooled >= (uint64_t)ac->spool_messages ||
		    (a->alerts.firing[ALERT_SPOOL] && ls.spooled > (uint64_t)ac->spool_messages / 2);
		snprintf(msg, sizeof(msg), "%" PRIu64 " messages wait in the spool for the collector%s%s",
		    ls.spooled, ls.last_error[0] ? ": " : "", ls.last_error);
		alert_set(a, ALERT_SPOOL, over, over ? msg : "the collector has caught up with the spool");
	}
}
