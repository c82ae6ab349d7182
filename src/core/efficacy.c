/* SPDX-License-Identifier: ISC */
/* Efficacy of each move: the indicator before and after, and the gain. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/efficacy.h"

void
efficacy_init(struct efficacy *e, size_t window, enum vmm_direction direction)
{
	memset(e, 0, sizeof(*e));
	efficacy_configure(e, window, direction);
}

void
efficacy_configure(struct efficacy *e, size_t window, enum vmm_direction direction)
{
	if (window < 1)
		window = 1;
	if (window > EFFICACY_MAX_WINDOW)
		window = EFFICACY_MAX_WINDOW;
	if (window != e->window || direction != e->direction)
		e->nrecent = e->next = 0, e->measuring = 0;
	e->window = window;
	e->direction = direction;
}

static void
efficacy_remember(struct efficacy *e, double v)
{
	e->recent[e->next] = v;
	e->next = (e->next + 1) % e->window;
	if (e->nrecent < e->window)
		e->nrecent++;
}

static void
efficacy_finish(struct efficacy *e)
{
	struct efficacy_result *r = &e->cur;

	r->after = e->sum / (double)e->count;
	r->gain = e->direction == VMM_LOWER_IS_WORSE ? r->after - r->before : r->before - r->after;
	if (e->ndone == EFFICACY_KEEP) {
		memmove(&e->done[0], &e->done[1], (EFFICACY_KEEP - 1) * sizeof(e->done[0]));
		e->ndone--;
	}
	e->done[e->ndone++] = *r;
	e->gain_sum += r->gain;
	e->measured++;
	e->measuring = 0;
}

int
efficacy_sample(struct efficacy *e, double value)
{
	efficacy_remember(e, value);
	if (!e->measuring)
		return 0;
	e->sum += value;
	if (++e->count < e->window)
		return 0;
	efficacy_finish(e);
	return 1;
}

void
efficacy_moved(struct efficacy *e, const char *from, const char *to)
{
	double sum = 0;

	/* a move before the last one was measured: that one stays unmeasured */
	e->measuring = e->nrecent > 0;
	for (size_t i = 0; i < e->nrecent; i++)
		sum += e->recent[i];
	memset(&e->cur, 0, sizeof(e->cur));
	snprintf(e->cur.from, sizeof(e->cur.from), "%s", from ? from : "");
	snprintf(e->cur.to, sizeof(e->cur.to), "%s", to ? to : "");
	e->cur.before = e->nrecent ? sum / (double)e->nrecent : 0;
	e->sum = 0;
	e->count = 0;
	e->nrecent = e->next = 0;
}

double
efficacy_mean_gain(const struct efficacy *e)
{
	return e->measured ? e->gain_sum / (double)e->measured : 0;
}
