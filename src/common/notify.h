/* SPDX-License-Identifier: ISC */
/* Telling the service manager how the daemon is (sd_notify, for systemd's Type=notify
 * units): ready, reloading, stopping, and the watchdog's heartbeat while the event loop
 * turns. Each call does nothing when no manager asked (NOTIFY_SOCKET unset), so the
 * SysV scripts and the forking mode see no change. */
#ifndef VMM_NOTIFY_H
#define VMM_NOTIFY_H

struct ev_loop;

/* READY=1 with the pid (the daemon may have forked) and a one-line status. */
void notify_ready(const char *status);
/* RELOADING=1 before a reload; notify_ready() after it, whatever its outcome. */
void notify_reloading(void);
void notify_stopping(void);
/* If the manager set a watchdog (WatchdogSec=), a timer on loop sends WATCHDOG=1 at a
 * third of its interval: a loop that stops turning misses it and gets restarted. 0, or
 * -1 when the timer cannot be made. */
int notify_watchdog_start(struct ev_loop *loop);

#endif
