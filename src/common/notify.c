/* SPDX-License-Identifier: ISC */
/* sd_notify through libsystemd: the protocol (a datagram to $NOTIFY_SOCKET, abstract
 * sockets, the watchdog's pid check) is libsystemd's to get right, not ours. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/notify.h"

void
notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nMAINPID=%ld\nSTATUS=%s", (long)getpid(), status ? status : "running");
}

void
notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

static double
notify_watchdog_tick(void *arg)
{
	double *every = arg;

	sd_notify(0, "WATCHDOG=1");
	return *every;
}

int
notify_watchdog_start(struct ev_loop *loop)
{
	static double every;
	uint64_t usec = 0;

	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	every = (double)usec / 3e6;
	if (ev_timer_add(loop, 0, notify_watchdog_tick, &every) == NULL) {
		log_warnx("cannot start the watchdog's timer: out of memory");
		return -1;
	}
	log_debug("watchdog: a heartbeat every %.3g s", every);
	return 0;
}
