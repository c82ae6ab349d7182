/* SPDX-License-Identifier: ISC */
/* Said once per episode: a state's message is said when it starts or changes, counted
 * while it lasts, and its count said when it ends ("...: 28 times in all"), as Monit and
 * rsyslog's "message repeated N times". The daemon and the simulator both say the
 * decision's outcomes this way (struct decide_said), so that a simulated log holds the
 * lines the daemon would have written. */
#ifndef VMM_EPISODE_H
#define VMM_EPISODE_H

#include <stdint.h>

#include "core/decide.h"
#include "core/journal.h"
#include "core/quiet.h"

struct episode {
	char kind[16];
	char msg[256];
	uint64_t repeats;            /* times it came again after it was said */
};

/* How a line is said: kind names the event ("suppressed", "nothing"), text is its words. */
typedef void episode_emit(void *arg, const char *kind, const char *text);

void episode_say(struct episode *e, const char *kind, const char *msg, episode_emit *emit,
    void *arg);
/* episode_say for a message whose figures change while the state lasts ("36 s to go",
 * "61 min ago"): the same words with other numbers are the same state. */
void episode_say_alike(struct episode *e, const char *kind, const char *msg,
    episode_emit *emit, void *arg);
/* The state is over: how often it came, when more than once. */
void episode_end(struct episode *e, episode_emit *emit, void *arg);

/* The policy's outcomes that repeat while their reason lasts. */
struct decide_said {
	struct episode nothing;      /* "Already at base" */
	struct episode quiet;        /* "Suppressed move to h2 from policy: quiet window..." */
	struct episode refused;      /* "...: the provider refused..." (until its retry-after) */
	struct episode held;         /* "...: min_stay: ...", "...: base_admit: ..." */
};

/* A policy's request held back (DECIDE_SUPPRESSED), e its event. Through a quiet window,
 * said once for the window; until the provider's retry-after, once; held by a rule, once
 * while the same rule holds with whatever figures. */
void said_suppressed(struct decide_said *s, const struct decide_result *r,
    const struct journal_event *e, episode_emit *emit, void *arg);
/* A policy's request with nothing to do (DECIDE_NOTHING). */
void said_nothing(struct decide_said *s, const char *why, episode_emit *emit, void *arg);
/* After each cycle: the hold ends when what made the policy ask is gone (it asks for
 * nothing and its counters are back to 0), the quiet window's when hold's windows no
 * longer hold at lt. */
void said_cycle(struct decide_said *s, const struct decide_result *r,
    const struct hold_conf *hold, const struct vmm_local_time *lt, episode_emit *emit,
    void *arg);
/* A request went out: what the policy kept deciding where the VM was is over. */
void said_request(struct decide_said *s, episode_emit *emit, void *arg);
/* The end (a stop, the simulation's end): every count is said. */
void said_close(struct decide_said *s, episode_emit *emit, void *arg);

#endif
