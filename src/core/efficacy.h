/* SPDX-License-Identifier: ISC */
/* Did the move help? The indicator's mean over the last `window` trusted samples before a
 * confirmed move, against the first `window` after the warm-up on the new host (OpenStack
 * Watcher's efficacy indicators, DRS's reason per move). Pure state. */
#ifndef VMM_EFFICACY_H
#define VMM_EFFICACY_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/module.h>

#define EFFICACY_MAX_WINDOW 64
#define EFFICACY_KEEP 8

struct efficacy_result {
	char from[64], to[64];
	double before, after;
	double gain;        /* the improvement: positive is better, whatever the direction */
};

struct efficacy {
	size_t window;
	enum vmm_direction direction;
	double recent[EFFICACY_MAX_WINDOW]; /* trusted samples on this host, a ring */
	size_t nrecent, next;
	int measuring;
	struct efficacy_result cur;
	double sum;
	size_t count;
	struct efficacy_result done[EFFICACY_KEEP]; /* the latest, oldest first */
	size_t ndone;
	double gain_sum;
	uint64_t measured;
};

void efficacy_init(struct efficacy *e, size_t window, enum vmm_direction direction);
void efficacy_configure(struct efficacy *e, size_t window, enum vmm_direction direction);
/* A trusted sample (known, past the warm-up): 1 when it completes a measurement, whose
 * result is then the last of done[]. */
int efficacy_sample(struct efficacy *e, double value);
/* A confirmed move: what was seen before it is the "before". */
void efficacy_moved(struct efficacy *e, const char *from, const char *to);
/* The mean gain over all measured moves; 0 when none. */
double efficacy_mean_gain(const struct efficacy *e);

#endif
