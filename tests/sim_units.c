/* SPDX-License-Identifier: ISC */
/* Unit tests of vmmanage-sim's models: the seeded random numbers and their distributions,
 * trace parsing and lookup, load generators, and the indicator model. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"
#include "tap.h"

static void
test_rng(void)
{
	struct rng a, b, c;

	rng_seed(&a, 1, "nii1", "noise");
	rng_seed(&b, 1, "nii1", "noise");
	rng_seed(&c, 1, "nii3", "noise");
	int same = 1, differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
		same &= x == y;
		differ |= x != z;
	}
	TAP_OK(same, "same seed and name: the same stream");
	TAP_OK(differ, "another name: another stream");
	double lo = 1, hi = 0;
	for (int i = 0; i < 100000; i++) {
		double u = rng_uniform(&a);
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	TAP_OK(lo > 0 && hi < 1 && lo < 1e-3 && hi > 1 - 1e-3, "uniform in (0, 1): %g .. %g", lo, hi);
	TAP_OK(fabs(rng_norm_quantile(0.5)) < 1e-9, "normal quantile at 0.5 is 0");
	TAP_OK(fabs(rng_norm_quantile(0.975) - 1.959964) < 1e-5, "normal quantile at 0.975: %g",
	    rng_norm_quantile(0.975));
	TAP_OK(fabs(rng_norm_quantile(0.001) + 3.090232) < 1e-5, "normal quantile in the tail: %g",
	    rng_norm_quantile(0.001));
}

static void
moments(double (*draw)(double, double, double), double p1, double p2, struct rng *r,
    double *mean, double *var)
{
	double s = 0, s2 = 0;
	int n = 200000;

	for (int i = 0; i < n; i++) {
		double x = draw(p1, p2, rng_uniform(r));
		s += x;
		s2 += x * x;
	}
	*mean = s / n;
	*var = s2 / n - *mean * *mean;
}

static double
poisson3(double mean, double unused, double u)
{
	(void)unused;
	return rng_poisson_at(mean, u);
}

static void
test_distributions(void)
{
	struct rng r;
	double m, v;

	rng_seed(&r, 7, "test", "moments");
	double means[] = { 0.3, 5, 29, 120 };
	for (size_t i = 0; i < 4; i++) {
		moments(poisson3, means[i], 0, &r, &m, &v);
		TAP_OK(fabs(m - means[i]) < 0.02 * means[i] + 0.01 && fabs(v - means[i]) < 0.05 * means[i] + 0.02,
		    "Poisson(%g): mean %.3f, variance %.3f", means[i], m, v);
	}
	TAP_OK(rng_poisson_at(0, 0.99) == 0 && rng_poisson_at(-1, 0.5) == 0, "Poisson(0) is 0");
	moments(rng_binomial_at, 150, 0.3, &r, &m, &v);
	TAP_OK(fabs(m - 45) < 0.5 && fabs(v - 31.5) < 2, "Binomial(150, 0.3): mean %.2f, variance %.2f", m, v);
	moments(rng_binomial_at, 20, 0.1, &r, &m, &v);
	TAP_OK(fabs(m - 2) < 0.05 && fabs(v - 1.8) < 0.1, "Binomial(20, 0.1): mean %.3f, variance %.3f", m, v);
	TAP_OK(rng_binomial_at(150, 1.5, 0.5) == 150 && rng_binomial_at(150, 0, 0.5) == 0,
	    "Binomial at p >= 1 and p = 0");
}

static void
test_trace(void)
{
	struct sim_trace tr;
	char err[256];
	const char *csv = "# slow queries\ntime,value\n0,1\n60,3\r\n\n120;5\n";

	TAP_OK(sim_trace_parse(csv, strlen(csv), "t.csv", &tr, err, sizeof(err)) == 0, "a CSV with a header, comments, CRLF and ';': %s", err);
	TAP_OK(tr.n == 3 && !tr.epoch, "3 points, offsets");
	TAP_OK(sim_trace_at(&tr, 30, 0) == 2 && sim_trace_at(&tr, 90, 0) == 4, "linear between points");
	TAP_OK(sim_trace_at(&tr, -5, 0) == 1 && sim_trace_at(&tr, 500, 0) == 5, "held at the ends");
	/* repeated: the period is the span plus a step (180 s) */
	TAP_OK(fabs(sim_trace_at(&tr, 180 + 30, 1) - 2) < 1e-9, "repeated from the start: %g",
	    sim_trace_at(&tr, 210, 1));
	TAP_OK(fabs(sim_trace_at(&tr, 150, 1) - 3) < 1e-9, "repeated: back to the first value in the last step: %g",
	    sim_trace_at(&tr, 150, 1));
	sim_trace_free(&tr);
	const char *dated = "2009-05-11T00:00:00Z,1\n2009-05-11T00:01:00Z,2\n";
	int rc = sim_trace_parse(dated, strlen(dated), "d.csv", &tr, err, sizeof(err));
	TAP_OK(rc == 0 && tr.epoch && tr.n == 2 && tr.t[0] == 1242000000 && tr.t[1] == 1242000060,
	    "ISO dates in UTC are epochs: %.0f", rc == 0 ? tr.t[0] : 0);
	sim_trace_free(&tr);
	const char *bad[][2] = { { "0,1\n0,2\n", "t.csv:2: times must increase" },
		{ "0,1\nx,2\n", "t.csv:2: the time is neither" }, { "0,1\n5\n", "t.csv:2: expected time,value" },
		{ "", "t.csv: no time,value lines" }, { "0,1\n60,nan\n", "t.csv:2: the value is not a number" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = sim_trace_parse(bad[i][0], strlen(bad[i][0]), "t.csv", &tr, err, sizeof(err));
		TAP_OK(rc < 0 && strncmp(err, bad[i][1], strlen(bad[i][1])) == 0, "refused: %s", err);
	}
}

static void
test_gen(void)
{
	struct gen g = { .value = 2, .amplitude = 1, .period = 86400, .peak = 15 * 3600,
		.weekend = 0.5, .scale = 1 };
	struct gen_state s;
	struct rng r;

	rng_seed(&r, 1, "g", "bursts");
	gen_state_init(&s, &g, &r, 86400 * 7);
	/* local = seconds of a day in UTC here: the peak at 15:00, the trough at 03:00 */
	double peak = gen_value(&s, 0, 0, 1, 15 * 3600, 0);
	double trough = gen_value(&s, 60, 60, 1, 3 * 3600, 0);
	TAP_OK(fabs(peak - 3) < 1e-9 && fabs(trough - 1) < 1e-9, "a daily sine: 3 at the peak, 1 at the trough (%g, %g)", peak, trough);
	double sunday = gen_value(&s, 120, 120, 0, 15 * 3600, 0);
	TAP_OK(fabs(sunday - 1.5) < 1e-9, "halved on a Sunday: %g", sunday);
	/* turning step by step matches cos() */
	double worst = 0;
	for (int k = 0; k < 5000; k++) {
		double local = 1e9 + k * 60.0, v = gen_value(&s, k * 60.0, (int64_t)local, 1, local, 0);
		double want = 2 + cos(2 * M_PI * (local - g.peak) / g.period);
		worst = fmax(worst, fabs(v - want));
	}
	TAP_OK(worst < 1e-9, "the wave by rotation stays within %g of cos()", worst);
	gen_state_free(&s);
	struct gen b = { .value = 1, .scale = 1, .weekend = 1, .burst_per_day = 4, .burst_height = 10,
		.burst_seconds = 1800, .period = 86400 };
	gen_state_init(&s, &b, &r, 86400 * 100);
	TAP_OK(s.nbursts > 300 && s.nbursts < 500, "bursts: about 4 a day (%zu in 100 days)", s.nbursts);
	double in = gen_value(&s, s.bursts[0] + 1, 0, 1, 0, 0);
	TAP_OK(in == 11, "in a burst: + height (%g)", in);
	gen_state_free(&s);
	struct gen sq = { .value = 1, .amplitude = 1, .period = 1800, .shape = GEN_SQUARE, .scale = 1, .weekend = 1 };
	gen_state_init(&s, &sq, &r, 3600);
	TAP_OK(gen_value(&s, 0, 0, 1, 0, 0) == 2 && gen_value(&s, 900, 900, 1, 900, 0) == 0,
	    "a square wave: high, then low");
	gen_state_free(&s);
}

static void
test_model(void)
{
	struct model m = { .slow_per_unit = 12, .knee = 0.7, .exponent = 2, .workers = 150, .round = 1 };

	TAP_OK(model_indicator(&m, IND_SLOW, 2, 0.69, 60, 60, 0.99) == 0, "no slow queries below the knee");
	double lo = model_indicator(&m, IND_SLOW, 2, 0.85, 60, 60, 0.5);
	double hi = model_indicator(&m, IND_SLOW, 2, 1.3, 60, 60, 0.5);
	TAP_OK(lo > 0 && hi > 8 * lo, "steep past saturation: %g at u = 0.85, %g at 1.3", lo, hi);
	TAP_OK(fabs(model_indicator(&m, IND_SLOW, 2, 1.3, 120, 60, 0.5) - 2 * hi) <= 2,
	    "twice the time, twice the slow queries");
	TAP_OK(model_indicator(&m, IND_IDLE, 2, 0.2, 60, 60, 0.5) == 120, "idle workers: 150 * (1 - 0.2)");
	TAP_OK(model_indicator(&m, IND_IDLE, 2, 1.5, 60, 60, 0.5) == 0, "none idle past saturation");
	TAP_OK(model_indicator(&m, IND_DIRECT, 3.4, 9, 60, 60, 0.5) == 3, "direct: the trace, rounded");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_rng();
	test_distributions();
	test_trace();
	test_gen();
	test_model();
	return tap_done();
}
