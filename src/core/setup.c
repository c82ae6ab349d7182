/* SPDX-License-Identifier: ISC */
/* Turning vmmanage.conf into a running setup: core settings, then the policy, sensor and
 * endpoint modules, each checked before anything starts. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "core/conf.h"
#include "core/efficacy.h"
#include "core/guard.h"
#include "core/setup.h"

#define TRY(expr) do { if ((expr) < 0) return -1; } while (0)

/* The thesis picked a policy by running its script; a file without `policy` (its
 * Listing 3.8) gets the policy whose keys it uses. */
static const char *
setup_infer_policy(const struct vmm_conf *c)
{
	if (conf_has(c, "bigjobs"))
		return "site";
	if (conf_has(c, "workstart") || conf_has(c, "work_hours"))
		return "schedule";
	if (conf_has(c, "lowthreshold"))
		return "base";
	return "threshold";
}

static int
setup_str(const struct vmm_conf *c, const char *key, const char *def, const char **out,
    char *err, size_t errlen)
{
	*out = def;
	return conf_string(c, key, out, err, errlen);
}

static const char *setup_module_dir_default = VMM_PKGLIBDIR;

void
setup_default_module_dir(const char *dir)
{
	setup_module_dir_default = dir;
}

static int
setup_names(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen,
    void (*warn)(const char *))
{
	char msg[256];

	TRY(setup_str(c, "policy", NULL, &s->policy, err, errlen));
	if (s->policy == NULL) {
		s->policy = setup_infer_policy(c);
		snprintf(msg, sizeof(msg), "%s: policy is not set; using '%s' (the keys present suggest it): add policy = \"%s\"",
		    conf_path(c), s->policy, s->policy);
		if (warn)
			warn(msg);
	}
	/* the thesis's indicators: slow queries, or the job queue for the site policy */
	TRY(setup_str(c, "sensor", strcmp(s->policy, "site") == 0 ? "queue" : "mysql_slow",
	    &s->sensor, err, errlen));
	TRY(setup_str(c, "endpoint", "mln", &s->endpoint, err, errlen));
	TRY(setup_str(c, "module_dir", setup_module_dir_default, &s->module_dir, err, errlen));
	TRY(setup_str(c, "policy_dir", NULL, &s->policy_dir, err, errlen));
	return 0;
}

static int
setup_timing(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	int64_t budget = 12;

	s->interval = 60;
	s->cooldown = 45;
	TRY(conf_number(c, "daemon_interval", &s->interval, err, errlen));
	TRY(conf_number(c, "cooldown", &s->cooldown, err, errlen));
	if (s->interval < 0.01 || s->interval > 86400 || s->cooldown < 0 || s->cooldown > 86400) {
		snprintf(err, errlen, "%s: daemon_interval must be between 0.01 and 86400 seconds and cooldown between 0 and 86400",
		    conf_path(c));
		return -1;
	}
	s->sensor_timeout = s->interval / 2 < 30 ? s->interval / 2 : 30;
	s->endpoint_timeout = 600;
	TRY(conf_number(c, "sensor_timeout", &s->sensor_timeout, err, errlen));
	TRY(conf_number(c, "endpoint_timeout", &s->endpoint_timeout, err, errlen));
	if (s->sensor_timeout <= 0 || s->sensor_timeout >= s->interval) {
		char where[512];
		snprintf(err, errlen, "%s: sensor_timeout (%g s) must be above 0 and below daemon_interval (%g s)",
		    conf_where(c, "sensor_timeout", where, sizeof(where)), s->sensor_timeout, s->interval);
		return -1;
	}
	if (s->endpoint_timeout <= 0) {
		snprintf(err, errlen, "%s: endpoint_timeout must be above 0", conf_path(c));
		return -1;
	}
	TRY(conf_int(c, "max_moves_per_hour", 0, GUARD_MAX_PER_HOUR, &budget, err, errlen));
	s->max_moves_per_hour = budget;
	return 0;
}

static int
setup_positive(const struct vmm_conf *c, const char *key, double def, double min, double *out,
    char *err, size_t errlen)
{
	char where[512];

	*out = def;
	TRY(conf_number(c, key, out, err, errlen));
	if (*out < min || *out > 365 * 86400.0) {
		snprintf(err, errlen, "%s: %s must be between %g and %g seconds",
		    conf_where(c, key, where, sizeof(where)), key, min, 365 * 86400.0);
		return -1;
	}
	return 0;
}

static int
setup_fraction(const struct vmm_conf *c, const char *key, double def, double *out, char *err,
    size_t errlen)
{
	char where[512];

	*out = def;
	TRY(conf_number(c, key, out, err, errlen));
	if (!(*out >= 0 && *out < 1)) {
		snprintf(err, errlen, "%s: %s must be a fraction from 0 to below 1 (0.1 is 10%%)",
		    conf_where(c, key, where, sizeof(where)), key);
		return -1;
	}
	return 0;
}

/* The fleet rules; the defaults and why are in vmmanage.conf(5). */
static int
setup_target_rules(const struct vmm_conf *c, struct target_rules *r, char *err, size_t errlen)
{
	int64_t cap = 2, headroom = (int64_t)256 << 20;
	char where[512];

	TRY(setup_fraction(c, "near_best", 0.1, &r->near_best, err, errlen));
	TRY(conf_int(c, "max_incoming", 0, 1000, &cap, err, errlen));
	r->max_incoming = (int)cap;
	TRY(conf_int(c, "memory_headroom", -1, (int64_t)1 << 50, &headroom, err, errlen));
	r->check_memory = headroom >= 0;
	r->memory_headroom = headroom >= 0 ? headroom : 0;
	TRY(setup_positive(c, "pingpong_hold", 3600, 0, &r->pingpong_hold, err, errlen));
	TRY(setup_positive(c, "pingpong_hold_max", 4 * r->pingpong_hold, 0, &r->pingpong_hold_max,
	    err, errlen));
	if (r->pingpong_hold_max < r->pingpong_hold) {
		snprintf(err, errlen, "%s: pingpong_hold_max (%g s) is below pingpong_hold (%g s): raise it or drop it",
		    conf_where(c, "pingpong_hold_max", where, sizeof(where)), r->pingpong_hold_max,
		    r->pingpong_hold);
		return -1;
	}
	TRY(setup_fraction(c, "pingpong_gain", 0, &r->pingpong_gain, err, errlen));
	TRY(setup_fraction(c, "base_admit", 0.25, &r->base_admit, err, errlen));
	TRY(setup_positive(c, "base_recall", 0, 0, &r->base_recall, err, errlen));
	TRY(setup_positive(c, "base_lead", 600, 0, &r->base_lead, err, errlen));
	if (r->base_lead > 6 * 3600) {
		snprintf(err, errlen, "%s: base_lead (%g s) is over 6 hours: the VM would leave the base for most of a day; lower it, or set base_recall = 0",
		    conf_where(c, "base_lead", where, sizeof(where)), r->base_lead);
		return -1;
	}
	return 0;
}

/* How targets are chosen and how failed moves are retried. */
static int
setup_learning(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	const char *choice = "learned";
	char where[512];

	TRY(conf_string(c, "target_choice", &choice, err, errlen));
	if (strcmp(choice, "learned") == 0)
		s->target_choice = 0;
	else if (strcmp(choice, "round_robin") == 0)
		s->target_choice = 1;
	else {
		snprintf(err, errlen, "%s: target_choice: '%s' is neither \"learned\" nor \"round_robin\"",
		    conf_where(c, "target_choice", where, sizeof(where)), choice);
		return -1;
	}
	TRY(setup_positive(c, "host_memory", 86400, 60, &s->host_memory, err, errlen));
	TRY(setup_positive(c, "retry_backoff", s->interval > 60 ? s->interval : 60, 0.01,
	    &s->retry_backoff, err, errlen));
	TRY(setup_positive(c, "retry_backoff_max", 3600, 0.01, &s->retry_backoff_max, err, errlen));
	if (s->retry_backoff_max < s->retry_backoff) {
		snprintf(err, errlen, "%s: retry_backoff_max (%g s) is below retry_backoff (%g s): raise it or drop it",
		    conf_where(c, "retry_backoff_max", where, sizeof(where)), s->retry_backoff_max, s->retry_backoff);
		return -1;
	}
	TRY(setup_positive(c, "locate_interval", 300, 0, &s->locate_interval, err, errlen));
	return setup_target_rules(c, &s->targets, err, errlen);
}

static int setup_forced_mode = -1;

void
setup_force_mode(enum vmm_mode m)
{
	setup_forced_mode = (int)m;
}

static int
setup_mode(const struct vmm_conf *c, struct damping_conf *d, char *err, size_t errlen)
{
	static const char *const names[] = { "automatic", "recommend", "manual" };
	const char *m = "automatic";
	char where[512];

	TRY(conf_string(c, "mode", &m, err, errlen));
	for (size_t i = 0; i < 3; i++)
		if (strcmp(m, names[i]) == 0) {
			/* vmmanage -n: this process only recommends, whatever the file says */
			d->mode = setup_forced_mode >= 0 ? (enum vmm_mode)setup_forced_mode : (enum vmm_mode)i;
			return 0;
		}
	snprintf(err, errlen, "%s: mode: '%s' is none of \"automatic\", \"recommend\", \"manual\"",
	    conf_where(c, "mode", where, sizeof(where)), m);
	return -1;
}

/* The damping rules; defaults come from vmmanage-sim runs (vmmanage.conf(5) has them). */
static int
setup_damping(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	struct damping_conf *d = &s->damping;
	char where[512], where2[512];
	int64_t moves = 6, window = 5;

	TRY(setup_mode(c, d, err, errlen));
	TRY(setup_positive(c, "warmup", s->interval, 0, &d->warmup, err, errlen));
	TRY(setup_positive(c, "min_stay", 3 * s->interval, 0, &d->min_stay, err, errlen));
	d->min_stay_override = NAN;
	TRY(conf_number(c, "min_stay_override", &d->min_stay_override, err, errlen));
	TRY(conf_int(c, "breaker_moves", 0, DAMPER_HISTORY, &moves, err, errlen));
	d->breaker_moves = moves;
	TRY(setup_positive(c, "breaker_window", 3600, 1, &d->breaker_window, err, errlen));
	TRY(setup_positive(c, "breaker_hold", 3600, 0, &d->breaker_hold, err, errlen));
	d->move_margin = 0.1;
	TRY(conf_number(c, "move_margin", &d->move_margin, err, errlen));
	if (!(d->move_margin >= 0 && d->move_margin < 1)) {
		snprintf(err, errlen, "%s: move_margin must be a fraction from 0 to below 1 (0.1 is 10%%)",
		    conf_where(c, "move_margin", where, sizeof(where)));
		return -1;
	}
	TRY(conf_int(c, "efficacy_window", 1, EFFICACY_MAX_WINDOW, &window, err, errlen));
	s->efficacy_window = window;
	TRY(setup_positive(c, "anticipate", 0, 0, &s->anticipate, err, errlen));
	if (d->min_stay > 0 && d->warmup > d->min_stay) {
		snprintf(err, errlen, "%s: warmup (%g s) is longer than min_stay (%g s, %s): a move could be asked before the samples count; lower warmup or raise min_stay",
		    conf_where(c, "warmup", where, sizeof(where)), d->warmup, d->min_stay,
		    conf_where(c, "min_stay", where2, sizeof(where2)));
		return -1;
	}
	return 0;
}

/* `min_range`/`max_range` (thesis) number the hosts; they become the names "1".."N". */
static int
setup_legacy_hosts(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	int64_t lo = 0, hi = 0;
	int has_lo, has_hi;

	TRY(has_lo = conf_int(c, "min_range", 0, 9999, &lo, err, errlen));
	TRY(has_hi = conf_int(c, "max_range", 0, 9999, &hi, err, errlen));
	if (!has_lo && !has_hi)
		return 0;
	if (!has_lo || !has_hi || lo > hi) {
		snprintf(err, errlen, "%s: min_range and max_range go together, min_range <= max_range (or use hosts = [\"h1\", \"h2\"])",
		    conf_path(c));
		return -1;
	}
	if (s->nhosts > 0) {
		snprintf(err, errlen, "%s: hosts and min_range/max_range both set: keep one", conf_path(c));
		return -1;
	}
	size_t n = (size_t)(hi - lo + 1), len = n * 6;
	s->legacy_hosts_text = malloc(len);
	s->hosts = calloc(n + 1, sizeof(*s->hosts));
	if (s->legacy_hosts_text == NULL || s->hosts == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	char *p = s->legacy_hosts_text;
	for (size_t i = 0; i < n; i++) {
		s->hosts[i] = p;
		p += sprintf(p, "%lld", (long long)(lo + (int64_t)i)) + 1;
	}
	s->nhosts = n;
	return 0;
}

static int
setup_list(const struct vmm_conf *c, const char *key, const char ***out, size_t *n, char *err,
    size_t errlen)
{
	*out = NULL;
	*n = 0;
	return conf_strings(c, key, out, n, err, errlen);
}

static int
setup_topology(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	char where[512];

	TRY(setup_list(c, "hosts", &s->hosts, &s->nhosts, err, errlen));
	TRY(setup_legacy_hosts(c, s, err, errlen));
	TRY(setup_list(c, "home", &s->home, &s->nhome, err, errlen));
	TRY(setup_list(c, "away", &s->away, &s->naway, err, errlen));
	TRY(setup_str(c, "base", NULL, &s->base, err, errlen));
	TRY(setup_str(c, "location", NULL, &s->location, err, errlen));
	TRY(setup_str(c, "home_broadcast", NULL, &s->home_broadcast, err, errlen));
	if (s->base != NULL && vmm_str_in(s->base, s->hosts)) {
		snprintf(err, errlen, "%s: base '%s' is also in hosts: the base is a host outside the array; take it out of hosts",
		    conf_where(c, "base", where, sizeof(where)), s->base);
		return -1;
	}
	if (s->location != NULL && !vmm_str_in(s->location, s->hosts) && !vmm_str_in(s->location, s->home) &&
	    !vmm_str_in(s->location, s->away) && !(s->base && strcmp(s->base, s->location) == 0)) {
		snprintf(err, errlen, "%s: location '%s' is none of hosts, home, away or base",
		    conf_where(c, "location", where, sizeof(where)), s->location);
		return -1;
	}
	return 0;
}

static int
setup_paths(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	TRY(setup_str(c, "state_dir", VMM_LOCALSTATEDIR "/lib/vmmanage", &s->state_dir, err, errlen));
	TRY(setup_str(c, "log_file", VMM_LOCALSTATEDIR "/log/vmmanage/vmmanage.log", &s->log_file, err, errlen));
	TRY(setup_str(c, "json_log_file", NULL, &s->json_log_file, err, errlen));
	TRY(setup_str(c, "metrics_file", NULL, &s->metrics_file, err, errlen));
	TRY(setup_str(c, "pid_file", VMM_RUNSTATEDIR "/vmmanage/vmmanage.pid", &s->pid_file, err, errlen));
	TRY(setup_str(c, "control_socket", VMM_RUNSTATEDIR "/vmmanage/vmmanage.sock", &s->control_socket, err, errlen));
	TRY(setup_str(c, "hostname", NULL, &s->hostname, err, errlen));
	return 0;
}

static int
setup_alerts(const struct vmm_conf *c, struct alert_conf *a, char *err, size_t errlen)
{
	a->failed_moves = 3;
	a->unknown_cycles = 5;
	a->spool_messages = 10000;
	TRY(setup_list(c, "alert_command", &a->command, &a->ncommand, err, errlen));
	TRY(conf_int(c, "alert_failed_moves", 1, 1000, &a->failed_moves, err, errlen));
	TRY(conf_int(c, "alert_unknown_cycles", 1, 100000, &a->unknown_cycles, err, errlen));
	TRY(conf_int(c, "alert_spool_messages", 1, INT64_C(1) << 40, &a->spool_messages, err, errlen));
	return setup_positive(c, "alert_timeout", 30, 1, &a->timeout, err, errlen);
}

static int
setup_collector(const struct vmm_conf *c, struct settings *s, char *err, size_t errlen)
{
	const char *proto = "vmmanage";
	char where[512];

	s->spool_max_bytes = 16 << 20;
	TRY(setup_list(c, "collector", &s->collectors, &s->ncollectors, err, errlen));
	if (s->ncollectors > 8) {
		snprintf(err, errlen, "%s: collector: at most 8 collectors, tried in order",
		    conf_where(c, "collector", where, sizeof(where)));
		return -1;
	}
	s->collector = s->ncollectors > 0 ? s->collectors[0] : NULL;
	TRY(setup_positive(c, "collector_failback", 300, 1, &s->collector_failback, err, errlen));
	TRY(setup_str(c, "collector_protocol", proto, &proto, err, errlen));
	TRY(setup_str(c, "collector_key_file", NULL, &s->collector_key_file, err, errlen));
	TRY(conf_int(c, "spool_max_bytes", 4096, INT64_C(1) << 40, &s->spool_max_bytes, err, errlen));
	if (strcmp(proto, "syslog") != 0 && strcmp(proto, "vmmanage") != 0) {
		snprintf(err, errlen, "%s: collector_protocol: '%s' is neither \"vmmanage\" nor \"syslog\"",
		    conf_where(c, "collector_protocol", where, sizeof(where)), proto);
		return -1;
	}
	s->collector_syslog = strcmp(proto, "syslog") == 0;
	if (s->collector_key_file != NULL &&
	    conf_check_private(s->collector_key_file, "collector_key_file", err, errlen) < 0)
		return -1;
	return 0;
}

static int
setup_direction(const struct vmm_conf *c, struct settings *s, enum vmm_direction def, char *err,
    size_t errlen)
{
	const char *d = NULL;
	char where[512];

	s->direction = def;
	TRY(conf_string(c, "sensor_direction", &d, err, errlen));
	if (d == NULL)
		return 0;
	if (strcmp(d, "higher_is_worse") == 0)
		s->direction = VMM_HIGHER_IS_WORSE;
	else if (strcmp(d, "lower_is_worse") == 0)
		s->direction = VMM_LOWER_IS_WORSE;
	else {
		snprintf(err, errlen, "%s: sensor_direction: '%s' is neither \"higher_is_worse\" nor \"lower_is_worse\"",
		    conf_where(c, "sensor_direction", where, sizeof(where)), d);
		return -1;
	}
	return 0;
}

/* Where modules of kind are found: policy_dir, or module_dir's policies, sensors, endpoints. */
static void
setup_module_dir(const struct settings *s, enum module_kind kind, char *dir, size_t len)
{
	static const char *const sub[] = {
		[MODULE_POLICY] = "policies", [MODULE_SENSOR] = "sensors", [MODULE_ENDPOINT] = "endpoints",
	};

	if (kind == MODULE_POLICY && s->policy_dir != NULL)
		snprintf(dir, len, "%s", s->policy_dir);
	else
		snprintf(dir, len, "%s/%s", s->module_dir, sub[kind]);
}

static int
setup_modules(struct setup *su, char *err, size_t errlen)
{
	const struct settings *s = &su->set;
	struct instance *in[] = { &su->policy, &su->sensor, &su->endpoint };
	const char *name[] = { s->policy, s->sensor, s->endpoint };
	char dir[4096];

	for (enum module_kind k = MODULE_POLICY; k <= MODULE_ENDPOINT; k++) {
		setup_module_dir(s, k, dir, sizeof(dir));
		if ((in[k]->mod = module_load(k, dir, name[k], err, errlen)) == NULL)
			return -1;
	}
	return 0;
}

/* The keys registry of this check: the core's, the modules' in use, and, when the file
 * has a key none of them reads, those of the modules installed beside them, so that a
 * key of one not configured only warns. */
static int
setup_check_keys(struct setup *su, void (*warn)(const char *msg), char *err, size_t errlen)
{
	const struct module *in[] = { su->policy.mod, su->sensor.mod, su->endpoint.mod };
	struct conf_keyreg r = { 0 };
	char dir[4096];
	int rc = 0;

	for (enum module_kind k = MODULE_POLICY; k <= MODULE_ENDPOINT && rc == 0; k++)
		rc = module_keys_add(in[k], &r);
	/* Only a key that neither the core nor a module in use reads makes the others be
	 * opened: they would map their libraries (libcurl, libvirt) into an agent that
	 * uses none of them. */
	int scan = rc == 0 && conf_keys_unread(su->conf, &r) > 0;
	for (enum module_kind k = MODULE_POLICY; k <= MODULE_ENDPOINT && rc == 0 && scan; k++) {
		setup_module_dir(&su->set, k, dir, sizeof(dir));
		rc = module_keys_installed(k, dir, &r, warn);
	}
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	else
		rc = conf_check_keys(su->conf, &r, warn, err, errlen);
	conf_keyreg_free(&r);
	return rc;
}

/* A module's own complaint is prefixed with which module it is. */
static int
setup_module_failed(const struct module *m, char *err, size_t errlen)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s", err);
	snprintf(err, errlen, "%s %s: %s", module_kind_name(m->kind), m->name, tmp);
	return -1;
}

static int
setup_start_policy(struct setup *su, char *err, size_t errlen)
{
	const struct vmm_policy_ops *po = setup_policy(su);
	char dir[32];

	TRY(setup_direction(su->conf, &su->set, setup_sensor(su)->direction, err, errlen));
	struct vmm_policy_env env = { .direction = su->set.direction };
	err[0] = '\0';
	if (po->init(&vmm_host_api, su->conf, &env, &su->policy.state, err, errlen) < 0)
		return setup_module_failed(su->policy.mod, err, errlen);
	su->policy.started = 1;
	/* the policy's decisions depend on the direction too */
	snprintf(dir, sizeof(dir), "direction=%d;", su->set.direction);
	char *pf = conf_fingerprint(su->conf, po->keys);
	if (pf != NULL && (su->policy.fingerprint = malloc(strlen(pf) + sizeof(dir))) != NULL)
		sprintf(su->policy.fingerprint, "%s%s", dir, pf);
	free(pf);
	su->policy.conf = conf_ref(su->conf);
	return 0;
}

static int
setup_start(struct setup *su, char *err, size_t errlen)
{
	const struct vmm_sensor_ops *so = setup_sensor(su);
	const struct vmm_endpoint_ops *eo = setup_endpoint(su);

	/* the sensor first: it knows the direction the policy is told */
	TRY(setup_direction(su->conf, &su->set, so->direction, err, errlen));
	err[0] = '\0';
	if (so->init(&vmm_host_api, su->conf, &su->sensor.state, err, errlen) < 0)
		return setup_module_failed(su->sensor.mod, err, errlen);
	su->sensor.started = 1;
	TRY(setup_start_policy(su, err, errlen));
	if (eo->init(&vmm_host_api, su->conf, &su->endpoint.state, err, errlen) < 0)
		return setup_module_failed(su->endpoint.mod, err, errlen);
	su->endpoint.started = 1;
	su->sensor.conf = conf_ref(su->conf);
	su->endpoint.conf = conf_ref(su->conf);
	su->sensor.fingerprint = conf_fingerprint(su->conf, so->keys);
	su->endpoint.fingerprint = conf_fingerprint(su->conf, eo->keys);
	return 0;
}

/* policy_only: the simulator's setup, whose sensor and endpoint are never started */
static struct setup *
setup_build(const char *path, int policy_only, void (*warn)(const char *msg), char *err,
    size_t errlen)
{
	struct setup *su = calloc(1, sizeof(*su));

	if (su == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((su->conf = conf_read(path, err, errlen)) == NULL)
		goto fail;
	if (setup_names(su->conf, &su->set, err, errlen, warn) < 0 ||
	    setup_timing(su->conf, &su->set, err, errlen) < 0 ||
	    setup_learning(su->conf, &su->set, err, errlen) < 0 ||
	    setup_damping(su->conf, &su->set, err, errlen) < 0 ||
	    hold_setup(su->conf, &su->set.hold, err, errlen) < 0 ||
	    setup_topology(su->conf, &su->set, err, errlen) < 0 ||
	    setup_paths(su->conf, &su->set, err, errlen) < 0 ||
	    setup_collector(su->conf, &su->set, err, errlen) < 0 ||
	    setup_alerts(su->conf, &su->set.alert, err, errlen) < 0 ||
	    setup_modules(su, err, errlen) < 0)
		goto fail;
	if (setup_check_keys(su, warn, err, errlen) < 0 ||
	    (policy_only ? setup_start_policy(su, err, errlen) : setup_start(su, err, errlen)) < 0)
		goto fail;
	return su;
fail:
	setup_free(su);
	return NULL;
}

struct setup *
setup_load(const char *path, void (*warn)(const char *msg), char *err, size_t errlen)
{
	return setup_build(path, 0, warn, err, errlen);
}

struct setup *
setup_load_policy(const char *path, void (*warn)(const char *msg), char *err, size_t errlen)
{
	return setup_build(path, 1, warn, err, errlen);
}

static void
instance_free(struct instance *in, void (*fini)(void *))
{
	if (in->started && fini != NULL)
		fini(in->state);
	module_unload(in->mod);
	conf_free(in->conf);
	free(in->fingerprint);
	memset(in, 0, sizeof(*in));
}

void
setup_free(struct setup *su)
{
	if (su == NULL)
		return;
	if (su->policy.mod)
		instance_free(&su->policy, setup_policy(su)->fini);
	if (su->sensor.mod)
		instance_free(&su->sensor, setup_sensor(su)->fini);
	if (su->endpoint.mod)
		instance_free(&su->endpoint, setup_endpoint(su)->fini);
	free(su->set.hosts);
	free(su->set.home);
	free(su->set.away);
	free(su->set.legacy_hosts_text);
	free(su->set.alert.command);
	free(su->set.collectors);
	conf_free(su->conf);
	free(su);
}

/* Same module file and same settings: the old instance goes on (its counters, its
 * connections); the new one is dropped. Instances keep pointers into their own conf only
 * through what they copied at init, so an adopted instance outlives the old conf. */
static void
instance_adopt(struct instance *neu, struct instance *old)
{
	if (old->mod == NULL || neu->mod == NULL || strcmp(old->mod->path, neu->mod->path) != 0 ||
	    old->fingerprint == NULL || neu->fingerprint == NULL ||
	    strcmp(old->fingerprint, neu->fingerprint) != 0)
		return;
	struct instance tmp = *neu;
	*neu = *old;
	*old = tmp;
}

void
setup_adopt(struct setup *neu, struct setup *old)
{
	instance_adopt(&neu->policy, &old->policy);
	instance_adopt(&neu->sensor, &old->sensor);
	instance_adopt(&neu->endpoint, &old->endpoint);
}
