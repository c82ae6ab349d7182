/* SPDX-License-Identifier: ISC */
/* Policy 3, schedule-aware (thesis Listing 3.3, script C.2): the base policy in working
 * hours; on entering the rest period go to the base once and then stay quiet. */
#include "config.h"

#include <stdlib.h>

#include <vmmanage/daytime.h>

#include "counter.h"

#define SCHEDULE_SLOTS 288 /* 5-minute slots in a day, the thesis' workstart/workstop unit */

/* Working hours: legacy UTC slots, or minutes of the local day on some weekdays. */
struct schedule_window {
	int legacy;
	int start, stop;  /* slots (legacy) or minutes; start > stop wraps past midnight */
	unsigned days;    /* bit tm_wday (0 = Sunday); legacy windows are every day */
	char text[64];    /* for reasons: "09:00-16:00 Mon-Fri" */
};

struct schedule_state {
	struct counter_pair pair;
	struct schedule_window win;
	int rest_monitoring;
	int resting;      /* starts 0, so a first sample in the rest period goes to the base */
};

static const char *const schedule_keys[] = {
	"threshold", "tarry", "within", "lowthreshold", "lowtarry",
	"workstart", "workstop", "work_hours", "work_days", "rest_monitoring", "cooldown", NULL
};

static int
schedule_conf_legacy(const struct vmm_host *host, const struct vmm_conf *conf,
    struct schedule_window *w, int have_start, int have_stop, char *err, size_t errlen)
{
	char where[512];

	if (!have_start || !have_stop) {
		snprintf(err, errlen, "%s: %s is set but %s is not: give both (5-minute slots from 00:00 UTC, e.g. workstart = 108 and workstop = 170)",
		    host->conf_where(conf, have_start ? "workstart" : "workstop", where, sizeof(where)),
		    have_start ? "workstart" : "workstop", have_start ? "workstop" : "workstart");
		return -1;
	}
	if (w->start == w->stop) {
		snprintf(err, errlen, "%s: workstart and workstop are both %d: the working hours would be empty",
		    host->conf_where(conf, "workstop", where, sizeof(where)), w->start);
		return -1;
	}
	w->legacy = 1;
	w->days = VMM_ALL_DAYS;
	snprintf(w->text, sizeof(w->text), "slots %d-%d UTC", w->start, w->stop);
	return 0;
}

static int
schedule_conf_readable(const struct vmm_host *host, const struct vmm_conf *conf,
    struct schedule_window *w, const char *hours, const char *days, char *err, size_t errlen)
{
	char where[512];

	if (hours == NULL) {
		snprintf(err, errlen, "%s: work_days needs work_hours: add e.g. work_hours = \"09:00-16:00\" (or \"00:00-24:00\" for whole days)",
		    host->conf_where(conf, "work_days", where, sizeof(where)));
		return -1;
	}
	if (vmm_daytime_hours(hours, &w->start, &w->stop) < 0) {
		snprintf(err, errlen, "%s: work_hours: cannot use \"%s\": write e.g. work_hours = \"09:00-16:00\" (local time, start before stop or over midnight like \"22:00-06:00\")",
		    host->conf_where(conf, "work_hours", where, sizeof(where)), hours);
		return -1;
	}
	w->days = days != NULL ? vmm_daytime_days(days) : VMM_ALL_DAYS;
	if (w->days == 0) {
		snprintf(err, errlen, "%s: work_days: cannot use \"%s\": write e.g. work_days = \"Mon-Fri\" or \"Mon,Wed,Fri\"",
		    host->conf_where(conf, "work_days", where, sizeof(where)), days);
		return -1;
	}
	snprintf(w->text, sizeof(w->text), "%s%s%s", hours, days ? " " : "", days ? days : "");
	return 0;
}

/* Exactly one of the two forms of the working hours. */
static int
schedule_conf_window(const struct vmm_host *host, const struct vmm_conf *conf,
    struct schedule_window *w, char *err, size_t errlen)
{
	char where[512];
	int64_t start = 0, stop = 0;
	const char *hours = NULL, *days = NULL;
	int rs, rp, rh, rd;

	if ((rs = host->conf_int(conf, "workstart", 0, SCHEDULE_SLOTS, &start, err, errlen)) < 0 ||
	    (rp = host->conf_int(conf, "workstop", 0, SCHEDULE_SLOTS, &stop, err, errlen)) < 0 ||
	    (rh = host->conf_string(conf, "work_hours", &hours, err, errlen)) < 0 ||
	    (rd = host->conf_string(conf, "work_days", &days, err, errlen)) < 0)
		return -1;
	if ((rs || rp) && (rh || rd)) {
		const char *legacy = rs ? "workstart" : "workstop", *readable = rh ? "work_hours" : "work_days";
		snprintf(err, errlen, "%s: %s and %s are two ways to give the working hours: keep one (work_hours/work_days in local time, or workstart/workstop in UTC slots)",
		    host->conf_where(conf, readable, where, sizeof(where)), legacy, readable);
		return -1;
	}
	if (!rs && !rp && !rh && !rd) {
		snprintf(err, errlen, "%s: working hours are not set: add e.g. work_hours = \"09:00-16:00\" and work_days = \"Mon-Fri\"",
		    host->conf_where(conf, "work_hours", where, sizeof(where)));
		return -1;
	}
	w->start = (int)start;
	w->stop = (int)stop;
	if (rs || rp)
		return schedule_conf_legacy(host, conf, w, rs, rp, err, errlen);
	return schedule_conf_readable(host, conf, w, rh ? hours : NULL, rd ? days : NULL, err, errlen);
}

/* A cooldown as long as the working day: a VM that left the base in the morning could not
 * be sent back when the day ends, and rests on an expensive host. */
static int
schedule_check_cooldown(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct schedule_window *w, char *err, size_t errlen)
{
	double cooldown = 45, unit = w->legacy ? 300 : 60;
	int len = w->stop - w->start;
	char where[512];

	if (host->conf_number(conf, "cooldown", &cooldown, err, errlen) < 0)
		return -1;
	if (len <= 0)
		len += w->legacy ? SCHEDULE_SLOTS : 24 * 60;
	if (cooldown < len * unit)
		return 0;
	snprintf(err, errlen, "%s: cooldown (%g s) is as long as the working day %s (%g s): the VM could not go back to the base when the day ends; lower cooldown",
	    host->conf_where(conf, "cooldown", where, sizeof(where)), cooldown, w->text, len * unit);
	return -1;
}

static int
schedule_init(const struct vmm_host *host, const struct vmm_conf *conf,
    const struct vmm_policy_env *env, void **state, char *err, size_t errlen)
{
	struct schedule_state *s;

	if (counter_host_ok(host, "schedule", err, errlen) < 0)
		return -1;
	if (host->policy_minor < 1) { /* the daemon would leave the local time empty */
		snprintf(err, errlen, "policy schedule: needs the local time in its input (policy ABI %d.1), the daemon fills %d.%u: use a newer vmmanage",
		    VMM_POLICY_ABI, VMM_POLICY_ABI, (unsigned)host->policy_minor);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "policy schedule: out of memory");
		return -1;
	}
	s->rest_monitoring = 1;
	if (counter_conf_pair(host, conf, env, &s->pair, err, errlen) < 0 ||
	    schedule_conf_window(host, conf, &s->win, err, errlen) < 0 ||
	    host->conf_bool(conf, "rest_monitoring", &s->rest_monitoring, err, errlen) < 0 ||
	    schedule_check_cooldown(host, conf, &s->win, err, errlen) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* Working at the input's time? The legacy slots read the epoch, the readable form the
 * local time the caller converted (the policy has no zone of its own). The part of a
 * night shift after midnight belongs to the day it started on (vmm_daytime_covers). */
static int
schedule_working(const struct schedule_window *w, const struct vmm_policy_input *in)
{
	if (w->legacy) {
		int64_t t = in->sample.time;
		int64_t sec = ((t % 86400) + 86400) % 86400; /* script C.2: epoch % 86400 */
		return vmm_daytime_in_range(w->start, w->stop, (int)(sec / 300));
	}
	const struct vmm_local_time *lt = &in->local;
	if (!lt->valid || lt->weekday < 0 || lt->weekday > 6)
		return 0;
	return vmm_daytime_covers(w->days, w->start, w->stop, lt->weekday, lt->hour * 60 + lt->minute);
}

/* Outside working hours: one move_to_base on the way in, then quiet. Time alone decides,
 * so this fires even when the sample itself is unknown. */
static void
schedule_rest(struct schedule_state *s, const struct vmm_policy_input *in,
    struct vmm_decision *out)
{
	if (s->resting && counter_terse(&s->pair.high, in))
		return;
	if (s->resting) {
		/* every cycle of the rest period: without printf (counter.h) */
		struct counter_text t = { .p = out->reason, .cap = sizeof(out->reason) };
		counter_text_str(&t, "resting until working hours ");
		counter_text_str(&t, s->win.text);
		counter_text_str(&t, s->rest_monitoring ? "" : ", not monitoring");
		return;
	}
	s->resting = 1;
	counter_pair_reset(&s->pair);
	out->action = VMM_ACT_MOVE_TO_BASE;
	snprintf(out->reason, sizeof(out->reason), "rest period starts (working hours %s)",
	    s->win.text);
}

static void
schedule_evaluate(void *state, const struct vmm_policy_input *in, struct vmm_decision *out)
{
	struct schedule_state *s = state;

	counter_decision_clear(out);
	counter_pair_new_cycle(&s->pair);
	if (!schedule_working(&s->win, in)) {
		schedule_rest(s, in, out);
		return;
	}
	if (s->resting)
		counter_pair_reset(&s->pair); /* samples before the rest say nothing about now */
	s->resting = 0;
	if (!in->sample.known) {
		counter_unknown(&s->pair.high, in, out);
		return;
	}
	counter_eval_pair(&s->pair, in, out);
}

static void
schedule_counters(const void *state, struct vmm_policy_counters *out)
{
	const struct schedule_state *s = state;

	memset(out, 0, sizeof(*out));
	counter_pair_report(&s->pair, out);
	out->resting = s->resting;
	out->skip_sensor = out->resting && !s->rest_monitoring;
}

static void
schedule_fini(void *state)
{
	free(state);
}

static const struct vmm_policy_ops schedule_ops = {
	.abi = VMM_POLICY_ABI,
	.size = sizeof(struct vmm_policy_ops),
	.name = "schedule",
	.summary = "the base policy in working hours; at the base, quiet, outside them",
	.keys = schedule_keys,
	.init = schedule_init,
	.evaluate = schedule_evaluate,
	.counters = schedule_counters,
	.fini = schedule_fini,
};

const struct vmm_policy_ops *
vmm_policy_entry(void)
{
	return &schedule_ops;
}
