/* SPDX-License-Identifier: ISC */
/* vmmanage.conf through libconfig. The file is flat `key = value` lines; libconfig gives us
 * types and line numbers, we add the messages an administrator can act on. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "core/conf_priv.h"

/* Read line `lineno` of `path` into buf; "" when it cannot. */
static void
conf_file_line(const char *path, int lineno, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(buf, len, f) != NULL)
		if (++n == lineno)
			break;
	if (n != lineno)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
}

/* A value that is neither quoted nor a number libconfig reads: `grade a`, and also
 * `1.2.3.255`, which starts like a number. */
static int
conf_is_bare_value(const char *v)
{
	if (*v == '\0' || *v == '"' || *v == '[' || *v == '(' || *v == '{' || *v == '@')
		return 0;
	if (isdigit((unsigned char)*v) || *v == '-' || *v == '+' || *v == '.') {
		char *end;
		(void)strtod(v, &end);
		while (*end == 'L')
			end++;
		while (isspace((unsigned char)*end))
			end++;
		return end == v || !(*end == '\0' || *end == '#' || *end == ';' || *end == ',' ||
		    *end == '/');
	}
	return 1;
}

/* libconfig says only "syntax error"; when the line is `key = bare words`, say that a
 * string needs double quotes and show the mended line. */
static void
conf_syntax_hint(const char *path, int lineno, char *hint, size_t len)
{
	char line[512], key[128];
	const char *p;
	size_t k = 0;

	hint[0] = '\0';
	if (path == NULL)
		return;
	conf_file_line(path, lineno, line, sizeof(line));
	for (p = line; isspace((unsigned char)*p); p++)
		;
	while ((isalnum((unsigned char)*p) || *p == '_' || *p == '-') && k < sizeof(key) - 1)
		key[k++] = *p++;
	key[k] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (k == 0 || (*p != '=' && *p != ':'))
		return;
	for (p++; isspace((unsigned char)*p); p++)
		;
	if (!conf_is_bare_value(p))
		return;
	char val[256];
	snprintf(val, sizeof(val), "%s", p);
	char *hash = strchr(val, '#');
	if (hash != NULL)
		*hash = '\0';
	for (size_t n = strlen(val); n > 0 && isspace((unsigned char)val[n - 1]); n--)
		val[n - 1] = '\0';
	snprintf(hint, len, " (strings need double quotes: write %s = \"%s\")", key, val);
}

static struct vmm_conf *
conf_new(const char *path)
{
	struct vmm_conf *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	config_init(&c->cf);
	c->refs = 1;
	c->path = strdup(path);
	if (c->path == NULL) {
		config_destroy(&c->cf);
		free(c);
		return NULL;
	}
	return c;
}

static struct vmm_conf *
conf_parse_failed(struct vmm_conf *c, const char *path, int from_file, char *err, size_t errlen)
{
	char hint[400] = "";
	const char *text = config_error_text(&c->cf);
	const char *file;
	unsigned line;

	conf_origin_of(c, (unsigned)config_error_line(&c->cf), &file, &line);
	if (config_error_type(&c->cf) == CONFIG_ERR_FILE_IO)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	else {
		if (from_file && strcmp(text, "syntax error") == 0)
			conf_syntax_hint(file, (int)line, hint, sizeof(hint));
		snprintf(err, errlen, "%s:%u: %s%s", file, line, text, hint);
	}
	conf_free(c);
	return NULL;
}

/* A group is not a flat key = value setting; say so instead of ignoring it. */
static struct vmm_conf *
conf_check_flat(struct vmm_conf *c, char *err, size_t errlen)
{
	config_setting_t *root = config_root_setting(&c->cf);

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, i);
		if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
			char at[512];
			snprintf(err, errlen, "%s: %s: groups { } are not used; write flat key = value lines",
			    conf_at(c, s, at, sizeof(at)), config_setting_name(s));
			conf_free(c);
			return NULL;
		}
	}
	return c;
}

struct vmm_conf *
conf_read(const char *path, char *err, size_t errlen)
{
	struct vmm_conf *c = conf_new(path);

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->text = conf_expand_file(c, path, err, errlen)) == NULL) {
		conf_free(c);
		return NULL;
	}
	if (config_read_string(&c->cf, c->text) != CONFIG_TRUE)
		return conf_parse_failed(c, path, 1, err, errlen);
	return conf_check_flat(c, err, errlen);
}

struct vmm_conf *
conf_read_string(const char *text, const char *name, char *err, size_t errlen)
{
	struct vmm_conf *c = conf_new(name);

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (config_read_string(&c->cf, text) != CONFIG_TRUE)
		return conf_parse_failed(c, name, 0, err, errlen);
	c->text = strdup(text);
	return conf_check_flat(c, err, errlen);
}

struct vmm_conf *
conf_ref(struct vmm_conf *c)
{
	c->refs++;
	return c;
}

void
conf_free(struct vmm_conf *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	while (c->strs != NULL) {
		struct conf_str *n = c->strs->next;
		free(c->strs);
		c->strs = n;
	}
	config_destroy(&c->cf);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->origin);
	free(c->text);
	free(c->path);
	free(c);
}

const char *
conf_path(const struct vmm_conf *c)
{
	return c->path;
}
