/* SPDX-License-Identifier: ISC */
/* Holding requests back by the clock: quiet windows (`quiet`: times when the VM must not
 * move whatever its policy says, Monit's `not every`) and splay (`splay`: a fleet sharing
 * a schedule does not move all in the same minute; each VM waits its own offset, derived
 * from its name, after the schedule's edge, and after starting before its first sample).
 * Pure: the caller hands in the times; the daemon and the simulator share it. */
#ifndef VMM_QUIET_H
#define VMM_QUIET_H

#include <stddef.h>

#include <vmmanage/policy.h>

struct vmm_conf;

#define QUIET_MAX 16          /* windows in one config */
#define QUIET_WEEK (7 * 24 * 60)

struct quiet_window {
	unsigned days;        /* a bit per tm_wday */
	int start, stop;      /* minutes of the local day; start > stop runs over midnight */
	char text[64];        /* as written: "Mon-Fri 02:00-03:00" */
};

struct hold_conf {
	struct quiet_window win[QUIET_MAX];
	size_t n;
	double splay;         /* seconds; 0: none */
};

/* Where this VM is in the schedule's edges; starts zeroed. */
struct hold_state {
	int seen, resting;
	double edge;          /* epoch seconds of the last edge; 0: none seen */
};

/* What the decider holds by: no conf (NULL) holds nothing. */
struct hold {
	const struct hold_conf *c;
	double offset;        /* this VM's splay, seconds */
	struct hold_state *st;
};

/* Windows from one string: "Mon-Fri 02:00-03:00, Sat 00:00-06:00" (days may be left out:
 * every day), added to h. -1 with err (what is wrong where, without the file). */
int quiet_parse(const char *s, struct hold_conf *h, char *err, size_t errlen);
/* `quiet` and `splay` from the config; -1 with err naming file and line and the mend. */
int hold_setup(const struct vmm_conf *c, struct hold_conf *h, char *err, size_t errlen);
/* Minutes until the quiet windows covering weekday day, minute of the day, end (windows
 * that meet or overlap count as one); 0 when none covers it. *which: the first one. */
int quiet_left(const struct hold_conf *h, int day, int minute, const struct quiet_window **which);
/* 1 when a window covers the local time: *window is its text, until its end, local time
 * ("03:00", or "Sat 06:00" when on another day). */
int quiet_now(const struct hold_conf *h, const struct vmm_local_time *lt, const char **window,
    char *until, size_t len);
/* This VM's splay: an offset in [0, window) from its name, the same on every run. */
double splay_offset(const char *identity, double window);

/* The policy's resting flag this cycle, at epoch wall: a change is the schedule's edge. */
void hold_edge(const struct hold *h, double wall, int resting);
/* Is a request at wall (local time lt) held? 0 no; HOLD_QUIET or HOLD_SPLAY, why says
 * until when. An administrator's action (cli) is not splayed; whether a window holds it
 * is decide.c's call. */
enum { HOLD_NONE = 0, HOLD_QUIET, HOLD_SPLAY };
int hold_check(const struct hold *h, double wall, const struct vmm_local_time *lt, int cli,
    char *why, size_t len);

#endif
