/* SPDX-License-Identifier: ISC */
/* The collector's alert_command: a VM gone silent ("silent firing VM MESSAGE") and back
 * ("silent resolved VM MESSAGE"), through the queue and thread the agent's alerts use
 * (common/alertq.c). A command that fails is said once until it works again. */
#include "config.h"

#include "common/alertq.h"
#include "core/subproc.h"
#include "server.h"

static void
collector_alert_done(void *arg, int ok, const char *argv0, const char *err)
{
	struct collector *s = arg;

	if (!ok && !s->alert_failing)
		log_warnx("alert_command %s failed: %s (said once until it works again)", argv0, err);
	else if (ok && s->alert_failing)
		log_info("alert_command %s works again", argv0);
	s->alert_failing = !ok;
}

void
collector_alert(struct collector *s, const char *kind, int firing, const char *host,
    const char *msg)
{
	const struct collector_conf *c = s->conf;

	if (c->nalert_command == 0)
		return;
	if (s->alerts == NULL &&
	    (s->alerts = alertq_new(s->loop, spawn_alert, collector_alert_done, s)) == NULL) {
		log_warnx("alert_command: cannot start its thread; the alert is only logged");
		return;
	}
	alertq_push(s->alerts, (const char *const *)c->alert_command, c->nalert_command,
	    c->alert_timeout, kind, firing, host, msg);
}
