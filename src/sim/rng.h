/* SPDX-License-Identifier: ISC */
/* The simulator's random numbers: splitmix64 to seed, xoshiro256** to draw, and the
 * inverse-CDF draws that turn one uniform into a normal, Poisson or binomial value, so
 * that every cycle uses the same number of draws whatever the policy did (common random
 * numbers: --compare's two runs see the same demand and the same noise). */
#ifndef VMM_SIM_RNG_H
#define VMM_SIM_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

uint64_t rng_splitmix(uint64_t *x);
/* A stream from the seed and a name (a VM's, a host's) and a purpose ("noise"). */
void rng_seed(struct rng *r, uint64_t seed, const char *name, const char *purpose);

/* Both inline: three draws a simulated VM-cycle, where the call cost as much as the draw. */
static inline uint64_t
rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s, result = rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in (0, 1): never 0, never 1. */
static inline double
rng_uniform(struct rng *r)
{
	/* 53 random bits, shifted half a step off 0 */
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* The standard normal's quantile at p in (0, 1) (Acklam, |error| < 1.2e-9). */
double rng_norm_quantile(double p);
/* Poisson(mean) at the quantile u. */
double rng_poisson_at(double mean, double u);
/* Binomial(n, p) at the quantile u (normal approximation when n p (1 - p) > 25). */
double rng_binomial_at(double n, double p, double u);

#endif
