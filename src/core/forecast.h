/* SPDX-License-Identifier: ISC */
/* Where the indicator is heading: the least-squares line through the last samples on this
 * host, read `anticipate` seconds after the newest. A threshold counted only once it is
 * crossed costs at least `tarry` minutes over it every time the load climbs (the thesis's
 * SLA minutes); a rising line lets the policy count those cycles before the crossing,
 * as Prometheus alerts on predict_linear. Pure: the sample times are handed in. */
#ifndef VMM_FORECAST_H
#define VMM_FORECAST_H

#include <stddef.h>

#define FORECAST_SAMPLES 5      /* the line runs through at most this many */
#define FORECAST_MIN_SAMPLES 3  /* fewer say nothing */

struct forecast {
	double horizon;             /* seconds ahead; 0: off */
	double t[FORECAST_SAMPLES], v[FORECAST_SAMPLES];
	size_t n, next;
};

void forecast_init(struct forecast *f, double horizon);
/* New settings (a reload): the samples stay unless anticipate is now off. */
void forecast_configure(struct forecast *f, double horizon);
/* The VM is on another host (or its samples stopped counting): start again. */
void forecast_clear(struct forecast *f);
void forecast_add(struct forecast *f, double t, double v);
/* 1 with *out the line's value `horizon` seconds after the newest sample; 0 when off or
 * too few samples. */
int forecast_value(const struct forecast *f, double *out);

#endif
