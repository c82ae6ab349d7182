/* SPDX-License-Identifier: ISC */
/* One cycle's decision, from a sample to a request (or the reason there is none): the
 * policy, the base re-ask, the target choice and the guard. The daemon and the simulator
 * both run this, so a rule added here holds in both. No I/O and no clock: the caller
 * hands in the times and carries out the request. */
#ifndef VMM_DECIDE_H
#define VMM_DECIDE_H

#include <stddef.h>

#include <vmmanage/endpoint.h>
#include <vmmanage/policy.h>

#include "core/damping.h"
#include "core/efficacy.h"
#include "core/forecast.h"
#include "core/guard.h"
#include "core/hosts.h"
#include "core/quiet.h"
#include "core/targets.h"

struct decider {
	const struct vmm_policy_ops *policy;
	void *policy_state;
	struct topology topo;
	struct guard *guard;
	struct host_table *known;      /* NULL: the thesis's round-robin, no learning */
	enum target_choice choice;
	double interval;               /* seconds one sample stands for */
	const char *base;              /* NULL: none */
	struct damper *damp;           /* NULL: no damping (the thesis) */
	struct efficacy *eff;          /* NULL: not measured */
	struct forecast *fc;           /* NULL: no forecast for the policy (the thesis) */
	enum vmm_direction direction;
	struct hold hold;              /* quiet windows and splay; hold.c NULL: none */
	const struct target_rules *rules; /* NULL: none (the thesis) */
	uint64_t seed;                 /* the VM's own, for the target draw: decide_seed() */
};

/* A VM's seed from its name: the same name draws the same in the daemon and the
 * simulator. */
uint64_t decide_seed(const char *name);

struct decide_input {
	struct vmm_sample sample;
	const char *location;          /* "" when unknown */
	int at_home;                   /* 1, 0, -1 unknown */
	int busy;                      /* the endpoint is busy (a move or a locate) */
	const char *busy_why;          /* says with what, for the log */
	double mono;                   /* monotonic seconds, for the guard */
	double wall;                   /* epoch seconds, for the host table */
	int cli;                       /* an administrator's action: no damping, any mode */
	const char *leave;             /* the provider drains this host: why, to leave it even when
	                                * the policy asks for nothing; NULL: stay */
	struct vmm_local_time local;   /* sample.time in the caller's zone, for the policy */
	int terse;                     /* no one reads the reason of a cycle with no action */
};

enum decide_kind {
	DECIDE_NONE = 0,     /* the policy asked for nothing */
	DECIDE_REQUEST,      /* send action to target now */
	DECIDE_NOTHING,      /* asked, but there is nothing to do (already at base) */
	DECIDE_SUPPRESSED,   /* asked, held back by a rule: why names it */
	DECIDE_ERROR,        /* asked, impossible with this config: why says what to set */
	DECIDE_RECOMMEND     /* would request, but the mode or the breaker says only recommend */
};

struct decide_result {
	enum decide_kind kind;
	struct vmm_decision decision;  /* the policy's own answer (reason, process_queue) */
	struct vmm_policy_counters counters;
	enum vmm_action action;        /* may differ from the policy's: the base re-ask */
	char reason[160];              /* why the action (the policy's reason, or the core's) */
	char target[128];
	int cross_site;
	char choice[512];              /* why this target, when there was a choice */
	char why[256];                 /* DECIDE_NOTHING/SUPPRESSED/ERROR/RECOMMEND: why not */
	int held;                      /* HOLD_QUIET, HOLD_SPLAY: suppressed by the clock */
	char through[256];             /* an administrator's request goes through this quiet window */
	double warming;                /* seconds of warm-up left: the sample did not count */
	int measured;                  /* a move's efficacy was measured with this sample */
	int provider_hold;             /* suppressed by the provider's retry-after (the guard) */
	struct efficacy_result efficacy;
};

/* A sample: let the policy evaluate it (and learn from it), then decide. */
void decide_cycle(struct decider *d, const struct decide_input *in, struct decide_result *out);
/* An action asked by someone else (the CLI): target and guard only. */
void decide_action(struct decider *d, enum vmm_action act, const struct decide_input *in,
    struct decide_result *out);
/* The caller sent the request: the guard and the breaker count it. 1 when it tripped the
 * breaker (why says so). */
int decide_sent(struct decider *d, const struct decide_input *in, char *why, size_t len);
/* A move was confirmed: warm-up and minimum stay start again, efficacy is measured. */
void decide_arrived(struct decider *d, double mono, const char *from, const char *to);

/* What came of a move, as the endpoint (or the simulation) told it. */
struct decide_move {
	enum vmm_move_outcome outcome;
	const char *from;              /* where the VM was when it was sent */
	const char *target;            /* where it was sent */
	const char *location;          /* where the endpoint says it runs now; NULL or "": not said */
	double took;                   /* seconds the move took */
	enum vmm_failure failure;
	int permanent;                 /* the endpoint says retrying will not help */
	const char *detail;            /* the endpoint's words; NULL or "": none */
	double retry_after;            /* VMM_MOVE_REFUSED: seconds before asking again */
	int cross_site;                /* the site policy's trip: no ping-pong warning */
	double mono, wall;             /* monotonic (guard, damping) and epoch (host table) seconds */
};

struct decide_moved {
	int located;                   /* the location below is where the VM is now */
	const char *location;          /* points into the decide_move */
	int confirmed;                 /* the endpoint said so (else assumed) */
	int pingpong;                  /* the guard saw it go back where it came from... */
	int warn;                      /* ...and it is to be said (why): not a cross-site trip */
	char why[256];
	double wait;                   /* failed: seconds the target waits; < 0: passed over */
	int failures;                  /* failed: in a row, this one included */
};

/* The bookkeeping after a move's outcome, in one order for the daemon and the simulator:
 * where the VM is (and the guard's ping-pong check), then on arrival the damper and
 * efficacy and what the host table learns (success, T_M), on failure the target's
 * backoff; on a refusal by the provider, nothing of that: the guard holds the next
 * request until the retry-after and the breaker forgets it; last, the guard lets the next
 * request out. */
void decide_moved(struct decider *d, const struct decide_move *m, struct decide_moved *out);

#endif
