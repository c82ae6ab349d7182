/* SPDX-License-Identifier: ISC */
/* Seeded, portable random numbers for the simulator: the same seed gives the same run on
 * every machine (no rand(), no libc state). */
#include "config.h"

#include <math.h>
#include <stddef.h>

#include "common/strutil.h"
#include "sim/rng.h"

uint64_t
rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed, const char *name, const char *purpose)
{
	/* FNV-1a: a stream depends on the names, not on the order of the simulation file */
	uint64_t x = vmm_fnv1a_str(vmm_fnv1a_str(VMM_FNV1A_BASIS ^ seed, name), "/");

	x = vmm_fnv1a_str(x, purpose);
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&x);
}

double
rng_norm_quantile(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
		2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
		2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00 };
	double q, r;

	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425 || p > 1 - 0.02425) {
		q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
		double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
		return p < 0.5 ? x : -x;
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double
rng_poisson_at(double mean, double u)
{
	if (!(mean > 0))
		return 0;
	if (mean > 30) {
		/* exp(-mean) underflows and the walk grows long: a normal with a continuity
		 * correction is close enough for an indicator */
		double x = floor(mean + sqrt(mean) * rng_norm_quantile(u) + 0.5);
		return x < 0 ? 0 : x;
	}
	double p = exp(-mean), cdf = p;
	int k = 0;
	while (cdf < u && k < 1000) {
		k++;
		p *= mean / k;
		cdf += p;
	}
	return k;
}

double
rng_binomial_at(double n, double p, double u)
{
	if (!(n >= 1) || !(p > 0))
		return 0;
	if (p >= 1)
		return n;
	double var = n * p * (1 - p);
	if (var > 25 || n > 1000) {
		double x = floor(n * p + sqrt(var) * rng_norm_quantile(u) + 0.5);
		return x < 0 ? 0 : x > n ? n : x;
	}
	/* the walk from 0, with P(0) = (1-p)^n */
	double q = pow(1 - p, n), cdf = q;
	int k = 0;
	while (cdf < u && k < (int)n) {
		q *= (n - k) / (k + 1.0) * p / (1 - p);
		k++;
		cdf += q;
	}
	return k;
}
