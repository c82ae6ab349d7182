/* SPDX-License-Identifier: ISC */
/* The simulation file (libconfig): hosts, VMs, models, migration times, outages. Every
 * mistake is reported as file:line with what to write instead. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libconfig.h>

#include "common/localtime.h"
#include "core/conf.h"
#include "common/strutil.h"
#include "sim/sim.h"

struct sfctx {
	struct simfile *sf;
	char *err;
	size_t errlen;
};

static int sf_fail(struct sfctx *c, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
sf_fail(struct sfctx *c, const config_setting_t *s, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int line = s ? (int)config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(c->err, c->errlen, "%s:%d: %s", c->sf->path, line, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->sf->path, msg);
	return -1;
}

/* Every member of a group must be one of `keys`. */
static int
sf_keys(struct sfctx *c, const config_setting_t *g, const char *what, const char *const *keys)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m), *best = NULL;
		size_t bd = VMM_EDIT_FAR;
		int known = 0;
		if (name == NULL)
			continue;
		for (const char *const *k = keys; *k; k++) {
			size_t d = vmm_edit_distance(name, *k);
			if (d == 0)
				known = 1;
			if (d < bd)
				bd = d, best = *k;
		}
		if (known)
			continue;
		if (best != NULL && bd <= 2)
			return sf_fail(c, m, "unknown key '%s' in %s: did you mean '%s'?", name, what, best);
		char list[512] = "";
		size_t used = 0;
		for (const char *const *k = keys; *k && used < sizeof(list); k++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *k);
		return sf_fail(c, m, "unknown key '%s' in %s (known: %s)", name, what, list);
	}
	return 0;
}

static int
sf_is_number(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static double
sf_number_of(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
	    (double)config_setting_get_int64(s);
}

/* A number in [min, max]; absent: *out = def. 1 when set, 0 absent, -1 error. */
static int
sf_num(struct sfctx *c, const config_setting_t *g, const char *key, double def, double min,
    double max, double *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	*out = def;
	if (s == NULL)
		return 0;
	if (!sf_is_number(s))
		return sf_fail(c, s, "%s: expected a number, got %s", key, conf_type_name(config_setting_type(s)));
	double v = sf_number_of(s);
	if (!isfinite(v) || v < min || v > max)
		return sf_fail(c, s, "%s = %g: must be between %g and %g", key, v, min, max);
	*out = v;
	return 1;
}

static int
sf_str(struct sfctx *c, const config_setting_t *g, const char *key, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	*out = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return sf_fail(c, s, "%s: expected a string in double quotes, got %s", key,
		    conf_type_name(config_setting_type(s)));
	*out = config_setting_get_string(s);
	return 1;
}

static int
sf_bool(struct sfctx *c, const config_setting_t *g, const char *key, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return sf_fail(c, s, "%s: expected true or false (no quotes), got %s", key,
		    conf_type_name(config_setting_type(s)));
	*out = config_setting_get_bool(s);
	return 1;
}

static char *
sf_dup(struct sfctx *c, const config_setting_t *s, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		sf_fail(c, s, "out of memory");
	return d;
}

/* "15:00" or 15 (hours): seconds into the day. */
static int
sf_clock(struct sfctx *c, const config_setting_t *g, const char *key, double *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	int h, m;
	char tail;

	if (s == NULL)
		return 0;
	if (sf_is_number(s)) {
		*out = sf_number_of(s) * 3600;
		if (!isfinite(*out))
			return sf_fail(c, s, "%s: not a finite number", key);
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    sscanf(config_setting_get_string(s), "%d:%d%c", &h, &m, &tail) != 2 ||
	    h < 0 || h > 23 || m < 0 || m > 59)
		return sf_fail(c, s, "%s: write a time of day, e.g. %s = \"15:00\", or hours, e.g. %s = 15.5",
		    key, key, key);
	*out = h * 3600.0 + m * 60.0;
	return 1;
}

/* ---- generators ---- */

static const struct sim_trace *
sf_trace(struct sfctx *c, const config_setting_t *s, const char *rel)
{
	struct simfile *sf = c->sf;
	char path[4096], err[1024];

	if (rel[0] == '/')
		snprintf(path, sizeof(path), "%s", rel);
	else
		snprintf(path, sizeof(path), "%s/%s", sf->dir, rel);
	for (size_t i = 0; i < sf->ntraces; i++)
		if (strcmp(sf->trace_paths[i], path) == 0)
			return sf->traces[i];
	struct sim_trace *tr = calloc(1, sizeof(*tr));
	char **np = realloc(sf->trace_paths, (sf->ntraces + 1) * sizeof(*np));
	if (np != NULL)
		sf->trace_paths = np;
	struct sim_trace **nt = realloc(sf->traces, (sf->ntraces + 1) * sizeof(*nt));
	if (nt != NULL)
		sf->traces = nt;
	if (tr == NULL || np == NULL || nt == NULL) {
		free(tr);
		sf_fail(c, s, "out of memory");
		return NULL;
	}
	if (sim_trace_load(path, tr, err, sizeof(err)) < 0) {
		free(tr);
		sf_fail(c, s, "csv: %s", err);
		return NULL;
	}
	if ((sf->trace_paths[sf->ntraces] = strdup(path)) == NULL) {
		sim_trace_free(tr);
		free(tr);
		sf_fail(c, s, "out of memory");
		return NULL;
	}
	sf->traces[sf->ntraces++] = tr;
	return tr;
}

static int
sf_bursts(struct sfctx *c, const config_setting_t *g, struct gen *out)
{
	static const char *const keys[] = { "per_day", "height", "minutes", NULL };
	double minutes;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return sf_fail(c, g, "bursts: expected a group, e.g. bursts = { per_day = 2; height = 3.0; minutes = 20; }");
	if (sf_keys(c, g, "bursts", keys) < 0 ||
	    sf_num(c, g, "per_day", 1, 0, 1440, &out->burst_per_day) < 0 ||
	    sf_num(c, g, "height", 1, -1e9, 1e9, &out->burst_height) < 0 ||
	    sf_num(c, g, "minutes", 30, 0.01, 1440, &minutes) < 0)
		return -1;
	out->burst_seconds = minutes * 60;
	return 0;
}

static const char *const gen_keys[] = { "value", "mean", "amplitude", "period", "peak", "shape",
	"weekend", "noise", "bursts", "scale", "phase_spread", "floor", "csv", "repeat", NULL };

static int
sf_gen(struct sfctx *c, const config_setting_t *s, const char *what, struct gen *g)
{
	const char *shape = NULL, *csv = NULL;
	double v, period_h;
	int rv, rm;

	memset(g, 0, sizeof(*g));
	g->weekend = 1;
	g->scale = 1;
	g->period = 86400;
	if (sf_is_number(s)) {
		g->value = sf_number_of(s);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return sf_fail(c, s, "%s: expected a number or a group, e.g. %s = { mean = 2.0; amplitude = 1.5; peak = \"15:00\"; }",
		    what, what);
	if (sf_keys(c, s, what, gen_keys) < 0 ||
	    (rv = sf_num(c, s, "value", 0, -1e9, 1e9, &g->value)) < 0 ||
	    (rm = sf_num(c, s, "mean", 0, -1e9, 1e9, &v)) < 0)
		return -1;
	if (rv && rm)
		return sf_fail(c, s, "%s: value and mean are the same thing: keep one", what);
	if (rm)
		g->value = v;
	if (sf_num(c, s, "amplitude", 0, -1e9, 1e9, &g->amplitude) < 0 ||
	    sf_num(c, s, "period", 24, 1.0 / 60, 24 * 366, &period_h) < 0 ||
	    sf_clock(c, s, "peak", &g->peak) < 0 ||
	    sf_str(c, s, "shape", &shape) < 0 ||
	    sf_num(c, s, "weekend", 1, 0, 1e6, &g->weekend) < 0 ||
	    sf_num(c, s, "noise", 0, 0, 100, &g->noise) < 0 ||
	    sf_num(c, s, "scale", 1, -1e9, 1e9, &g->scale) < 0 ||
	    sf_num(c, s, "phase_spread", 0, 0, 24 * 366, &v) < 0 ||
	    sf_num(c, s, "floor", 0, -1e9, 1e9, &g->floor) < 0 ||
	    sf_str(c, s, "csv", &csv) < 0 ||
	    sf_bool(c, s, "repeat", &g->repeat) < 0)
		return -1;
	g->period = period_h * 3600;
	g->phase_spread = v * 3600;
	if (shape != NULL) {
		if (strcmp(shape, "sine") == 0)
			g->shape = GEN_SINE;
		else if (strcmp(shape, "square") == 0)
			g->shape = GEN_SQUARE;
		else
			return sf_fail(c, config_setting_get_member(s, "shape"),
			    "shape: '%s' is neither \"sine\" nor \"square\"", shape);
	}
	const config_setting_t *b = config_setting_get_member(s, "bursts");
	if (b != NULL && sf_bursts(c, b, g) < 0)
		return -1;
	if (csv != NULL && (g->trace = sf_trace(c, config_setting_get_member(s, "csv"), csv)) == NULL)
		return -1;
	return 0;
}

/* ---- the parts ---- */

static const char *const model_keys[] = { "slow_per_unit", "knee", "exponent", "workers", "round", NULL };

static int
sf_model(struct sfctx *c, const config_setting_t *g, struct model *m)
{
	if (g == NULL)
		return 0;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return sf_fail(c, g, "model: expected a group, e.g. model = { knee = 0.7; }");
	return sf_keys(c, g, "model", model_keys) < 0 ||
	    sf_num(c, g, "slow_per_unit", m->slow_per_unit, 0, 1e9, &m->slow_per_unit) < 0 ||
	    sf_num(c, g, "knee", m->knee, 0, 0.999, &m->knee) < 0 ||
	    sf_num(c, g, "exponent", m->exponent, 0.1, 10, &m->exponent) < 0 ||
	    sf_num(c, g, "workers", m->workers, 1, 1e6, &m->workers) < 0 ||
	    sf_bool(c, g, "round", &m->round) < 0 ? -1 : 0;
}

static int
sf_migration(struct sfctx *c, const config_setting_t *g, struct migration *m)
{
	static const char *const keys[] = { "live", "live_spread", "base", "base_spread", "site",
		"site_spread", "downtime", "fail_after", "fail_unreachable", "max_incoming", "load_source",
		"load_target", NULL };

	/* thesis 5.5: back home in 3.5 to 9.5 minutes, away in up to 22 */
	*m = (struct migration){ .live = 25, .live_spread = 0.4, .base = 40, .base_spread = 0.4,
		.site = 600, .site_spread = 0.6, .downtime = 0.3, .fail_after = 120,
		.fail_unreachable = 1 };
	if (g == NULL)
		return 0;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return sf_fail(c, g, "migration: expected a group, e.g. migration = { live = 25; site = 600; }");
	return sf_keys(c, g, "migration", keys) < 0 ||
	    sf_num(c, g, "live", m->live, 0.01, 86400, &m->live) < 0 ||
	    sf_num(c, g, "live_spread", m->live_spread, 0, 0.99, &m->live_spread) < 0 ||
	    sf_num(c, g, "base", m->base, 0.01, 86400, &m->base) < 0 ||
	    sf_num(c, g, "base_spread", m->base_spread, 0, 0.99, &m->base_spread) < 0 ||
	    sf_num(c, g, "site", m->site, 0.01, 86400, &m->site) < 0 ||
	    sf_num(c, g, "site_spread", m->site_spread, 0, 0.99, &m->site_spread) < 0 ||
	    sf_num(c, g, "downtime", m->downtime, 0, 3600, &m->downtime) < 0 ||
	    sf_num(c, g, "fail_after", m->fail_after, 0.01, 86400, &m->fail_after) < 0 ||
	    sf_num(c, g, "fail_unreachable", m->fail_unreachable, 0.01, 86400, &m->fail_unreachable) < 0 ||
	    sf_num(c, g, "max_incoming", m->max_incoming, 0, 1e6, &m->max_incoming) < 0 ||
	    sf_num(c, g, "load_source", 0, 0, 1e6, &m->load_source) < 0 ||
	    sf_num(c, g, "load_target", 0, 0, 1e6, &m->load_target) < 0 ? -1 : 0;
}

int
simfile_host(const struct simfile *sf, const char *name)
{
	for (size_t i = 0; i < sf->nhosts; i++)
		if (strcmp(sf->hosts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
sf_list(struct sfctx *c, const config_t *cf, const char *key, const config_setting_t **out,
    int required, const char *example)
{
	const config_setting_t *s = config_lookup(cf, key);

	*out = s;
	if (s == NULL) {
		if (required)
			return sf_fail(c, NULL, "%s is not set: add e.g. %s", key, example);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return sf_fail(c, s, "%s: expected a list in parentheses of groups, e.g. %s", key, example);
	return 0;
}

static int
sf_one_host(struct sfctx *c, const config_setting_t *g, struct sim_host *h)
{
	static const char *const keys[] = { "name", "capacity", "cost", "site", "background", "memory",
		NULL };
	const char *name, *site;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return sf_fail(c, g, "hosts: each host is a group { name = \"h1\"; capacity = 8; cost = 0.10; }");
	h->line = (int)config_setting_source_line(g);
	if (sf_keys(c, g, "a host", keys) < 0 || sf_str(c, g, "name", &name) < 0 ||
	    sf_str(c, g, "site", &site) < 0)
		return -1;
	if (name == NULL || *name == '\0')
		return sf_fail(c, g, "a host without a name: add name = \"h1\"");
	if (simfile_host(c->sf, name) >= 0)
		return sf_fail(c, g, "host '%s' is defined twice", name);
	if (sf_num(c, g, "capacity", NAN, 1e-9, 1e12, &h->capacity) < 0 ||
	    sf_num(c, g, "cost", 0, 0, 1e12, &h->cost) < 0 ||
	    sf_num(c, g, "memory", 0, 0, 1e9, &h->memory) < 0)
		return -1;
	if (isnan(h->capacity))
		return sf_fail(c, g, "host '%s': capacity is not set: add e.g. capacity = 8.0 (the units demand is given in)", name);
	const config_setting_t *bg = config_setting_get_member(g, "background");
	h->bg = (struct gen){ .weekend = 1, .scale = 1, .period = 86400 };
	if (bg != NULL && sf_gen(c, bg, "background", &h->bg) < 0)
		return -1;
	if ((h->name = sf_dup(c, g, name)) == NULL ||
	    (h->site = sf_dup(c, g, site != NULL ? site : "home")) == NULL)
		return -1;
	return 0;
}

static int
sf_hosts(struct sfctx *c, const config_t *cf)
{
	const config_setting_t *l;

	if (sf_list(c, cf, "hosts", &l, 1, "hosts = ( { name = \"h1\"; capacity = 8; cost = 0.10; } );") < 0)
		return -1;
	size_t n = (size_t)config_setting_length(l);
	if (n == 0)
		return sf_fail(c, l, "hosts: the list is empty");
	if ((c->sf->hosts = calloc(n, sizeof(*c->sf->hosts))) == NULL)
		return sf_fail(c, l, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (sf_one_host(c, config_setting_get_elem(l, (unsigned)i), &c->sf->hosts[i]) < 0)
			return -1;
		c->sf->nhosts++;
	}
	return 0;
}

static int
sf_indicator(struct sfctx *c, const config_setting_t *g, enum indicator *out)
{
	const char *s;

	*out = IND_SLOW;
	if (sf_str(c, g, "indicator", &s) < 0)
		return -1;
	if (s == NULL || strcmp(s, "slow_queries") == 0)
		return 0;
	if (strcmp(s, "idle_workers") == 0)
		*out = IND_IDLE;
	else if (strcmp(s, "direct") == 0)
		*out = IND_DIRECT;
	else
		return sf_fail(c, config_setting_get_member(g, "indicator"),
		    "indicator: '%s' is none of \"slow_queries\", \"idle_workers\", \"direct\"", s);
	return 0;
}

static int
sf_one_vm(struct sfctx *c, const config_setting_t *g, struct sim_vmspec *v)
{
	static const char *const keys[] = { "name", "conf", "count", "indicator", "sla", "model",
		"demand", "start", "memory", NULL };
	const char *name, *conf, *start;
	double count;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return sf_fail(c, g, "vms: each VM is a group { name = \"nii1\"; conf = \"nii1.conf\"; demand = 2.0; }");
	v->line = (int)config_setting_source_line(g);
	v->model = c->sf->model;
	if (sf_keys(c, g, "a VM", keys) < 0 || sf_str(c, g, "name", &name) < 0 ||
	    sf_str(c, g, "conf", &conf) < 0 || sf_str(c, g, "start", &start) < 0 ||
	    sf_num(c, g, "count", 1, 1, 1e7, &count) < 0 ||
	    sf_num(c, g, "sla", NAN, -1e12, 1e12, &v->sla) < 0 ||
	    sf_num(c, g, "memory", 0, 0, 1e9, &v->memory) < 0 ||
	    sf_indicator(c, g, &v->ind) < 0 ||
	    sf_model(c, config_setting_get_member(g, "model"), &v->model) < 0)
		return -1;
	if (name == NULL || *name == '\0' || strpbrk(name, " ,\t\"/:") != NULL)
		return sf_fail(c, g, "a VM needs a name without spaces, commas, quotes, slashes or colons: name = \"nii1\"");
	for (size_t i = 0; i < c->sf->nvms; i++)
		if (strcmp(c->sf->vms[i].name, name) == 0)
			return sf_fail(c, g, "VM '%s' is defined twice", name);
	if (conf == NULL)
		return sf_fail(c, g, "VM '%s': conf is not set: add conf = \"%s.conf\" (its vmmanage.conf, relative to this file)",
		    name, name);
	if (count != floor(count))
		return sf_fail(c, config_setting_get_member(g, "count"), "count: a whole number");
	v->count = (long)count;
	if (start != NULL && strcmp(start, "spread") != 0 && simfile_host(c->sf, start) < 0)
		return sf_fail(c, config_setting_get_member(g, "start"),
		    "start: no host '%s' in hosts (or write start = \"spread\")", start);
	const config_setting_t *d = config_setting_get_member(g, "demand");
	if (d == NULL)
		return sf_fail(c, g, "VM '%s': demand is not set: add e.g. demand = { mean = 2.0; amplitude = 1.5; peak = \"15:00\"; }",
		    name);
	if (sf_gen(c, d, "demand", &v->demand) < 0)
		return -1;
	char path[4096];
	if (conf[0] == '/')
		snprintf(path, sizeof(path), "%s", conf);
	else
		snprintf(path, sizeof(path), "%s/%s", c->sf->dir, conf);
	if ((v->name = sf_dup(c, g, name)) == NULL || (v->conf = sf_dup(c, g, path)) == NULL ||
	    (start != NULL && (v->start = sf_dup(c, g, start)) == NULL))
		return -1;
	return 0;
}

static int
sf_vms(struct sfctx *c, const config_t *cf)
{
	const config_setting_t *l;

	if (sf_list(c, cf, "vms", &l, 1, "vms = ( { name = \"nii1\"; conf = \"nii1.conf\"; demand = 2.0; } );") < 0)
		return -1;
	size_t n = (size_t)config_setting_length(l);
	if (n == 0)
		return sf_fail(c, l, "vms: the list is empty");
	if ((c->sf->vms = calloc(n, sizeof(*c->sf->vms))) == NULL)
		return sf_fail(c, l, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (sf_one_vm(c, config_setting_get_elem(l, (unsigned)i), &c->sf->vms[c->sf->nvms]) < 0)
			return -1;
		c->sf->nvms++;
	}
	return 0;
}

static int
sf_outages(struct sfctx *c, const config_t *cf)
{
	static const char *const keys[] = { "host", "endpoint", "at", "hours", NULL };
	const config_setting_t *l;

	if (sf_list(c, cf, "outages", &l, 0, "outages = ( { host = \"h3\"; at = 30; hours = 6; } );") < 0)
		return -1;
	if (l == NULL)
		return 0;
	size_t n = (size_t)config_setting_length(l);
	if ((c->sf->outages = calloc(n ? n : 1, sizeof(*c->sf->outages))) == NULL)
		return sf_fail(c, l, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct outage *o = &c->sf->outages[i];
		const char *host = NULL;
		int endpoint = 0;
		double at, hours;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			return sf_fail(c, g, "outages: each is a group { host = \"h3\"; at = 30; hours = 6; }");
		o->line = (int)config_setting_source_line(g);
		if (sf_keys(c, g, "an outage", keys) < 0 || sf_str(c, g, "host", &host) < 0 ||
		    sf_bool(c, g, "endpoint", &endpoint) < 0 ||
		    sf_num(c, g, "at", NAN, 0, 1e7, &at) < 0 ||
		    sf_num(c, g, "hours", NAN, 0, 1e7, &hours) < 0)
			return -1;
		if ((host != NULL) == (endpoint != 0))
			return sf_fail(c, g, "an outage names either host = \"h3\" or endpoint = true (the management server is down)");
		if (isnan(at) || isnan(hours))
			return sf_fail(c, g, "an outage needs at (hours from the start) and hours (how long)");
		if (host != NULL && (o->host = simfile_host(c->sf, host)) < 0)
			return sf_fail(c, config_setting_get_member(g, "host"), "host: no host '%s' in hosts", host);
		if (endpoint)
			o->host = -1;
		o->from = at * 3600;
		o->to = (at + hours) * 3600;
		c->sf->noutages++;
	}
	return 0;
}

static int
sf_timezone(struct sfctx *c, const config_t *cf)
{
	const config_setting_t *s = config_lookup(cf, "timezone");

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return sf_fail(c, s, "timezone: expected a string, e.g. timezone = \"Europe/Oslo\"");
	/* the working hours, the weekly pattern and the dates printed are local time */
	char err[512];
	if (vmm_localtime_zone(config_setting_get_string(s), err, sizeof(err)) < 0)
		return sf_fail(c, s, "timezone: %s", err);
	return 0;
}

static int
sf_start(struct sfctx *c, const config_t *cf)
{
	const config_setting_t *s = config_lookup(cf, "start");
	const char *v;

	c->sf->start = 1241992800; /* Mon May 11 2009 00:00 CEST: the week of the thesis's logs */
	if (s == NULL)
		return 0;
	if (sf_is_number(s)) {
		c->sf->start = (int64_t)sf_number_of(s);
		return 0;
	}
	v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (v == NULL || sim_parse_date(v, strlen(v), &c->sf->start) < 0)
		return sf_fail(c, s, "start: write a date, e.g. start = \"2009-05-11 00:00\" (local time in timezone), or an epoch");
	return 0;
}

static int
sf_top(struct sfctx *c, const config_t *cf)
{
	static const char *const keys[] = { "start", "timezone", "days", "hours", "step", "seed",
		"sla", "thesis_sleep", "hint_age", "model", "migration", "hosts", "vms", "outages",
		NULL };
	const config_setting_t *root = config_root_setting(cf);
	struct simfile *sf = c->sf;
	double days, hours, seed;
	int rd, rh;

	if (sf_keys(c, root, "the simulation file", keys) < 0 || sf_timezone(c, cf) < 0 ||
	    sf_start(c, cf) < 0 ||
	    (rd = sf_num(c, root, "days", 7, 1.0 / 1440, 3660, &days)) < 0 ||
	    (rh = sf_num(c, root, "hours", 0, 1.0 / 60, 3660 * 24, &hours)) < 0)
		return -1;
	if (rd && rh)
		return sf_fail(c, config_lookup(cf, "hours"), "days and hours both set: keep one");
	sf->duration = rh ? hours * 3600 : days * 86400;
	if (sf_num(c, root, "step", 0, 1, 3600, &sf->step) < 0 ||
	    sf_num(c, root, "seed", 1, 0, 9007199254740992.0, &seed) < 0 ||
	    sf_num(c, root, "sla", NAN, -1e12, 1e12, &sf->sla) < 0 ||
	    sf_num(c, root, "thesis_sleep", NAN, 0, 86400, &sf->thesis_sleep) < 0 ||
	    sf_num(c, root, "hint_age", NAN, 0, 86400, &sf->hint_age) < 0)
		return -1;
	sf->seed = (uint64_t)seed;
	sf->model = (struct model){ .slow_per_unit = 12, .knee = 0.7, .exponent = 2,
		.workers = 150, .round = 1 };
	if (sf_model(c, config_lookup(cf, "model"), &sf->model) < 0 ||
	    sf_migration(c, config_lookup(cf, "migration"), &sf->mig) < 0 ||
	    sf_hosts(c, cf) < 0 || sf_vms(c, cf) < 0 || sf_outages(c, cf) < 0)
		return -1;
	return 0;
}

struct simfile *
simfile_load(const char *path, char *err, size_t errlen)
{
	struct simfile *sf = calloc(1, sizeof(*sf));
	struct sfctx c = { .sf = sf, .err = err, .errlen = errlen };
	config_t cf;

	if (sf == NULL || (sf->path = strdup(path)) == NULL || (sf->dir = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		simfile_free(sf);
		return NULL;
	}
	char *slash = strrchr(sf->dir, '/');
	if (slash == NULL)
		strcpy(sf->dir, ".");
	else if (slash == sf->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s%s", config_error_file(&cf) ? config_error_file(&cf) : path,
			    config_error_line(&cf), config_error_text(&cf),
			    " (a libconfig file: key = value; strings in double quotes; groups { }; lists ( ))");
		config_destroy(&cf);
		simfile_free(sf);
		return NULL;
	}
	int rc = sf_top(&c, &cf);
	config_destroy(&cf);
	if (rc < 0) {
		simfile_free(sf);
		return NULL;
	}
	return sf;
}

void
simfile_free(struct simfile *sf)
{
	if (sf == NULL)
		return;
	for (size_t i = 0; i < sf->nhosts; i++) {
		free(sf->hosts[i].name);
		free(sf->hosts[i].site);
	}
	for (size_t i = 0; i < sf->nvms; i++) {
		free(sf->vms[i].name);
		free(sf->vms[i].conf);
		free(sf->vms[i].start);
	}
	for (size_t i = 0; i < sf->ntraces; i++) {
		sim_trace_free(sf->traces[i]);
		free(sf->traces[i]);
		free(sf->trace_paths[i]);
	}
	free(sf->traces);
	free(sf->trace_paths);
	free(sf->hosts);
	free(sf->vms);
	free(sf->outages);
	free(sf->path);
	free(sf->dir);
	free(sf);
}
