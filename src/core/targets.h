/* SPDX-License-Identifier: ISC */
/* Where an action sends the VM: the thesis's array walk (getNextLocation and friends),
 * as a pure function of the topology and the current location. */
#ifndef VMM_TARGETS_H
#define VMM_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/module.h>

struct host_table;

struct topology {
	const char *const *hosts; /* the array */
	size_t nhosts;
	const char *base;         /* may be NULL */
	const char *const *home;  /* NULL: the home site is `hosts` */
	size_t nhome;
	const char *const *away;
	size_t naway;
};

enum target_result {
	TARGET_CHOSEN = 1,  /* target filled; msg says why that one when there was a choice */
	TARGET_NOTHING = 0, /* nothing to do: msg says why ("Already at base") */
	TARGET_NONE = -1,   /* cannot: msg says what is missing in the config */
	TARGET_WAIT = -2    /* every possible target is backing off: msg says until when */
};

enum target_choice {
	TARGET_LEARNED = 0,   /* the best-known host, unknown or stale ones first */
	TARGET_ROUND_ROBIN    /* the thesis: the next host in the array */
};

/* What a choice may use besides the topology. known == NULL: exactly the thesis's walk,
 * no host skipped. */
struct target_knowledge {
	const struct host_table *known;
	enum target_choice choice;
	double now;                 /* wall-clock seconds, as in the host table */
	int ignore_backoff;         /* an administrator's action tries backing-off hosts too */
	/* the fleet rules (zero: off, the choice as before them) */
	double near_best;           /* any known host within this fraction of the best may be
	                             * chosen, at random, so that a fleet does not herd; when
	                             * the best is unknown, any unknown host as idle; 0: the
	                             * best, the first in the array's order on a tie */
	uint64_t seed;              /* the VM's own (from its name): its draws are its own and
	                             * reproducible, the decision time mixed in */
	int max_incoming;           /* a host with this many migrations arriving is no target */
	int check_memory;           /* a host without the VM's memory and headroom free is none */
	int64_t memory_headroom;    /* bytes beyond the VM's memory */
	double pingpong_gain;       /* a host the VM just left is a target again before its hold
	                             * ends only when it promises this fraction better than here;
	                             * 0: only when no other host is left */
};

/* The fleet rules as configured (vmmanage.conf(5): near_best, max_incoming,
 * memory_headroom, pingpong_hold, pingpong_hold_max, pingpong_gain, base_admit,
 * base_recall, base_lead). */
struct target_rules {
	double near_best;
	int max_incoming;           /* 0: no cap */
	int check_memory;
	int64_t memory_headroom;    /* bytes */
	double pingpong_hold, pingpong_hold_max; /* seconds; 0: no hold */
	double pingpong_gain;
	double base_admit;          /* an idle VM goes back to the base only when what it
	                             * remembers of the base is within this fraction of the
	                             * threshold; 0: always */
	double base_recall;         /* seconds the base's quarter hours are remembered; 0: off */
	double base_lead;           /* seconds ahead of a bad one the VM leaves the base */
};

/* How old an endpoint's hint may be and still rule a host out: the agent asks where the VM
 * runs every locate_interval (300 s by default), and reads the hints then. Migrations
 * arriving are believed only as long as moves to that host took, when that is known. */
#define TARGET_HINT_MAX_AGE 900.0

/* current may be NULL or "" when unknown; at_home is 1, 0 or -1 (unknown). */
enum target_result target_for(const struct topology *t, const struct target_knowledge *k,
    enum vmm_action a, const char *current, int at_home, char *target, size_t tlen,
    int *cross_site, char *msg, size_t mlen);

/* Is host in the home site? 1 (home, or the base), 0 (away), or -1 when it is none of
 * them. */
int target_at_home(const struct topology *t, const char *host);

#endif
