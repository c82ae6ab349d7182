/* SPDX-License-Identifier: ISC */
/* What the parts of src/conf*.c share: the parsed file and where its lines came from. */
#ifndef VMM_CONF_PRIV_H
#define VMM_CONF_PRIV_H

#include <stdio.h>

#include <libconfig.h>

#include "core/conf.h"

struct conf_str {
	struct conf_str *next;
	char s[];
};

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

/* conf_include.c: @include expanded, and each line's file and line */
void conf_origin_of(const struct vmm_conf *c, unsigned line, const char **file, unsigned *fline);
const char *conf_at(const struct vmm_conf *c, const config_setting_t *s, char *buf, size_t len);
/* conf_keys.c: a core key or one of a module in use; the known key nearest a typo */
int conf_keyreg_in_use(const struct conf_keyreg *r, const char *key);
const char *conf_keyreg_closest(const struct conf_keyreg *r, const char *key);
char *conf_expand_file(struct vmm_conf *c, const char *path, char *err, size_t errlen);

#endif
