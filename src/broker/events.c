/* SPDX-License-Identifier: ISC */
/* The broker's events (a move admitted, refused, confirmed or failed): to its own log,
 * and, with `collector` set, to vmmanage-collector through the agent's log path
 * (liblogship: spooled in state_dir until acknowledged), so that operators see the
 * provider's view of each move beside the guest's. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "broker/broker.h"
#include "common/log.h"
#include "logship/logship.h"

static struct logship *events_ship;

static void
events_warn(const char *msg)
{
	log_warnx("collector: %s", msg);
}

int
broker_events_start(struct broker *b, char *err, size_t errlen)
{
	struct logship_conf lc = {
		.collector = b->collector, .hostname = b->hostname, .state_dir = b->state_dir,
		.key_file = b->collector_key_file, .warn = events_warn, .loop = b->loop,
	};

	if (b->collector == NULL)
		return 0;
	return (events_ship = logship_new(&lc, err, errlen)) == NULL ? -1 : 0;
}

void
broker_event(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(prio, "broker: %s", msg);
	if (events_ship != NULL && logship_submit(events_ship, time(NULL), msg) < 0)
		log_warn("collector: cannot spool");
}

void
broker_events_stop(void)
{
	logship_free(events_ship);
	events_ship = NULL;
}
