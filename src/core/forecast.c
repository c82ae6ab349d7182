/* SPDX-License-Identifier: ISC */
/* The indicator's line through its last samples (forecast.h says why). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/forecast.h"

void
forecast_init(struct forecast *f, double horizon)
{
	memset(f, 0, sizeof(*f));
	f->horizon = horizon > 0 ? horizon : 0;
}

void
forecast_configure(struct forecast *f, double horizon)
{
	f->horizon = horizon > 0 ? horizon : 0;
	if (f->horizon == 0)
		forecast_clear(f);
}

void
forecast_clear(struct forecast *f)
{
	f->n = 0;
	f->next = 0;
}

void
forecast_add(struct forecast *f, double t, double v)
{
	if (f->horizon <= 0 || !isfinite(v) || !isfinite(t))
		return;
	f->t[f->next] = t;
	f->v[f->next] = v;
	f->next = (f->next + 1) % FORECAST_SAMPLES;
	if (f->n < FORECAST_SAMPLES)
		f->n++;
}

int
forecast_value(const struct forecast *f, double *out)
{
	double mt = 0, mv = 0, stt = 0, stv = 0, newest;
	size_t last;

	if (f->horizon <= 0 || f->n < FORECAST_MIN_SAMPLES)
		return 0;
	last = (f->next + FORECAST_SAMPLES - 1) % FORECAST_SAMPLES;
	newest = f->t[last];
	/* times relative to the newest: epoch seconds squared lose the digits that matter */
	for (size_t i = 0; i < f->n; i++) {
		mt += f->t[i] - newest;
		mv += f->v[i];
	}
	mt /= (double)f->n;
	mv /= (double)f->n;
	for (size_t i = 0; i < f->n; i++) {
		double dt = f->t[i] - newest - mt;
		stt += dt * dt;
		stv += dt * (f->v[i] - mv);
	}
	if (!(stt > 0))
		return 0;
	*out = mv + stv / stt * (f->horizon - mt);
	return isfinite(*out);
}
