/* SPDX-License-Identifier: ISC */
/* The collector's configuration file (libconfig): defaults, loading, checking. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "collector.h"
#include "common/alertq.h"
#include "common/metrics_http.h"

#ifndef VMM_LOCALSTATEDIR
#define VMM_LOCALSTATEDIR "/var"
#endif

void
collector_conf_defaults(struct collector_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->listen[0] = strdup("127.0.0.1:31000");
	c->listen[1] = strdup("[::1]:31000");
	c->nlisten = 2;
	c->state_dir = strdup(VMM_LOCALSTATEDIR "/lib/vmmanage-collector");
	c->user = strdup("nobody");
	c->max_line = 8192;
	c->max_clients = 16384;
	c->idle_timeout = 60;
	c->agent_idle_timeout = 3600;
	c->max_clock_skew = 300;
	c->rate_limit = 1000;
	c->rate_burst = 10000;
	c->max_agent_hosts = 10000;
	c->max_partial = 64 * 1024 * 1024;
	c->forward_timeout = 10;
	c->forward_retry_max = 30;
	c->silent_after = 180;
	c->alert_timeout = 30;
	char err[64];
	collector_acl_add(&c->acl, "127.0.0.0/8", err, sizeof(err));
	collector_acl_add(&c->acl, "::1/128", err, sizeof(err));
}

static void
collector_conf_setstr(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL && *v != '\0' ? strdup(v) : NULL;
}

/* A number key, int or float, within [min, max]. */
static int
collector_conf_num(const config_setting_t *s, double min, double max, double *out, char *err,
    size_t errlen, const char *file)
{
	int type = config_setting_type(s);
	double v;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (type == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		snprintf(err, errlen, "%s:%d: %s must be a number (without quotes)", file,
		    config_setting_source_line(s), config_setting_name(s));
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s:%d: %s = %g is out of range %g..%g", file,
		    config_setting_source_line(s), config_setting_name(s), v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
collector_conf_str(const config_setting_t *s, const char **out, char *err, size_t errlen,
    const char *file)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		snprintf(err, errlen, "%s:%d: %s must be a string in double quotes", file,
		    config_setting_source_line(s), config_setting_name(s));
		return -1;
	}
	*out = config_setting_get_string(s);
	return 0;
}

/* The string keys with a form of their own. */
static int
collector_conf_check_str(const config_setting_t *s, const char *v, char *err, size_t errlen,
    const char *file)
{
	char host[256], port[8], e[256];

	if (strcmp(config_setting_name(s), "forward_relp") == 0 && *v != '\0' &&
	    collector_fwd_addr_parse(v, host, sizeof(host), port, sizeof(port), e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s:%d: forward_relp: %s", file, config_setting_source_line(s), e);
		return -1;
	}
	return 0;
}

/* A list of strings; a single string is taken as a list of one. */
static int
collector_conf_strlist(const config_setting_t *s, const char **v, size_t max, size_t *n,
    char *err, size_t errlen, const char *file)
{
	int type = config_setting_type(s);

	*n = 0;
	if (type == CONFIG_TYPE_STRING) {
		v[(*n)++] = config_setting_get_string(s);
		return 0;
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		snprintf(err, errlen, "%s:%d: %s must be a list of strings, e.g. [\"a\", \"b\"]", file,
		    config_setting_source_line(s), config_setting_name(s));
		return -1;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING || *n >= max) {
			snprintf(err, errlen, "%s:%d: %s must be a list of at most %zu strings", file,
			    config_setting_source_line(s), config_setting_name(s), max);
			return -1;
		}
		v[(*n)++] = config_setting_get_string(e);
	}
	return 0;
}

static void
collector_conf_free_alert(struct collector_conf *c)
{
	for (size_t i = 0; i < c->nalert_command; i++)
		free(c->alert_command[i]);
	free(c->alert_command);
	c->alert_command = NULL;
	c->nalert_command = 0;
}

static int
collector_conf_listen(struct collector_conf *c, const config_setting_t *s, char *err,
    size_t errlen, const char *file)
{
	const char *v[COLLECTOR_MAX_LISTEN];
	size_t n;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char e[256];

	if (collector_conf_strlist(s, v, COLLECTOR_MAX_LISTEN, &n, err, errlen, file) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (collector_addr_parse(v[i], &ss, &sslen, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s:%d: listen: %s", file, config_setting_source_line(s), e);
			return -1;
		}
	for (size_t i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	for (size_t i = 0; i < n; i++)
		c->listen[i] = strdup(v[i]);
	c->nlisten = n;
	return 0;
}

static int
collector_conf_allow(struct collector_conf *c, const config_setting_t *s, char *err,
    size_t errlen, const char *file)
{
	const char *v[1024];
	size_t n;
	char e[256];
	struct collector_acl acl = { 0 };

	if (collector_conf_strlist(s, v, 1024, &n, err, errlen, file) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (collector_acl_add(&acl, v[i], e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s:%d: allow: %s", file, config_setting_source_line(s), e);
			collector_acl_free(&acl);
			return -1;
		}
	collector_acl_free(&c->acl);
	c->acl = acl;
	return 0;
}

/* alert_command = ["program", "arg", ...]: argv, never a shell. */
static int
collector_conf_alert(struct collector_conf *c, const config_setting_t *s, char *err,
    size_t errlen, const char *file)
{
	const char *v[ALERTQ_ARGV - 5];
	size_t n;

	if (collector_conf_strlist(s, v, ALERTQ_ARGV - 5, &n, err, errlen, file) < 0)
		return -1;
	if (n > 0 && v[0][0] == '\0') {
		snprintf(err, errlen, "%s:%d: alert_command: the program is empty", file,
		    config_setting_source_line(s));
		return -1;
	}
	collector_conf_free_alert(c);
	if (n == 0)
		return 0;
	if ((c->alert_command = calloc(n, sizeof(char *))) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	for (size_t i = 0; i < n; i++)
		if ((c->alert_command[c->nalert_command++] = strdup(v[i])) == NULL)
			return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

/* One top-level key. */
static int
collector_conf_key(struct collector_conf *c, const config_setting_t *s, char *err, size_t errlen,
    const char *file)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "output", offsetof(struct collector_conf, output) },
		{ "json_output", offsetof(struct collector_conf, json_output) },
		{ "state_dir", offsetof(struct collector_conf, state_dir) },
		{ "user", offsetof(struct collector_conf, user) },
		{ "pid_file", offsetof(struct collector_conf, pid_file) },
		{ "keys_file", offsetof(struct collector_conf, keys_file) },
		{ "forward_relp", offsetof(struct collector_conf, forward_relp) },
		{ "control_socket", offsetof(struct collector_conf, control_socket) },
		{ "metrics_listen", offsetof(struct collector_conf, metrics_listen) },
	};
	static const struct { const char *name; size_t off; double min, max; } nums[] = {
		{ "idle_timeout", offsetof(struct collector_conf, idle_timeout), 1, 86400 },
		{ "agent_idle_timeout", offsetof(struct collector_conf, agent_idle_timeout), 1, 604800 },
		{ "rate_limit", offsetof(struct collector_conf, rate_limit), 0, 1e9 },
		{ "rate_burst", offsetof(struct collector_conf, rate_burst), 1, 1e9 },
		{ "max_clock_skew", offsetof(struct collector_conf, max_clock_skew), 0, 1e9 },
		{ "forward_timeout", offsetof(struct collector_conf, forward_timeout), 1, 3600 },
		{ "forward_retry_max", offsetof(struct collector_conf, forward_retry_max), 1, 86400 },
		{ "silent_after", offsetof(struct collector_conf, silent_after), 0, 1e9 },
		{ "alert_timeout", offsetof(struct collector_conf, alert_timeout), 1, 3600 },
	};
	const char *name = config_setting_name(s), *sv;
	char e[256];
	double d;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(name, strs[i].name) == 0) {
			if (collector_conf_str(s, &sv, err, errlen, file) < 0 ||
			    collector_conf_check_str(s, sv, err, errlen, file) < 0)
				return -1;
			if (strcmp(name, "metrics_listen") == 0 && *sv != '\0' &&
			    metrics_http_parse(sv, e, sizeof(e)) < 0) {
				snprintf(err, errlen, "%s:%d: %s", file, config_setting_source_line(s), e);
				return -1;
			}
			collector_conf_setstr((char **)((char *)c + strs[i].off), sv);
			return 0;
		}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strcmp(name, nums[i].name) == 0)
			return collector_conf_num(s, nums[i].min, nums[i].max,
			    (double *)(void *)((char *)c + nums[i].off), err, errlen, file);
	if (strcmp(name, "max_line") == 0) {
		if (collector_conf_num(s, 64, 16 * 1024 * 1024, &d, err, errlen, file) < 0)
			return -1;
		c->max_line = (size_t)d;
		return 0;
	}
	if (strcmp(name, "max_clients") == 0) {
		if (collector_conf_num(s, 1, 1000000, &d, err, errlen, file) < 0)
			return -1;
		c->max_clients = (long)d;
		return 0;
	}
	if (strcmp(name, "max_agent_hosts") == 0) {
		if (collector_conf_num(s, 16, 10000000, &d, err, errlen, file) < 0)
			return -1;
		c->max_agent_hosts = (size_t)d;
		return 0;
	}
	if (strcmp(name, "max_partial_bytes") == 0) {
		if (collector_conf_num(s, 1024 * 1024, 1e12, &d, err, errlen, file) < 0)
			return -1;
		c->max_partial = (size_t)d;
		return 0;
	}
	if (strcmp(name, "listen") == 0)
		return collector_conf_listen(c, s, err, errlen, file);
	if (strcmp(name, "allow") == 0)
		return collector_conf_allow(c, s, err, errlen, file);
	if (strcmp(name, "alert_command") == 0)
		return collector_conf_alert(c, s, err, errlen, file);
	snprintf(err, errlen, "%s:%d: unknown key \"%s\" (see vmmanage-collector(8))", file,
	    config_setting_source_line(s), name);
	return -1;
}

int
collector_conf_load(struct collector_conf *c, const char *file, char *err, size_t errlen)
{
	config_t cfg;
	int rc = 0;
	char *old = setlocale(LC_NUMERIC, NULL);
	char *saved = old ? strdup(old) : NULL;

	/* libconfig parses floats with strtod: the decimal point must be '.' */
	setlocale(LC_NUMERIC, "C");
	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s%s", config_error_file(&cfg) ? config_error_file(&cfg) : file,
			    config_error_line(&cfg), config_error_text(&cfg),
			    strcmp(config_error_text(&cfg), "syntax error") == 0 ?
			    " (strings need double quotes, lists are [\"a\", \"b\"], each setting ends with ';' or a new line)" : "");
		rc = -1;
	} else {
		const config_setting_t *root = config_root_setting(&cfg);
		for (int i = 0; rc == 0 && i < config_setting_length(root); i++)
			rc = collector_conf_key(c, config_setting_get_elem(root, (unsigned)i), err, errlen, file);
	}
	config_destroy(&cfg);
	setlocale(LC_NUMERIC, saved ? saved : "C");
	free(saved);
	return rc;
}

void
collector_conf_free(struct collector_conf *c)
{
	for (size_t i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->output);
	free(c->json_output);
	free(c->state_dir);
	free(c->user);
	free(c->pid_file);
	free(c->keys_file);
	free(c->forward_relp);
	free(c->control_socket);
	free(c->metrics_listen);
	collector_conf_free_alert(c);
	collector_acl_free(&c->acl);
	memset(c, 0, sizeof(*c));
}
