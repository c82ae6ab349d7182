/* vmmanage.conf through libconfig. The file is flat `key = value` lines; libconfig gives us
 * types and line numbers, we add the messages an administrator can act on. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "common/secret.h"
#include "common/strutil.h"
#include "conf.h"

struct conf_str {
	struct conf_str *next;
	char s[];
};

/* libconfig's own limit on nested includes */
#define CONF_INCLUDE_DEPTH 10

/* Where a line of the text libconfig reads came from. */
struct conf_origin {
	size_t file;           /* index in files */
	unsigned line;
};

struct vmm_conf {
	config_t cf;
	char *path;
	struct conf_str *strs; /* numbers handed out as strings live here */
	char *text;            /* the source with includes expanded, to re-read literals */
	int refs;
	/* @include is expanded here, each file found next to the one that names it
	 * (libconfig 1.5 looks in the working directory, or in one include_dir for every
	 * file): what libconfig calls line n is origin[n - 1] */
	char **files;
	size_t nfiles;
	struct conf_origin *origin;
	size_t norigin, origin_cap;
};

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

/* Line `line` of the text libconfig read, as file and line of the source. */
static void
conf_origin_of(const struct vmm_conf *c, unsigned line, const char **file, unsigned *fline)
{
	*file = c->path;
	*fline = line;
	if (line >= 1 && line <= c->norigin) {
		*file = c->files[c->origin[line - 1].file];
		*fline = c->origin[line - 1].line;
	} else if (line > c->norigin && c->norigin > 0) {
		/* past the end (an unterminated value): the last line read */
		*file = c->files[c->origin[c->norigin - 1].file];
		*fline = c->origin[c->norigin - 1].line;
	}
}

/* "file:line" of a setting, for messages. */
static const char *
conf_at(const struct vmm_conf *c, const config_setting_t *s, char *buf, size_t len)
{
	const char *file;
	unsigned line;

	conf_origin_of(c, config_setting_source_line(s), &file, &line);
	snprintf(buf, len, "%s:%u", file, line);
	return buf;
}

static int
conf_add_origin(struct vmm_conf *c, size_t file, unsigned line)
{
	if (c->norigin == c->origin_cap) {
		size_t cap = c->origin_cap ? c->origin_cap * 2 : 64;
		struct conf_origin *o = realloc(c->origin, cap * sizeof(*o));
		if (o == NULL)
			return -1;
		c->origin = o;
		c->origin_cap = cap;
	}
	c->origin[c->norigin++] = (struct conf_origin){ .file = file, .line = line };
	return 0;
}

static int
conf_add_file(struct vmm_conf *c, const char *path, size_t *idx)
{
	char **f = realloc(c->files, (c->nfiles + 1) * sizeof(*f));

	if (f == NULL)
		return -1;
	c->files = f;
	if ((f[c->nfiles] = strdup(path)) == NULL)
		return -1;
	*idx = c->nfiles++;
	return 0;
}

/* `@include "name"` alone on its line, libconfig's form: the name (cut out of line in
 * place), else NULL. */
static const char *
conf_include_name(char *line)
{
	char *p = line, *end;

	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "@include", 8) != 0)
		return NULL;
	for (p += 8; isspace((unsigned char)*p); p++)
		;
	if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
		return NULL;
	*end = '\0';
	return p + 1;
}

/* name relative to the directory of the file that includes it, unless absolute. */
static char *
conf_include_path(const char *from, const char *name)
{
	const char *slash = strrchr(from, '/');
	char *full = NULL;

	if (name[0] == '/' || slash == NULL)
		return strdup(name);
	if (asprintf(&full, "%.*s/%s", (int)(slash - from), from, name) < 0)
		return NULL;
	return full;
}

static int conf_expand(struct vmm_conf *c, const char *path, int depth, const char *from,
    unsigned fromline, FILE *out, char *err, size_t errlen);

/* The lines of one file into out, its includes expanded in place. */
static int
conf_expand_lines(struct vmm_conf *c, FILE *f, size_t idx, int depth, FILE *out, char *err,
    size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		const char *name = conf_include_name(line);
		lineno++;
		if (name != NULL) {
			char *full = conf_include_path(c->files[idx], name);
			rc = full == NULL ? (snprintf(err, errlen, "out of memory"), -1) :
			    conf_expand(c, full, depth + 1, c->files[idx], lineno, out, err, errlen);
			free(full);
			continue;
		}
		fwrite(line, 1, (size_t)n, out);
		if (line[n - 1] != '\n')
			fputc('\n', out);
		if (conf_add_origin(c, idx, lineno) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	free(line);
	return rc;
}

static int
conf_expand(struct vmm_conf *c, const char *path, int depth, const char *from,
    unsigned fromline, FILE *out, char *err, size_t errlen)
{
	FILE *f;
	size_t idx;

	if (depth > CONF_INCLUDE_DEPTH) {
		snprintf(err, errlen, "%s:%u: @include nested too deep (more than %d levels: a loop?)",
		    from, fromline, CONF_INCLUDE_DEPTH);
		return -1;
	}
	if ((f = fopen(path, "re")) == NULL) {
		if (from == NULL)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%u: cannot read %s: %s", from, fromline, path,
			    strerror(errno));
		return -1;
	}
	struct stat st;
	if (from != NULL && (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode))) {
		/* a device or a pipe could feed the parser for ever */
		snprintf(err, errlen, "%s:%u: cannot include %s: not a regular file", from, fromline,
		    path);
		fclose(f);
		return -1;
	}
	if (conf_add_file(c, path, &idx) < 0) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = conf_expand_lines(c, f, idx, depth, out, err, errlen);
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* The file with its includes, as one text for libconfig. */
static char *
conf_expand_file(struct vmm_conf *c, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = conf_expand(c, path, 0, NULL, 0, out, err, errlen);
	if (fclose(out) != 0 && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
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

static int
conf_key_in(const char *key, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

static const char *
conf_closest_key(const char *key, const char *const *const *active, size_t nactive)
{
	const char *best = NULL;
	size_t bestd = 3; /* suggest only near misses */

	for (const struct conf_key_doc *k = conf_known_keys; k->name != NULL; k++) {
		size_t d = vmm_edit_distance(key, k->name);
		if (d < bestd)
			best = k->name, bestd = d;
	}
	for (size_t i = 0; i < nactive; i++)
		for (const char *const *l = active[i]; l != NULL && *l != NULL; l++) {
			size_t d = vmm_edit_distance(key, *l);
			if (d < bestd)
				best = *l, bestd = d;
		}
	return best;
}

static const struct conf_key_doc *
conf_known(const char *key)
{
	for (const struct conf_key_doc *k = conf_known_keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return k;
	return NULL;
}

int
conf_check_keys(const struct vmm_conf *c, const char *const *const *active, size_t nactive,
    void (*warn)(const char *msg), char *err, size_t errlen)
{
	config_setting_t *root = config_root_setting(&c->cf);

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *key = config_setting_name(s);
		const struct conf_key_doc *k = conf_known(key);
		int used = k != NULL && strcmp(k->owner, CONF_KEY_CORE) == 0;
		for (size_t a = 0; a < nactive && !used; a++)
			used = conf_key_in(key, active[a]);
		if (used)
			continue;
		char at[512];
		if (k != NULL) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s: %s is read by %s, which this configuration does not use; ignored",
			    conf_at(c, s, at, sizeof(at)), key, k->owner);
			if (warn != NULL)
				warn(msg);
			continue;
		}
		const char *near = conf_closest_key(key, active, nactive);
		snprintf(err, errlen, "%s: unknown key '%s'%s%s%s", conf_at(c, s, at, sizeof(at)),
		    key, near ? " (did you mean '" : "",
		    near ? near : "", near ? "'?)" : " (see vmmanage.conf(5))");
		return -1;
	}
	return 0;
}

int
conf_check_private(const char *path, const char *what, char *err, size_t errlen)
{
	return secret_check(path, what, err, errlen);
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
