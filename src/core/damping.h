/* SPDX-License-Identifier: ISC */
/* Damping, as the infrastructure schedulers learned it (DRS automation levels, the HPA's
 * stabilization, Monit's "N restarts within M cycles then unmonitor"): after a move the
 * indicator is not trusted for `warmup` seconds (a moved MySQL starts with a cold cache),
 * a host is kept `min_stay` seconds, and `breaker_moves` requests within `breaker_window`
 * stop the agent acting on its own until `vmmanage resume` or `breaker_hold` has passed.
 * Pure state: monotonic seconds are handed in. */
#ifndef VMM_DAMPING_H
#define VMM_DAMPING_H

#include <stddef.h>
#include <stdint.h>

#define DAMPER_HISTORY 64

enum vmm_mode {
	VMM_MODE_AUTOMATIC = 0, /* decide and act */
	VMM_MODE_RECOMMEND,     /* decide and log what it would request, without acting */
	VMM_MODE_MANUAL         /* act on CLI actions only */
};

struct damping_conf {
	enum vmm_mode mode;
	double warmup, min_stay;    /* seconds; 0: off */
	double min_stay_override;   /* a sample this bad moves anyway; NAN: never */
	int64_t breaker_moves;      /* 0: no breaker */
	double breaker_window;      /* seconds */
	double breaker_hold;        /* seconds until it acts again by itself; 0: only resume */
	double move_margin;         /* fraction the target must beat staying by */
};

struct damper {
	struct damping_conf c;
	double arrived;             /* when the VM came to this host (or the agent started) */
	double requests[DAMPER_HISTORY]; /* the policy's requests, for the breaker */
	size_t nrequests, next;
	double tripped;             /* < 0: not tripped */
	uint64_t trips;
};

void damper_init(struct damper *d, const struct damping_conf *c, double now);
/* New settings (a reload); the history stays. */
void damper_configure(struct damper *d, const struct damping_conf *c);
/* The VM is on a new host (a confirmed move) at now. */
void damper_arrived(struct damper *d, double now);
/* Seconds of warm-up left; 0 when the indicator can be trusted. */
double damper_warming(const struct damper *d, double now);
/* 1 when the VM must stay (why says how long), 0 when it may move. */
int damper_staying(const struct damper *d, double now, char *why, size_t len);
/* The policy's request went out: 1 when it trips the breaker (why says so). */
int damper_requested(struct damper *d, double now, char *why, size_t len);
/* The request just counted did not go anywhere (the provider refused it): it counts no
 * more toward the breaker. */
void damper_unrequest(struct damper *d);
/* 1 while tripped (why says until when); the hold ends it by itself. */
int damper_tripped(struct damper *d, double now, char *why, size_t len);
/* `vmmanage resume`: 1 when it was tripped. */
int damper_resume(struct damper *d);
const char *damper_mode_name(enum vmm_mode m);

#endif
