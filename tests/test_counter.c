/* SPDX-License-Identifier: ISC */
/* The counter policies' reasons are put together without printf (policies/counter.h):
 * the text must be what snprintf gave, for every value (whole numbers below 10^6, the
 * rest, -0, NaN, infinities), with its truncation, and through both sides of a pair in
 * both directions, tarry and within. The expected texts here are the formats the
 * policies used with snprintf. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "counter.h"
#include "tap.h"

static const double edge_values[] = { 0, -0.0, 1, -1, 7, 20, 42, 50, 76, 99999, 100000,
	999999, -999999, 1e6, -1e6, 1000001, 123456.5, 0.5, -0.5, 1e-5, 1e-4, 3.14159265,
	2.5e-310, 1e300, 4503599627370496.0, 9.2233720368547758e18, 1e19, NAN, INFINITY,
	-INFINITY };

static int
g_same(double v)
{
	char want[64], got[64];
	struct counter_text t = { .p = got, .cap = sizeof(got) };

	snprintf(want, sizeof(want), "%g", v);
	counter_text_g(&t, v);
	return strcmp(want, got) == 0;
}

static void
test_g(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(edge_values) / sizeof(edge_values[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), "%g", edge_values[i]);
		TAP_OK(g_same(edge_values[i]), "%%g of %s", want);
	}
	/* every whole number around the fast path's edge, and a spread of others */
	for (double v = -1000100; v <= 1000100; v += v > -1000000 && v < 1000000 ? 997 : 1, n++)
		bad += !g_same(v);
	for (int i = 0; i < 200000; i++, n++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double v = (double)(int64_t)(x >> 11) / (double)(1ULL << (x % 60));
		bad += !g_same(v) + !g_same(floor(v)) + !g_same(v / 1e9);
	}
	TAP_OK(bad == 0, "%%g the same as snprintf's for %zu more values (%zu differ)", n, bad);
}

static void
test_truncation(void)
{
	const char *text = "indicator 76 above 50, 2 of 3 cycles";
	size_t bad = 0;

	for (size_t cap = 1; cap <= strlen(text) + 2; cap++) {
		char want[64], got[64];
		struct counter_text t = { .p = got, .cap = cap };
		memset(got, 'x', sizeof(got));
		snprintf(want, cap, "%s", text);
		counter_text_str(&t, "indicator ");
		counter_text_int(&t, 76);
		counter_text_str(&t, " above ");
		counter_text_g(&t, 50);
		counter_text_of(&t, 2, 3);
		bad += strcmp(want, got) != 0 || t.len != strlen(want);
	}
	TAP_OK(bad == 0, "cut at every length as snprintf cuts (%zu differ)", bad);
}

/* The reasons as the policies formatted them with snprintf. */
static void
old_high(struct counter *c, enum vmm_direction d, double v, struct vmm_decision *out)
{
	int worse = counter_worse(d, v, c->threshold);
	const char *side = (d == VMM_LOWER_IS_WORSE) ? "below" : "above";

	if (counter_step(c, worse)) {
		out->action = VMM_ACT_MOVE;
		if (c->within_y > 0)
			snprintf(out->reason, sizeof(out->reason), "indicator %g %s %g in %lld of the last %lld cycles",
			    v, side, c->threshold, (long long)c->within_x, (long long)c->within_y);
		else
			snprintf(out->reason, sizeof(out->reason), "indicator %g %s %g for %lld cycles",
			    v, side, c->threshold, (long long)c->tarry);
	} else if (worse)
		snprintf(out->reason, sizeof(out->reason), "indicator %g %s %g, %lld of %lld cycles",
		    v, side, c->threshold, (long long)c->count, (long long)c->tarry);
	else
		snprintf(out->reason, sizeof(out->reason), "indicator %g within threshold %g",
		    v, c->threshold);
}

static void
old_pair(struct counter_pair *p, double v, struct vmm_decision *out)
{
	int idle = counter_idle(p->direction, v, p->low.threshold);
	const char *side = (p->direction == VMM_LOWER_IS_WORSE) ? "above" : "below";

	old_high(&p->high, p->direction, v, out);
	if (counter_step(&p->low, idle)) {
		out->action = VMM_ACT_MOVE_TO_BASE;
		snprintf(out->reason, sizeof(out->reason), "indicator %g %s %g for %lld cycles",
		    v, side, p->low.threshold, (long long)p->low.tarry);
	} else if (idle)
		snprintf(out->reason, sizeof(out->reason), "indicator %g %s %g, %lld of %lld cycles",
		    v, side, p->low.threshold, (long long)p->low.count, (long long)p->low.tarry);
}

static void
test_pair(enum vmm_direction d, int within)
{
	struct counter_pair p = { .direction = d }, q;
	uint64_t x = 12345;
	size_t bad = 0, moves = 0, bases = 0;
	int lower = d == VMM_LOWER_IS_WORSE;

	p.high = (struct counter){ .threshold = lower ? 20 : 50, .tarry = 3 };
	p.low = (struct counter){ .threshold = lower ? 80 : 1.5, .tarry = 5 };
	if (within)
		p.high.within_x = 3, p.high.within_y = 5;
	q = p;
	for (int i = 0; i < 20000; i++) {
		struct vmm_decision a, b;
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		/* stretches of low, middling and high values, so that both sides fire */
		unsigned r = (unsigned)(x >> 33), stretch = (unsigned)(i / 17) % 3;
		double v = stretch == 0 ? r % 3 : stretch == 1 ? 30 + r % 30 : 70 + r % 31;
		if (i % 7 == 0)
			v += 0.25;
		counter_decision_clear(&a);
		counter_decision_clear(&b);
		counter_pair_new_cycle(&p);
		counter_pair_new_cycle(&q);
		counter_eval_pair(&p, &(struct vmm_policy_input){ .sample = { .known = 1, .value = v } }, &a);
		old_pair(&q, v, &b);
		bad += a.action != b.action || strcmp(a.reason, b.reason) != 0 ||
		    memcmp(&p, &q, sizeof(p)) != 0;
		moves += a.action == VMM_ACT_MOVE;
		bases += a.action == VMM_ACT_MOVE_TO_BASE;
	}
	TAP_OK(bad == 0 && moves > 0 && bases > 0,
	    "%s is worse, %s: the pair's reasons and counts as with snprintf (%zu differ; %zu moves, %zu to base)",
	    lower ? "lower" : "higher", within ? "within 3/5" : "tarry 3", bad, moves, bases);
}

int
main(void)
{
	test_g();
	test_truncation();
	test_pair(VMM_HIGHER_IS_WORSE, 0);
	test_pair(VMM_LOWER_IS_WORSE, 0);
	test_pair(VMM_HIGHER_IS_WORSE, 1);
	test_pair(VMM_LOWER_IS_WORSE, 1);
	return tap_done();
}
