/* SPDX-License-Identifier: ISC */
/* Policy 3, schedule-aware (thesis Listing 3.3, script C.2): the base policy in working
 * hours; on entering the rest period go to the base once and then stay quiet. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "counter.h"

#define SCHEDULE_SLOTS 288 /* 5-minute slots in a day, the thesis' workstart/workstop unit */
#define SCHEDULE_ALL_DAYS 0x7fu

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

static const char *const schedule_day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};

/* "Mon" or "monday" (any case) at *p; the weekday number, or -1. */
static int
schedule_parse_day(const char **p)
{
	for (int d = 0; d < 7; d++) {
		const char *name = schedule_day_names[d];
		if (strncasecmp(*p, name, 3) != 0)
			continue;
		size_t full = strlen(name);
		*p += strncasecmp(*p, name, full) == 0 ? full : 3;
		return d;
	}
	return -1;
}

static void
schedule_skip_space(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

/* Set the bits from day a to day b, wrapping past Sunday ("Fri-Mon"). */
static unsigned
schedule_day_range(int a, int b)
{
	unsigned bits = 0;

	for (int d = a;; d = (d + 1) % 7) {
		bits |= 1u << d;
		if (d == b)
			break;
	}
	return bits;
}

/* "Mon-Fri", "Mon,Wed,Fri", "Sat-Sun", "Fri-Mon": a bit per tm_wday; 0 on a syntax error. */
static unsigned
schedule_parse_days(const char *s)
{
	unsigned days = 0;
	const char *p = s;

	for (;;) {
		schedule_skip_space(&p);
		int a = schedule_parse_day(&p), b = a;
		schedule_skip_space(&p);
		if (a >= 0 && *p == '-') {
			p++;
			schedule_skip_space(&p);
			b = schedule_parse_day(&p);
			schedule_skip_space(&p);
		}
		if (a < 0 || b < 0)
			return 0;
		days |= schedule_day_range(a, b);
		if (*p == '\0')
			return days;
		if (*p++ != ',')
			return 0;
	}
}

/* "9:00" or "09:00", up to "24:00"; minutes of the day, or -1. */
static int
schedule_parse_clock(const char **p)
{
	char *end;
	long h, m;

	if (!isdigit((unsigned char)**p))
		return -1;
	h = strtol(*p, &end, 10);
	if (*end != ':' || end - *p > 2 || !isdigit((unsigned char)end[1]) ||
	    !isdigit((unsigned char)end[2]))
		return -1;
	m = (end[1] - '0') * 10 + (end[2] - '0');
	*p = end + 3;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return (int)(h * 60 + m);
}

/* "09:00-16:00" into minutes; a start after the stop is a night shift over midnight. */
static int
schedule_parse_hours(const char *s, int *start, int *stop)
{
	const char *p = s;

	schedule_skip_space(&p);
	*start = schedule_parse_clock(&p);
	schedule_skip_space(&p);
	if (*start < 0 || *start >= 24 * 60 || *p++ != '-')
		return -1;
	schedule_skip_space(&p);
	*stop = schedule_parse_clock(&p);
	schedule_skip_space(&p);
	return *stop < 0 || *p != '\0' ? -1 : 0;
}

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
	w->days = SCHEDULE_ALL_DAYS;
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
	if (schedule_parse_hours(hours, &w->start, &w->stop) < 0 || w->start == w->stop) {
		snprintf(err, errlen, "%s: work_hours: cannot use \"%s\": write e.g. work_hours = \"09:00-16:00\" (local time, start before stop or over midnight like \"22:00-06:00\")",
		    host->conf_where(conf, "work_hours", where, sizeof(where)), hours);
		return -1;
	}
	w->days = days != NULL ? schedule_parse_days(days) : SCHEDULE_ALL_DAYS;
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

static int
schedule_in(int start, int stop, int x)
{
	return start < stop ? start <= x && x < stop : x >= start || x < stop;
}

/* Working at the input's time? The legacy slots read the epoch, the readable form the
 * local time the caller converted (the policy has no zone of its own). The part of a
 * night shift after midnight belongs to the day it started on: "22:00-06:00" with
 * "Mon-Fri" works Friday night into Saturday morning. */
static int
schedule_working(const struct schedule_window *w, const struct vmm_policy_input *in)
{
	if (w->legacy) {
		int64_t t = in->sample.time;
		int64_t sec = ((t % 86400) + 86400) % 86400; /* script C.2: epoch % 86400 */
		return schedule_in(w->start, w->stop, (int)(sec / 300));
	}
	const struct vmm_local_time *lt = &in->local;
	if (!lt->valid || lt->weekday < 0 || lt->weekday > 6)
		return 0;
	int minute = lt->hour * 60 + lt->minute;
	int day = lt->weekday;
	if (!schedule_in(w->start, w->stop, minute))
		return 0;
	if (w->start > w->stop && minute < w->stop)
		day = (day + 6) % 7;
	return (w->days >> day) & 1u;
}

/* Outside working hours: one move_to_base on the way in, then quiet. Time alone decides,
 * so this fires even when the sample itself is unknown. */
static void
schedule_rest(struct schedule_state *s, struct vmm_decision *out)
{
	if (s->resting) {
		snprintf(out->reason, sizeof(out->reason), "resting until working hours %s%s",
		    s->win.text, s->rest_monitoring ? "" : ", not monitoring");
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
		schedule_rest(s, out);
		return;
	}
	if (s->resting)
		counter_pair_reset(&s->pair); /* samples before the rest say nothing about now */
	s->resting = 0;
	if (!in->sample.known) {
		counter_unknown(out);
		return;
	}
	counter_eval_pair(&s->pair, in->sample.value, out);
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
