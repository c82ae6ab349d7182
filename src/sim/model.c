/* SPDX-License-Identifier: ISC */
/* The simulator's models: load over time (waves, traces, weekends, bursts, noise), and
 * how demand against a host's free capacity becomes the indicator a policy sees. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int
gen_state_init(struct gen_state *s, const struct gen *g, struct rng *r, double duration)
{
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	s->g = g;
	/* both draws are taken even when unused, so adding a key moves no other stream */
	double u = rng_uniform(r);
	s->phase = g->phase_spread > 0 ? (2 * u - 1) * g->phase_spread : 0;
	if (!(g->burst_per_day > 0) || !(g->burst_seconds > 0))
		return 0;
	double rate = g->burst_per_day / 86400, t = 0;
	for (;;) {
		t += -log(rng_uniform(r)) / rate;
		if (t >= duration)
			break;
		if (s->nbursts == cap) {
			double *nb = realloc(s->bursts, (cap = cap ? cap * 2 : 8) * sizeof(*nb));
			if (nb == NULL)
				return -1;
			s->bursts = nb;
		}
		s->bursts[s->nbursts++] = t;
	}
	return 0;
}

void
gen_state_free(struct gen_state *s)
{
	free(s->bursts);
	memset(s, 0, sizeof(*s));
}

/* The wave and the turn afresh (gen_wave's rare path: out of line, so that the common
 * one, inlined in gen_value, saves no registers for sin and cos). */
static __attribute__((noinline)) void
gen_wave_afresh(struct gen_state *s, double local, double dt)
{
	const struct gen *g = s->g;
	double a = 2 * M_PI * (local - g->peak - s->phase) / g->period;

	s->wc = cos(a);
	s->ws = sin(a);
	if (!s->wvalid || dt != s->rot_dt) {
		s->rot_dt = dt;
		s->rc = cos(2 * M_PI * dt / g->period);
		s->rs = sin(2 * M_PI * dt / g->period);
	}
	s->wturns = 0;
	s->wvalid = 1;
}

/* cos(2 pi (local - peak - phase) / period), by turning the last value when time moved
 * on by the same amount as last time (every step but DST changes), and afresh every 1024
 * turns so that rounding cannot pile up. */
static inline double
gen_wave(struct gen_state *s, double local)
{
	double dt = local - s->wlocal;

	if (s->wvalid && dt == s->rot_dt && s->wturns < 1024) {
		double c = s->wc * s->rc - s->ws * s->rs, sn = s->ws * s->rc + s->wc * s->rs;
		s->wc = c;
		s->ws = sn;
		s->wturns++;
	} else {
		gen_wave_afresh(s, local, dt);
	}
	s->wlocal = local;
	return s->wc;
}

double
gen_value(struct gen_state *s, double t, int64_t epoch, int wday, double local, double z)
{
	const struct gen *g = s->g;
	double v = g->value;

	if (g->trace != NULL)
		v += sim_trace_at(g->trace, (g->trace->epoch ? (double)epoch : t) - s->phase, g->repeat);
	if (g->amplitude != 0) {
		double c = gen_wave(s, local);
		if (g->shape == GEN_SQUARE)
			c = c >= 0 ? 1 : -1;
		v += g->amplitude * c;
	}
	if ((wday == 0 || wday == 6) && g->weekend != 1)
		v *= g->weekend;
	while (s->next < s->nbursts && s->bursts[s->next] + g->burst_seconds <= t)
		s->next++;
	if (s->next < s->nbursts && s->bursts[s->next] <= t)
		v += g->burst_height;
	if (g->noise > 0)
		v *= 1 + g->noise * z;
	v *= g->scale;
	return v > g->floor ? v : g->floor;
}

double
model_indicator(const struct model *m, enum indicator ind, double d, double u, double elapsed,
    double interval, double q)
{
	switch (ind) {
	case IND_SLOW: {
		/* queries are slow once the host is past the knee, steeply more so past saturation:
		 * per minute, slow_per_unit * demand * ((u - knee) / (1 - knee))^exponent */
		if (!(d > 0) || !(u > m->knee))
			return 0;
		double f = pow((u - m->knee) / (1 - m->knee), m->exponent);
		return rng_poisson_at(m->slow_per_unit * d * f * elapsed / 60, q);
	}
	case IND_IDLE: {
		/* workers are idle in proportion to the capacity left */
		double p = u < 0 ? 1 : u > 1 ? 0 : 1 - u;
		(void)interval;
		return rng_binomial_at(m->workers, p, q);
	}
	default:
		return m->round ? floor(d + 0.5) : d;
	}
}
