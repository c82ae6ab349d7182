/* SPDX-License-Identifier: ISC */
/* The registry of config keys for one check: the core's (src/core/keys.c) and each
 * module's own, as its ops declare them, with who reads which key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/strutil.h"
#include "core/conf_priv.h"

static void
keyreg_module_free(struct conf_module_keys *m)
{
	for (char **k = m->keys; k != NULL && *k != NULL; k++)
		free(*k);
	free(m->keys);
	free(m->kind);
	free(m->name);
}

static int
keyreg_copy(struct conf_module_keys *m, const char *kind, const char *name,
    const char *const *keys)
{
	size_t n = 0;

	while (keys != NULL && keys[n] != NULL)
		n++;
	m->kind = strdup(kind);
	m->name = strdup(name);
	m->keys = calloc(n + 1, sizeof(*m->keys));
	if (m->kind == NULL || m->name == NULL || m->keys == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((m->keys[i] = strdup(keys[i])) == NULL)
			return -1;
	return 0;
}

int
conf_keyreg_add(struct conf_keyreg *r, const char *kind, const char *name,
    const char *const *keys, int in_use)
{
	if (conf_keyreg_has(r, kind, name))
		return 0;
	if (vmm_array_grow(&r->mods, &r->cap, r->n, sizeof(*r->mods), 16) < 0)
		return -1;
	struct conf_module_keys *m = &r->mods[r->n];
	memset(m, 0, sizeof(*m));
	m->in_use = in_use;
	if (keyreg_copy(m, kind, name, keys) < 0) {
		keyreg_module_free(m);
		return -1;
	}
	r->n++;
	return 0;
}

int
conf_keyreg_has(const struct conf_keyreg *r, const char *kind, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->mods[i].kind, kind) == 0 && strcmp(r->mods[i].name, name) == 0)
			return 1;
	return 0;
}

void
conf_keyreg_free(struct conf_keyreg *r)
{
	for (size_t i = 0; i < r->n; i++)
		keyreg_module_free(&r->mods[i]);
	free(r->mods);
	memset(r, 0, sizeof(*r));
}

/* The names of the modules of kind not in use that read key, sorted; their count. */
static size_t
keyreg_readers(const struct conf_keyreg *r, const char *kind, const char *key,
    const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n && n < max; i++) {
		const struct conf_module_keys *m = &r->mods[i];
		if (m->in_use || strcmp(m->kind, kind) != 0 || !vmm_str_in(key, (const char *const *)m->keys))
			continue;
		size_t j = n++;
		for (; j > 0 && strcmp(names[j - 1], m->name) > 0; j--)
			names[j] = names[j - 1];
		names[j] = m->name;
	}
	return n;
}

static void
keyreg_cat(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n >= len)
		n = len - 1 - *used;
	memcpy(buf + *used, s, n);
	*used += n;
	buf[*used] = '\0';
}

/* ", " between items of a list, " and " before its last */
static const char *
keyreg_sep(size_t i, size_t n)
{
	return i == 0 ? "" : i + 1 == n ? " and " : ", ";
}

/* "the base and schedule policies" */
static void
keyreg_group(char *buf, size_t len, size_t *used, const char *kind, const char **names,
    size_t n)
{
	size_t k = strlen(kind);

	keyreg_cat(buf, len, used, "the ");
	for (size_t i = 0; i < n; i++) {
		keyreg_cat(buf, len, used, keyreg_sep(i, n));
		keyreg_cat(buf, len, used, names[i]);
	}
	keyreg_cat(buf, len, used, " ");
	if (n == 1)
		keyreg_cat(buf, len, used, kind);
	else if (k > 0 && kind[k - 1] == 'y') {
		char plural[64];
		snprintf(plural, sizeof(plural), "%.*sies", (int)(k - 1), kind);
		keyreg_cat(buf, len, used, plural);
	} else {
		keyreg_cat(buf, len, used, kind);
		keyreg_cat(buf, len, used, "s");
	}
}

/* Is mods[i] the first module of its kind in r? Kinds are told in the order they were
 * added (policy, sensor, endpoint). */
static int
keyreg_first_of_kind(const struct conf_keyreg *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(r->mods[j].kind, r->mods[i].kind) == 0)
			return 0;
	return 1;
}

size_t
conf_keyreg_owners(const struct conf_keyreg *r, const char *key, char *buf, size_t len)
{
	const char *names[32], *kinds[8];
	size_t ngroups = 0, used = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; r != NULL && i < r->n && ngroups < 8; i++) {
		if (!keyreg_first_of_kind(r, i))
			continue;
		if (keyreg_readers(r, r->mods[i].kind, key, names, 1) > 0)
			kinds[ngroups++] = r->mods[i].kind;
	}
	for (size_t g = 0; g < ngroups; g++) {
		size_t n = keyreg_readers(r, kinds[g], key, names, sizeof(names) / sizeof(*names));
		keyreg_cat(buf, len, &used, keyreg_sep(g, ngroups));
		keyreg_group(buf, len, &used, kinds[g], names, n);
	}
	return ngroups;
}

/* A core key, or one of a module in use. */
int
conf_keyreg_in_use(const struct conf_keyreg *r, const char *key)
{
	if (vmm_str_in(key, conf_core_keys))
		return 1;
	for (size_t i = 0; r != NULL && i < r->n; i++)
		if (r->mods[i].in_use && vmm_str_in(key, (const char *const *)r->mods[i].keys))
			return 1;
	return 0;
}

static void
keyreg_closer(const char *key, const char *const *list, const char **best, size_t *bestd)
{
	for (; list != NULL && *list != NULL; list++) {
		size_t d = vmm_edit_distance(key, *list);
		if (d < *bestd)
			*best = *list, *bestd = d;
	}
}

/* The known key nearest to key, if it is a near miss; NULL otherwise. */
const char *
conf_keyreg_closest(const struct conf_keyreg *r, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3; /* suggest only near misses */

	keyreg_closer(key, conf_core_keys, &best, &bestd);
	for (size_t i = 0; r != NULL && i < r->n; i++)
		keyreg_closer(key, (const char *const *)r->mods[i].keys, &best, &bestd);
	return best;
}
