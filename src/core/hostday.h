/* SPDX-License-Identifier: ISC */
/* What the base was like at each quarter hour of the day (base_recall): a nightly batch
 * or a morning rush comes back at the same time, and a VM that rests on the base can
 * leave ahead of it instead of taking its first minutes there. One host is kept, the
 * base; a slot holds the worst sample of the last day the VM was there at that time, and
 * of the day before that (a burst that came once is no reason to leave every day).
 * Pure state, as hosts.h: the caller hands in the times. */
#ifndef VMM_HOSTDAY_H
#define VMM_HOSTDAY_H

#include <vmmanage/module.h>

#define HOSTDAY_SLOTS 96            /* quarter hours */
#define HOSTDAY_SLOT_MINUTES (24 * 60 / HOSTDAY_SLOTS)

struct host_day {
	char host[128];
	double when[HOSTDAY_SLOTS];     /* epoch of the last sample in the slot; 0: never */
	double worst[HOSTDAY_SLOTS];    /* the worst sample of that day in the slot */
	double before[HOSTDAY_SLOTS];   /* the same of the day seen before it; NAN: none */
};

/* The worst remembered in the slots a window covers. */
struct hostday_seen {
	int slots;                      /* remembered slots in the window; 0: nothing known */
	double worst;                   /* the worst of them, in the indicator's units */
	double twice;                   /* the worst of the slots' lesser of two days; NAN: no
	                                 * slot was seen on two days */
	int twice_minute;               /* where that slot starts */
	double twice_when;              /* when it was last seen */
	int minute;                     /* minute of the day its slot starts */
	double when;                    /* when it was seen (epoch) */
};

/* A sample on host at minute of the local day (0..1439). A sample on another host than
 * the one kept starts the table afresh (the base changed). -1 when out of memory. */
int hostday_sample(struct host_day **day, const char *host, int minute, double value,
    double now, enum vmm_direction direction);
/* The slots of host from minute to ahead seconds later, seen on an earlier day (12 hours
 * ago or more) within recall seconds of now: the worst of them. */
struct hostday_seen hostday_window(const struct host_day *day, const char *host, int minute,
    double ahead, double now, double recall, enum vmm_direction direction);
/* The latest slot of host before minute's, within back seconds, seen as hostday_window
 * says: a load seen to start there may still be on (slots = 0: none). */
struct hostday_seen hostday_before(const struct host_day *day, const char *host, int minute,
    double back, double now, double recall);
/* One slot as the state file has it (before NAN: none); -1 when out of range. */
int hostday_set(struct host_day **day, const char *host, int slot, double when, double worst,
    double before);
void hostday_free(struct host_day **day);

#endif
