/* SPDX-License-Identifier: ISC */
/* vmmanage.conf's checks: keys that no part in use reads, and files that hold secrets. */
#include "config.h"

#include <string.h>

#include "common/secret.h"
#include "common/strutil.h"
#include "core/conf_priv.h"

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
