/* SPDX-License-Identifier: ISC */
/* vmmanage.conf's typed lookups with file:line errors, and a module's keys' fingerprint. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_priv.h"

const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "a whole number";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true/false";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	case CONFIG_TYPE_GROUP: return "a group";
	default: return "an unknown type";
	}
}

static config_setting_t *
conf_lookup(const struct vmm_conf *c, const char *key)
{
	config_setting_t *root = config_root_setting(&c->cf);

	return config_setting_get_member(root, key);
}

int
conf_has(const struct vmm_conf *c, const char *key)
{
	return conf_lookup(c, key) != NULL;
}

const char *
conf_where(const struct vmm_conf *c, const char *key, char *buf, size_t len)
{
	config_setting_t *s = conf_lookup(c, key);

	if (s == NULL)
		snprintf(buf, len, "%s", c->path);
	else
		conf_at(c, s, buf, len);
	return buf;
}

static int
conf_type_error(const struct vmm_conf *c, config_setting_t *s, const char *key,
    const char *want, const char *hint, char *err, size_t errlen)
{
	char at[512];

	snprintf(err, errlen, "%s: %s: expected %s, got %s%s", conf_at(c, s, at, sizeof(at)), key,
	    want, conf_type_name(config_setting_type(s)), hint);
	return -1;
}

/* libconfig wraps an integer past 2^31 written without `L` silently (libconfig#69);
 * the literal on the setting's line says what was meant. */
static int64_t
conf_setting_int64(const struct vmm_conf *c, config_setting_t *s)
{
	int64_t v = config_setting_get_int64(s);
	const char *line = c->text;

	if (config_setting_type(s) != CONFIG_TYPE_INT || line == NULL)
		return v;
	for (unsigned n = config_setting_source_line(s); n > 1 && line; n--)
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	const char *name = config_setting_name(s);
	if (name == NULL) /* an element of a list: libconfig's value it is */
		return v;
	const char *p = line ? strstr(line, name) : NULL;
	if (p == NULL || (p = strpbrk(p + strlen(name), "=:")) == NULL)
		return v;
	char *end;
	errno = 0;
	long long lit = strtoll(p + 1, &end, 0);
	return end != p + 1 && errno == 0 ? (int64_t)lit : v;
}

/* A number may be written as an int or a float (libconfig#156). */
static int
conf_setting_number(const struct vmm_conf *c, config_setting_t *s, double *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)conf_setting_int64(c, s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return 0;
	default:
		return -1;
	}
}

int
conf_number(const struct vmm_conf *c, const char *key, double *out, char *err, size_t errlen)
{
	config_setting_t *s = conf_lookup(c, key);

	if (s == NULL)
		return 0;
	if (conf_setting_number(c, s, out) < 0)
		return conf_type_error(c, s, key, "a number",
		    config_setting_type(s) == CONFIG_TYPE_STRING ? " (write numbers without quotes)" : "",
		    err, errlen);
	return 1;
}

int
conf_int(const struct vmm_conf *c, const char *key, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errlen)
{
	config_setting_t *s = conf_lookup(c, key);
	double d;
	char at[512];

	if (s == NULL)
		return 0;
	if (conf_setting_number(c, s, &d) < 0)
		return conf_type_error(c, s, key, "a whole number",
		    config_setting_type(s) == CONFIG_TYPE_STRING ? " (write numbers without quotes)" : "",
		    err, errlen);
	int is_float = config_setting_type(s) == CONFIG_TYPE_FLOAT;
	/* a float past int64's range cannot be converted at all */
	if (is_float && !(d >= -9.2e18 && d <= 9.2e18)) {
		snprintf(err, errlen, "%s: %s: %g is out of range (%lld to %lld)",
		    conf_at(c, s, at, sizeof(at)), key, d, (long long)min, (long long)max);
		return -1;
	}
	int64_t v = is_float ? (int64_t)d : conf_setting_int64(c, s);
	if (is_float && (double)v != d) {
		snprintf(err, errlen, "%s: %s: expected a whole number, got %g",
		    conf_at(c, s, at, sizeof(at)), key, d);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: %s: %lld is out of range (%lld to %lld)",
		    conf_at(c, s, at, sizeof(at)), key, (long long)v, (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 1;
}

int
conf_bool(const struct vmm_conf *c, const char *key, int *out, char *err, size_t errlen)
{
	config_setting_t *s = conf_lookup(c, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_type_error(c, s, key, "true or false",
		    config_setting_type(s) == CONFIG_TYPE_STRING ? " (write true or false without quotes)" : "",
		    err, errlen);
	*out = config_setting_get_bool(s);
	return 1;
}

/* Numbers are accepted where a name is meant (legacy `base = 3`); their text is kept
 * with the conf so the pointer stays valid. */
static const char *
conf_keep_number(struct vmm_conf *c, config_setting_t *s)
{
	char buf[64];
	double d;

	if (conf_setting_number(c, s, &d) < 0)
		return NULL;
	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		snprintf(buf, sizeof(buf), "%g", d);
	else
		snprintf(buf, sizeof(buf), "%lld", (long long)conf_setting_int64(c, s));
	struct conf_str *n = malloc(sizeof(*n) + strlen(buf) + 1);
	if (n == NULL)
		return NULL;
	strcpy(n->s, buf);
	n->next = c->strs;
	c->strs = n;
	return n->s;
}

static const char *
conf_setting_text(const struct vmm_conf *c, config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return config_setting_get_string(s);
	/* the cache is bookkeeping, not configuration: casting away const is safe here */
	return conf_keep_number((struct vmm_conf *)(uintptr_t)c, s);
}

int
conf_string(const struct vmm_conf *c, const char *key, const char **out, char *err, size_t errlen)
{
	config_setting_t *s = conf_lookup(c, key);

	if (s == NULL)
		return 0;
	const char *v = conf_setting_text(c, s);
	if (v == NULL)
		return conf_type_error(c, s, key, "a string", "", err, errlen);
	*out = v;
	return 1;
}

/* One string is split at white space, so `hosts = "h1 h2"` and `hosts = ["h1", "h2"]`
 * mean the same. The split copies live in the returned block itself. */
static const char **
conf_split(const char *v, size_t *n)
{
	size_t len = strlen(v), words = 0;
	const char *p;

	for (p = v; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p)
			words++;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	const char **list = malloc((words + 1) * sizeof(*list) + len + 1);
	if (list == NULL)
		return NULL;
	char *text = (char *)(list + words + 1);
	memcpy(text, v, len + 1);
	size_t i = 0;
	for (char *save = NULL, *w = strtok_r(text, " \t\r\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\r\n", &save))
		list[i++] = w;
	list[i] = NULL;
	*n = i;
	return list;
}

int
conf_strings(const struct vmm_conf *c, const char *key, const char ***out, size_t *n,
    char *err, size_t errlen)
{
	config_setting_t *s = conf_lookup(c, key);
	int type;

	if (s == NULL)
		return 0;
	type = config_setting_type(s);
	if (type == CONFIG_TYPE_STRING) {
		*out = conf_split(config_setting_get_string(s), n);
		return *out == NULL ? (snprintf(err, errlen, "out of memory"), -1) : 1;
	}
	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 || type == CONFIG_TYPE_FLOAT) {
		/* the thesis's home=1: a number where a host name is meant, one host */
		const char **list = calloc(2, sizeof(*list));
		if (list == NULL || (list[0] = conf_setting_text(c, s)) == NULL) {
			free(list);
			return snprintf(err, errlen, "out of memory"), -1;
		}
		*out = list;
		*n = 1;
		return 1;
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_type_error(c, s, key, "a list of names like [\"a\", \"b\"]", "", err, errlen);
	int len = config_setting_length(s);
	const char **list = calloc((size_t)len + 1, sizeof(*list));
	if (list == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	for (int i = 0; i < len; i++) {
		list[i] = conf_setting_text(c, config_setting_get_elem(s, (unsigned)i));
		if (list[i] == NULL) {
			free(list);
			return conf_type_error(c, s, key, "a list of names or numbers", "", err, errlen);
		}
	}
	*out = list;
	*n = (size_t)len;
	return 1;
}

static void
conf_append_setting(FILE *f, config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "i%lld", (long long)config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		fprintf(f, "f%.17g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		fprintf(f, "b%d", config_setting_get_bool(s));
		break;
	case CONFIG_TYPE_STRING:
		fprintf(f, "s%zu:%s", strlen(config_setting_get_string(s)), config_setting_get_string(s));
		break;
	default:
		fputc('[', f);
		for (int i = 0; i < config_setting_length(s); i++)
			conf_append_setting(f, config_setting_get_elem(s, (unsigned)i));
		fputc(']', f);
	}
}

char *
conf_fingerprint(const struct vmm_conf *c, const char *const *keys)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (; keys != NULL && *keys != NULL; keys++) {
		config_setting_t *s = conf_lookup(c, *keys);
		fprintf(f, "%s=", *keys);
		if (s != NULL)
			conf_append_setting(f, s);
		fputc(';', f);
	}
	fclose(f);
	return buf;
}
