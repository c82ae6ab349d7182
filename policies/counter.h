/* SPDX-License-Identifier: ISC */
/* Tarry counters shared by the threshold, base and schedule policies (and the site policy's
 * config helpers): each module is its own .so, so the shared code is static inline. */
#ifndef VMM_POLICY_COUNTER_H
#define VMM_POLICY_COUNTER_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vmmanage/policy.h>

/* One side of a policy: "v beyond threshold for tarry cycles in a row", or, with
 * within = "X/Y", "in X of the last Y cycles" (Monit's "X times within Y cycles", for an
 * indicator that oscillates around the threshold and so never holds for tarry in a row). */
struct counter {
	double threshold;
	int64_t tarry;
	int64_t count;
	int64_t within_x, within_y; /* 0: tarry in a row */
	uint64_t hist;              /* the last within_y known samples, 1 = beyond */
	int64_t fired;              /* the count that fired in this cycle (for the log), or 0 */
	int minor2;                 /* the daemon fills the input's forecast and terse (minor 2) */
};

/* The base policy's pair: `high` fires move, `low` (idle) fires move_to_base. */
struct counter_pair {
	enum vmm_direction direction;
	struct counter high;
	struct counter low;
};

/* Refuse a daemon older than the host API this module was built against: calling a
 * function pointer it does not have would crash instead of failing cleanly. */
static inline int
counter_host_ok(const struct vmm_host *host, const char *policy, char *err, size_t errlen)
{
	if (host == NULL || host->abi != VMM_HOST_ABI || host->size < sizeof(struct vmm_host)) {
		snprintf(err, errlen, "policy %s: built for host ABI %u, the daemon offers %u: rebuild it",
		    policy, (unsigned)VMM_HOST_ABI, host ? (unsigned)host->abi : 0u);
		return -1;
	}
	return 0;
}

/* "Worse than the threshold" for this direction. Equal never counts: the thesis scripts
 * compared with > and <, and Listing 4.3 depends on it. */
static inline int
counter_worse(enum vmm_direction d, double v, double threshold)
{
	return d == VMM_LOWER_IS_WORSE ? v < threshold : v > threshold;
}

/* "Better than the low threshold", i.e. idle enough to go to the base. */
static inline int
counter_idle(enum vmm_direction d, double v, double lowthreshold)
{
	return d == VMM_LOWER_IS_WORSE ? v > lowthreshold : v < lowthreshold;
}

/* Word for messages: "76 above 50" reads right for both directions. */
static inline const char *
counter_side(enum vmm_direction d, int worse)
{
	return (d == VMM_LOWER_IS_WORSE) == !!worse ? " below " : " above ";
}

/* Count a hit or restart on a miss; 1 when tarry hits in a row are reached, and then the
 * counter starts again from 0 (scripts B.1, C.1). The scripts printed the count before
 * that reset: the firing cycle shows the count that fired (counter_shown). */
static inline int
counter_step(struct counter *c, int hit)
{
	if (c->within_y > 0) {
		uint64_t mask = c->within_y >= 64 ? ~0ULL : (1ULL << c->within_y) - 1;
		c->hist = ((c->hist << 1) | (hit ? 1u : 0u)) & mask;
		c->count = __builtin_popcountll(c->hist);
		if (c->count < c->within_x)
			return 0;
		c->fired = c->count;
		c->hist = 0;
		c->count = 0;
		return 1;
	}
	c->count = hit ? c->count + 1 : 0;
	if (c->count < c->tarry)
		return 0;
	c->fired = c->count;
	c->count = 0;
	return 1;
}

/* A new cycle: what fired in the last one is no longer this cycle's count. Every policy
 * calls it before looking at the sample, known or not. */
static inline void
counter_new_cycle(struct counter *c)
{
	c->fired = 0;
}

/* The count this cycle's log and status show. */
static inline int64_t
counter_shown(const struct counter *c)
{
	return c->fired ? c->fired : c->count;
}

/* A required number; absent is an error that shows a line to add. */
static inline int
counter_conf_threshold(const struct vmm_host *host, const struct vmm_conf *conf, const char *key,
    const char *example, double *out, char *err, size_t errlen)
{
	char where[512];
	int rc = host->conf_number(conf, key, out, err, errlen);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(err, errlen, "%s: %s is not set: add e.g. %s = %s",
		    host->conf_where(conf, key, where, sizeof(where)), key, key, example);
		return -1;
	}
	if (!isfinite(*out)) {
		snprintf(err, errlen, "%s: %s: must be a finite number",
		    host->conf_where(conf, key, where, sizeof(where)), key);
		return -1;
	}
	return 0;
}

/* An optional whole number >= 1 with a default. conf_int's range message is generic; the
 * bound is checked here so the message says what a tarry means. */
static inline int
counter_conf_tarry(const struct vmm_host *host, const struct vmm_conf *conf, const char *key,
    int64_t dflt, int64_t *out, char *err, size_t errlen)
{
	char where[512];
	int64_t v = dflt;

	if (host->conf_int(conf, key, INT64_MIN, INT64_MAX, &v, err, errlen) < 0)
		return -1;
	if (v < 1) {
		snprintf(err, errlen, "%s: %s: must be at least 1 (the number of cycles in a row), got %lld",
		    host->conf_where(conf, key, where, sizeof(where)), key, (long long)v);
		return -1;
	}
	*out = v;
	return 0;
}

/* within = "X/Y": 1 <= X <= Y <= 64; absent leaves the counter on tarry. */
static inline int
counter_conf_within(const struct vmm_host *host, const struct vmm_conf *conf, struct counter *c,
    char *err, size_t errlen)
{
	const char *w = NULL;
	char where[512], tail;
	long long x, y;
	int rc = host->conf_string(conf, "within", &w, err, errlen);

	if (rc <= 0)
		return rc;
	host->conf_where(conf, "within", where, sizeof(where));
	if (sscanf(w, "%lld/%lld%c", &x, &y, &tail) != 2 || x < 1 || y < x || y > 64) {
		snprintf(err, errlen, "%s: within: '%s' is not \"X/Y\" with 1 <= X <= Y <= 64 (e.g. within = \"4/6\": 4 of the last 6 cycles)",
		    where, w);
		return -1;
	}
	int64_t t = 0;
	if (host->conf_int(conf, "tarry", INT64_MIN, INT64_MAX, &t, err, errlen) > 0) {
		snprintf(err, errlen, "%s: within and tarry are both set: keep one (within counts X of the last Y cycles, tarry X in a row)",
		    where);
		return -1;
	}
	c->within_x = x;
	c->within_y = y;
	c->tarry = x;
	return 0;
}

/* threshold + tarry (or within): the threshold policy, and the high side of the others. */
static inline int
counter_conf_high(const struct vmm_host *host, const struct vmm_conf *conf, struct counter *c,
    char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->minor2 = host->policy_minor >= 2;
	if (counter_conf_threshold(host, conf, "threshold", "50", &c->threshold, err, errlen) < 0)
		return -1;
	if (counter_conf_tarry(host, conf, "tarry", 3, &c->tarry, err, errlen) < 0)
		return -1;
	return counter_conf_within(host, conf, c, err, errlen);
}

/* The low threshold must leave a band between the two, on the "better" side. */
static inline int
counter_check_sides(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct counter_pair *p, char *err, size_t errlen)
{
	char where[512], where2[512];
	int lower = p->direction == VMM_LOWER_IS_WORSE;

	if (lower ? p->low.threshold > p->high.threshold : p->low.threshold < p->high.threshold)
		return 0;
	snprintf(err, errlen,
	    "%s: lowthreshold = %g must be %s threshold = %g (%s) for an indicator where %s is worse",
	    host->conf_where(conf, "lowthreshold", where, sizeof(where)), p->low.threshold,
	    lower ? "above" : "below", p->high.threshold,
	    host->conf_where(conf, "threshold", where2, sizeof(where2)), lower ? "lower" : "higher");
	return -1;
}

/* threshold, tarry, lowthreshold, lowtarry: the base policy and schedule's working hours. */
static inline int
counter_conf_pair(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, struct counter_pair *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->direction = env != NULL ? env->direction : VMM_HIGHER_IS_WORSE;
	if (counter_conf_high(host, conf, &p->high, err, errlen) < 0)
		return -1;
	if (counter_conf_threshold(host, conf, "lowthreshold", p->direction == VMM_LOWER_IS_WORSE ?
	    "80" : "1", &p->low.threshold, err, errlen) < 0)
		return -1;
	if (counter_conf_tarry(host, conf, "lowtarry", 20, &p->low.tarry, err, errlen) < 0)
		return -1;
	return counter_check_sides(host, conf, p, err, errlen);
}

/* A reason is written every cycle and read rarely (a request, a log line): printf's %g
 * cost more than the rest of a simulated cycle. The reason is put together here instead,
 * to the same text snprintf gives, truncation included. */
struct counter_text {
	char *p;
	size_t len, cap;    /* cap >= 1 */
};

static inline void
counter_text_str(struct counter_text *t, const char *s)
{
	size_t n = strlen(s), room = t->cap - 1 - t->len;

	if (n > room)
		n = room;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static inline void
counter_text_int(struct counter_text *t, long long v)
{
	char d[24], *e = d + sizeof(d) - 1;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	*e = '\0';
	do
		*--e = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--e = '-';
	counter_text_str(t, e);
}

/* %g: a whole number below 10^6 is its digits (%g's six significant digits hold it
 * exactly); anything else (and -0) goes to snprintf. */
static inline void
counter_text_g(struct counter_text *t, double v)
{
	char g[32];

	if (fabs(v) < 1e6 && v == (double)(long long)v && !(v == 0 && signbit(v))) {
		counter_text_int(t, (long long)v);
		return;
	}
	snprintf(g, sizeof(g), "%g", v);
	counter_text_str(t, g);
}

/* "indicator V SIDE THRESHOLD": every reason of a counter starts so. */
static inline struct counter_text
counter_text_start(struct vmm_decision *out, double v, const char *side, double threshold)
{
	struct counter_text t = { .p = out->reason, .cap = sizeof(out->reason) };

	counter_text_str(&t, "indicator ");
	counter_text_g(&t, v);
	counter_text_str(&t, side);
	counter_text_g(&t, threshold);
	return t;
}

/* "..., COUNT of TARRY cycles" */
static inline void
counter_text_of(struct counter_text *t, int64_t count, int64_t tarry)
{
	counter_text_str(t, ", ");
	counter_text_int(t, (long long)count);
	counter_text_str(t, " of ");
	counter_text_int(t, (long long)tarry);
	counter_text_str(t, " cycles");
}

/* "... for TARRY cycles" */
static inline void
counter_text_for(struct counter_text *t, int64_t tarry)
{
	counter_text_str(t, " for ");
	counter_text_int(t, (long long)tarry);
	counter_text_str(t, " cycles");
}

/* The forecast, when the daemon gave one this cycle; NULL otherwise. */
static inline const struct vmm_sample *
counter_forecast(const struct counter *c, const struct vmm_policy_input *in)
{
	return c->minor2 && in->forecast.known ? &in->forecast : NULL;
}

/* No reason is wanted for a cycle that asks for nothing (policy.h). */
static inline int
counter_terse(const struct counter *c, const struct vmm_policy_input *in)
{
	return c->minor2 && in->terse;
}

/* v to one decimal, half away from 0, without libm (a module links none). */
static inline double
counter_tenths(double v)
{
	if (!(fabs(v) < 1e15))
		return v;
	return (double)(long long)(v * 10 + (v < 0 ? -0.5 : 0.5)) / 10;
}

/* "indicator V SIDE THRESHOLD", or, when only the forecast is worse, "indicator V heading
 * SIDE THRESHOLD (F in S s)". */
static inline struct counter_text
counter_text_worse(struct vmm_decision *out, enum vmm_direction d,
    const struct vmm_policy_input *in, const struct vmm_sample *fc, double threshold)
{
	struct counter_text t = { .p = out->reason, .cap = sizeof(out->reason) };
	double v = in->sample.value;

	if (fc == NULL || counter_worse(d, v, threshold))
		return counter_text_start(out, v, counter_side(d, 1), threshold);
	counter_text_str(&t, "indicator ");
	counter_text_g(&t, v);
	counter_text_str(&t, " heading");
	counter_text_str(&t, counter_side(d, 1));
	counter_text_g(&t, threshold);
	counter_text_str(&t, " (");
	counter_text_g(&t, counter_tenths(fc->value));
	counter_text_str(&t, " in ");
	counter_text_int(&t, (long long)(fc->time - in->sample.time));
	counter_text_str(&t, " s)");
	return t;
}

/* One sample through the high side alone (threshold policy). Unknown samples are skipped
 * by the caller: they must neither advance nor reset anything. A cycle counts when the
 * sample is worse than the threshold, or when the forecast is (anticipate). */
static inline void
counter_eval_high(struct counter *c, enum vmm_direction d, const struct vmm_policy_input *in,
    struct vmm_decision *out)
{
	const struct vmm_sample *fc = counter_forecast(c, in);
	double v = in->sample.value;
	int worse = counter_worse(d, v, c->threshold) ||
	    (fc != NULL && counter_worse(d, fc->value, c->threshold));
	struct counter_text t;

	if (counter_step(c, worse)) {
		out->action = VMM_ACT_MOVE;
		t = counter_text_worse(out, d, in, fc, c->threshold);
		if (c->within_y > 0) {
			counter_text_str(&t, " in ");
			counter_text_int(&t, (long long)c->within_x);
			counter_text_str(&t, " of the last ");
			counter_text_int(&t, (long long)c->within_y);
			counter_text_str(&t, " cycles");
		} else
			counter_text_for(&t, c->tarry);
	} else if (counter_terse(c, in))
		return;
	else if (worse) {
		t = counter_text_worse(out, d, in, fc, c->threshold);
		counter_text_of(&t, c->count, c->tarry);
	} else
		counter_text_start(out, v, " within threshold ", c->threshold);
}

/* One sample through both sides (script C.1: high first, then low). With the sides checked
 * at init a sample cannot be both worse and idle, so at most one fires. */
static inline void
counter_eval_pair(struct counter_pair *p, const struct vmm_policy_input *in,
    struct vmm_decision *out)
{
	double v = in->sample.value;
	int idle = counter_idle(p->direction, v, p->low.threshold);
	struct counter_text t;

	if (!idle)
		counter_eval_high(&p->high, p->direction, in, out);
	else if (counter_step(&p->high, counter_worse(p->direction, v, p->high.threshold)))
		out->action = VMM_ACT_MOVE; /* the low side's reason follows: not the high's */
	if (counter_step(&p->low, idle)) {
		out->action = VMM_ACT_MOVE_TO_BASE;
		t = counter_text_start(out, v, counter_side(p->direction, 0), p->low.threshold);
		counter_text_for(&t, p->low.tarry);
	} else if (idle && !counter_terse(&p->high, in)) {
		t = counter_text_start(out, v, counter_side(p->direction, 0), p->low.threshold);
		counter_text_of(&t, p->low.count, p->low.tarry);
	}
}

static inline void
counter_pair_new_cycle(struct counter_pair *p)
{
	counter_new_cycle(&p->high);
	counter_new_cycle(&p->low);
}

static inline void
counter_pair_reset(struct counter_pair *p)
{
	p->high.count = 0;
	p->low.count = 0;
	counter_pair_new_cycle(p);
}

static inline void
counter_pair_report(const struct counter_pair *p, struct vmm_policy_counters *out)
{
	out->count = counter_shown(&p->high);
	out->threshold = p->high.threshold;
	out->has_low = 1;
	out->lowcount = counter_shown(&p->low);
	out->lowthreshold = p->low.threshold;
}

/* What every policy answers for an unknown sample: nothing, and say why (when wanted:
 * c is the policy's counter that knows the daemon's minor, NULL: always). */
static inline void
counter_unknown(const struct counter *c, const struct vmm_policy_input *in,
    struct vmm_decision *out)
{
	out->action = VMM_ACT_NONE;
	if (c == NULL || !counter_terse(c, in))
		snprintf(out->reason, sizeof(out->reason), "indicator unknown: counters kept");
}

static inline void
counter_decision_clear(struct vmm_decision *out)
{
	memset(out, 0, sizeof(*out));
}

#endif
