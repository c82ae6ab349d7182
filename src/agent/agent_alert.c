/* SPDX-License-Identifier: ISC */
/* alert_command: what an operator must hear of without reading logs. Each condition is
 * an episode: the command is run once when it starts ("firing") and once when it ends
 * ("resolved"), as Monit and Alertmanager do. The command gets its arguments in argv
 * (never a shell) and runs on a thread of its own, one call at a time, so a slow mail
 * relay never holds up a cycle; calls wait in a bounded queue (common/alertq.c, which
 * the collector's alert_command uses too). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_priv.h"
#include "common/alertq.h"
#include "common/ev.h"
#include "common/log.h"
#include "core/host.h"
#include "core/setup.h"
#include "logship/logship.h"

static const char *const alert_names[ALERT__N] = {
	[ALERT_BREAKER] = "breaker",
	[ALERT_MOVES_FAILING] = "moves_failing",
	[ALERT_INDICATOR_UNKNOWN] = "indicator_unknown",
	[ALERT_SPOOL] = "spool",
};

void
agent_alert_done(void *arg, int ok, const char *argv0, const char *err)
{
	struct agent *a = arg;
	char msg[256];

	if (!ok) {
		snprintf(msg, sizeof(msg), "alert_command %s failed: %s", argv0, err);
		agent_episode(a, &a->alerts.ep_command, "alert", msg);
	} else
		agent_episode_end(a, &a->alerts.ep_command);
}

/* The episode starts or ends: log it, and queue the call. */
static void
alert_change(struct agent *a, enum agent_alert_kind k, int firing, const char *msg)
{
	const struct alert_conf *ac = &a->su->set.alert;

	a->alerts.firing[k] = firing;
	agent_note(a, "alert", "Alert %s %s: %s", alert_names[k], firing ? "firing" : "resolved", msg);
	if (ac->command != NULL)
		alertq_push(a->alerts.q, ac->command, ac->ncommand, ac->timeout, alert_names[k],
		    firing, host_hostname(), msg);
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
