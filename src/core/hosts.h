/* SPDX-License-Identifier: ISC */
/* What the agent learns about each host: how the indicator behaved while the VM ran
 * there, whether moves to it fail (and so when to try it again), and how long moves
 * between two hosts take (the T_M of the thesis's equation 3.5). Pure state: every time
 * is handed in, as wall-clock epoch seconds, so that the daemon and the simulator share
 * it and it survives restarts in state_dir/hosts. */
#ifndef VMM_HOSTS_H
#define VMM_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/module.h>

#include "core/hostday.h"

struct host_info {
	char name[128];
	/* the indicator while the VM was here: a mean in which a sample's weight decays
	 * with exp(-age / memory) */
	double mean, weight;
	double seconds;      /* time the VM spent here, all told */
	double last_seen;    /* time of the last sample here; 0: never */
	double recent;       /* the last few samples of the latest stay (weight 0.3 each) */
	/* the VM left this host: not a target again before hold_until (pingpong_hold);
	 * left_at beside the mean, as hosts_sample reads both each cycle (a simulated
	 * fleet's records are far from the cache: one line, not two) */
	double left_at;      /* 0: never left */
	/* moves to this host */
	int failures;        /* in a row; 0 after a success */
	double retry_at;     /* no move to it before this; 0: none */
	int permanent;       /* retrying will not mend it: skipped until a reload */
	char why[192];       /* the last failure, for status and the choice's log line */
	/* the endpoint's view of the host, when it gives one */
	double hint_time;    /* 0: no hint */
	int64_t free_memory; /* bytes; -1 unknown */
	double cpu_idle;     /* 0..1; -1 unknown */
	int incoming;        /* migrations arriving there; -1 unknown */
	int draining;        /* the provider drains it (not saved: asked again at start) */
	char left_for[128];  /* where it went then ("": not known) */
	double hold;         /* the last hold, seconds: doubled when the VM leaves again soon */
	double hold_until;
};

/* T_M: how long moves from one host to another took */
struct move_time {
	char from[128], to[128];
	uint64_t count;
	double mean, last;   /* seconds */
};

struct host_table {
	struct host_info *hosts;
	size_t nhosts;
	struct move_time *pairs;
	size_t npairs;
	double memory;       /* seconds; also the age past which a host is tried again */
	double backoff;      /* first wait after a failed move, doubled each time */
	double backoff_max;
	enum vmm_direction direction;
	int64_t vm_memory;   /* bytes the VM itself uses, when the endpoint says; -1 unknown */
	/* each record's name again when short, side by side: a look-up reads these, not
	 * every record (a simulated fleet's tables are far from the cache) */
	struct host_key *keys;
	size_t nkeys;        /* in step with nhosts, or not used */
	size_t last;         /* hosts_get's last record: asked again most often */
	double decay_age, decay; /* hosts_sample's last exp(-age / memory), for that age */
	struct host_day *day; /* the base by time of day (base_recall); NULL: nothing kept */
};

struct host_key {
	char name[16];       /* "": the name is longer, see the record */
};

void hosts_init(struct host_table *t, double memory, double backoff, double backoff_max,
    enum vmm_direction direction);
/* New settings (a reload): what was learned stays, permanent failures are forgotten. */
void hosts_configure(struct host_table *t, double memory, double backoff, double backoff_max,
    enum vmm_direction direction);
void hosts_free(struct host_table *t);

/* The record of a host, made on first use; NULL only when out of memory. */
struct host_info *hosts_get(struct host_table *t, const char *name);
/* The record, or NULL when nothing is known. */
const struct host_info *hosts_find(const struct host_table *t, const char *name);

/* A known sample taken while the VM was on host; interval: the seconds it stands for. */
void hosts_sample(struct host_table *t, const char *host, double value, double now,
    double interval);
/* A move to host failed. Returns the seconds until it may be tried again (doubling from
 * backoff up to backoff_max), or -1 when permanent. */
double hosts_failed(struct host_table *t, const char *host, int permanent, const char *why,
    double now);
/* A move to host was confirmed, or the VM was found there: its failures are forgotten. */
void hosts_succeeded(struct host_table *t, const char *host);
/* 1 when a move to host may be tried at now; 0 with why ("backing off after 2 failed
 * moves, 97 s to go: <reason>"). */
int hosts_available(const struct host_table *t, const char *host, double now, char *why,
    size_t len);

/* How bad the host looked: the mean turned so that lower is better. known is set to 0
 * when nothing was learned, or it is older than memory (the host is worth a new try). */
double hosts_badness(const struct host_table *t, const char *host, double now, int *known);
/* The decayed weight of what is known, in samples. */
double hosts_weight(const struct host_table *t, const char *host, double now);

void hosts_hint(struct host_table *t, const char *host, int64_t free_memory, double cpu_idle,
    double now);

/* Migrations arriving at host, as the endpoint counted them at the same look. */
void hosts_hint_incoming(struct host_table *t, const char *host, int incoming);
/* The same two for a record in hand (hosts_get's: records are only ever appended, so its
 * index holds): the simulator hints every host of every VM, and the look-ups by name
 * were a sixth of its time. */
static inline void
hosts_hint_record(struct host_info *h, int64_t free_memory, double cpu_idle, double now)
{
	h->hint_time = now;
	h->free_memory = free_memory;
	h->cpu_idle = cpu_idle;
}

static inline void
hosts_hint_incoming_record(struct host_info *h, int incoming)
{
	h->incoming = incoming;
}

/* Whether the provider drains host, as the endpoint said at the same look: no target. */
void hosts_hint_draining(struct host_table *t, const char *host, int draining);

/* The VM left host at now (its next stay there starts the recent level afresh): it is
 * held from being a target again for hold seconds (none when 0), or twice the last hold
 * (up to hold_max) when it leaves again before that hold has passed once more. Returns
 * the hold. */
double hosts_left(struct host_table *t, const char *host, double now, double hold,
    double hold_max);
/* Where the VM went when it last left host: a way back there from to is a ping-pong. */
void hosts_left_for(struct host_table *t, const char *host, const char *to);
/* 1 when host is held at now (why: "h1 was left 2 min ago ... until 14:05:00 UTC"). */
int hosts_held(const struct host_table *t, const char *host, double now, char *why,
    size_t len);
/* What host promises for the VM now, lower is better: its badness, but no better than
 * the last few samples of its latest stay, for about an hour (a 24th of memory) after
 * them. The VM left a host because it got bad: its mean still holds the good hours before,
 * and must not make it look best again at once. known as hosts_badness. */
double hosts_promise(const struct host_table *t, const char *host, double now, int *known);

/* What the VM remembers of a host it may have left because it got bad there, for the
 * base's admission: level is the worse of its mean and its last samples there, in the
 * indicator's units; returns how much of it still counts, exp(-age / memory) since the
 * last sample there (no staleness: a host left a day ago is not unknown here), or 0 when
 * nothing is known. */
double hosts_recall(const struct host_table *t, const char *host, double now, double *level);

/* A move took seconds; returns the pair's record (NULL when out of memory or bad input). */
struct move_time *hosts_move_time(struct host_table *t, const char *from, const char *to,
    double seconds);
const struct move_time *hosts_move_time_get(const struct host_table *t, const char *from,
    const char *to);

/* state_dir/hosts: a line per host and per pair, tab-separated, written atomically.
 * Load: 1 when there is no file, 0 when loaded, -1 with err; bad lines are skipped and
 * counted in *skipped. */
int hosts_load(struct host_table *t, const char *dir, size_t *skipped, char *err, size_t len);
int hosts_save(const struct host_table *t, const char *dir, char *err, size_t len);
/* One line of that file (modified in place); 0, or -1 when damaged. For the fuzzer. */
int hosts_parse_line(struct host_table *t, char *line);

#endif
