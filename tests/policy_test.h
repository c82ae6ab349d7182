/* SPDX-License-Identifier: ISC */
/* A tiny TAP harness for the policy tests: load the built module with the real loader,
 * configure it from text with the real config parser, replay a table of samples. */
#ifndef VMM_POLICY_TEST_H
#define VMM_POLICY_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/policy.h>

#include "common/localtime.h"

#include "core/conf.h"
#include "core/host.h"

#ifndef VMM_TEST_MODULE_DIR
#error "build with -DVMM_TEST_MODULE_DIR=\"<builddir>/modules\""
#endif
#define PT_POLICY_DIR VMM_TEST_MODULE_DIR "/policies"

/* A sample the sensor could not read. */
#define UNKNOWN NAN

/* One cycle: the input, then what the policy must answer and report afterwards. */
struct pt_step {
	double value;         /* UNKNOWN: known = 0 */
	int64_t time;
	int at_home;          /* site only */
	enum vmm_action action;
	int64_t count;
	int64_t lowcount;     /* checked when the policy reports has_low */
	int process_queue;
	int resting;
	int skip_sensor;
	const char *reason;   /* a part the reason must contain, or NULL */
	/* the local time in the input; when not valid, the caller's: time in TZ */
	struct vmm_local_time local;
	int has_forecast;     /* the daemon's forecast (anticipate): forecast, 300 s on */
	double forecast;
	int terse;            /* no reason wanted without an action: it must be empty then */
};

struct pt_case {
	const char *name;
	const char *conf;
	enum vmm_direction direction;
	const struct pt_step *steps;
	size_t nsteps;
};

/* A config that init must refuse, and parts its message must contain. */
struct pt_bad {
	const char *name;
	const char *conf;
	enum vmm_direction direction;
	const char *want[4]; /* NULL-terminated */
};

#define PT_STEPS(...) \
	.steps = (const struct pt_step[]){ __VA_ARGS__ }, \
	.nsteps = sizeof((const struct pt_step[]){ __VA_ARGS__ }) / sizeof(struct pt_step)

static int pt_tests, pt_failures;

static inline void __attribute__((format(printf, 2, 3)))
pt_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++pt_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		pt_failures++;
}

static inline void __attribute__((format(printf, 1, 2)))
pt_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int
pt_done(void)
{
	printf("1..%d\n", pt_tests);
	if (pt_failures)
		pt_diag("%d of %d failed", pt_failures, pt_tests);
	return pt_failures ? 1 : 0;
}

/* The module under test; without it nothing else can run. */
static inline const struct vmm_policy_ops *
pt_load(const char *name, struct module **mod)
{
	char err[1024];

	*mod = module_load(MODULE_POLICY, PT_POLICY_DIR, name, err, sizeof(err));
	if (*mod == NULL) {
		printf("Bail out! cannot load policy %s: %s\n", name, err);
		exit(1);
	}
	const struct vmm_policy_ops *ops = (*mod)->ops;
	pt_ok(strcmp(ops->name, name) == 0 && ops->abi == VMM_POLICY_ABI &&
	    ops->size == sizeof(*ops) && ops->init && ops->evaluate && ops->counters && ops->fini,
	    "%s: loads from %s with ABI %u", name, PT_POLICY_DIR, VMM_POLICY_ABI);
	return ops;
}

static inline int
pt_has_key(const struct vmm_policy_ops *ops, const char *key)
{
	for (const char *const *k = ops->keys; k != NULL && *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return 1;
	return 0;
}

/* The module declares exactly these keys (NULL-terminated), so the config check knows them. */
static inline void
pt_check_keys(const struct vmm_policy_ops *ops, const char *const *want)
{
	size_t n = 0, have = 0;
	int all = 1;

	for (; want[n] != NULL; n++)
		all &= pt_has_key(ops, want[n]);
	while (ops->keys != NULL && ops->keys[have] != NULL)
		have++;
	pt_ok(all && have == n, "%s: declares its %zu config keys", ops->name, n);
}

/* Parse text as the file "test.conf" and init; the conf stays alive with the state. */
static inline int
pt_init(const struct vmm_policy_ops *ops, const char *text, enum vmm_direction dir,
    struct vmm_conf **conf, void **state, char *err, size_t errlen)
{
	struct vmm_policy_env env = { .direction = dir };

	*state = NULL;
	*conf = conf_read_string(text, "test.conf", err, errlen);
	if (*conf == NULL)
		return -2; /* the test's own config does not parse: a broken test */
	return ops->init(&vmm_host_api, *conf, &env, state, err, errlen);
}

static inline const char *
pt_value_text(const struct pt_step *s, char *buf, size_t len)
{
	if (isnan(s->value))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%g", s->value);
	return buf;
}

/* One step: evaluate, then compare everything a user sees in the cycle log. */
static inline void
pt_step_run(const struct vmm_policy_ops *ops, void *state, const struct pt_case *c, size_t i)
{
	const struct pt_step *s = &c->steps[i];
	struct vmm_policy_input in = {
		.sample = { .known = !isnan(s->value), .value = isnan(s->value) ? 0 : s->value,
		    .time = s->time },
		.at_home = s->at_home,
		.local = s->local,
		.forecast = { .known = s->has_forecast, .value = s->forecast, .time = s->time + 300 },
		.terse = s->terse,
	};
	struct vmm_decision d;
	struct vmm_policy_counters k;
	char v[32];

	if (!in.local.valid) /* as the agent does: its clock in its zone */
		vmm_local_time_of(s->time, &in.local);
	memset(&d, 0xa5, sizeof(d)); /* evaluate must fill the whole answer */
	ops->evaluate(state, &in, &d);
	ops->counters(state, &k);
	int reason_ok = memchr(d.reason, '\0', sizeof(d.reason)) != NULL &&
	    (s->terse && s->action == VMM_ACT_NONE ? d.reason[0] == '\0' : d.reason[0] != '\0') &&
	    (s->reason == NULL || strstr(d.reason, s->reason) != NULL);
	int ok = d.action == s->action && k.count == s->count &&
	    (!k.has_low || k.lowcount == s->lowcount) && d.process_queue == s->process_queue &&
	    k.resting == s->resting && k.skip_sensor == s->skip_sensor && reason_ok;
	pt_ok(ok, "%s: step %zu (%s at %lld) -> %s, count %lld, lowcount %lld%s%s",
	    c->name, i + 1, pt_value_text(s, v, sizeof(v)), (long long)s->time,
	    vmm_action_name(s->action), (long long)s->count, (long long)s->lowcount,
	    s->process_queue ? ", process queue" : "", s->resting ? ", resting" : "");
	if (!ok)
		pt_diag("got %s, count %lld, lowcount %lld (has_low %d), process_queue %d, resting %d, skip_sensor %d, reason \"%.*s\"",
		    vmm_action_name(d.action), (long long)k.count, (long long)k.lowcount, k.has_low,
		    d.process_queue, k.resting, k.skip_sensor, (int)sizeof(d.reason), d.reason);
}

static inline void
pt_run_case(const struct vmm_policy_ops *ops, const struct pt_case *c)
{
	struct vmm_conf *conf;
	void *state;
	char err[1024] = "";

	int rc = pt_init(ops, c->conf, c->direction, &conf, &state, err, sizeof(err));
	pt_ok(rc == 0, "%s: config accepted", c->name);
	if (rc != 0) {
		pt_diag("init: %s", err);
		conf_free(conf);
		return;
	}
	for (size_t i = 0; i < c->nsteps; i++)
		pt_step_run(ops, state, c, i);
	ops->fini(state);
	conf_free(conf);
}

static inline void
pt_run_cases(const struct vmm_policy_ops *ops, const struct pt_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pt_run_case(ops, &cases[i]);
}

/* init must answer -1 and a message with every wanted part (key name, file:line...). */
static inline void
pt_run_bad(const struct vmm_policy_ops *ops, const struct pt_bad *b)
{
	struct vmm_conf *conf;
	void *state;
	char err[1024] = "";
	int parts = 1;

	int rc = pt_init(ops, b->conf, b->direction, &conf, &state, err, sizeof(err));
	for (const char *const *w = b->want; *w != NULL; w++)
		parts &= strstr(err, *w) != NULL;
	pt_ok(rc == -1 && parts, "%s: refused, message names what to mend", b->name);
	pt_diag("%s", err);
	if (rc == 0)
		ops->fini(state);
	conf_free(conf);
}

static inline void
pt_run_bads(const struct vmm_policy_ops *ops, const struct pt_bad *bads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pt_run_bad(ops, &bads[i]);
}

#define PT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
