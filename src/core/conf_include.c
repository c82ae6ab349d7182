/* SPDX-License-Identifier: ISC */
/* vmmanage.conf's @include, expanded before libconfig reads it, and each line's origin. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "core/conf_priv.h"

/* libconfig's own limit on nested includes */
#define CONF_INCLUDE_DEPTH 10

/* Line `line` of the text libconfig read, as file and line of the source. */
void
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
const char *
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
	if (vmm_array_grow(&c->origin, &c->origin_cap, c->norigin, sizeof(*c->origin), 64) < 0)
		return -1;
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
char *
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
