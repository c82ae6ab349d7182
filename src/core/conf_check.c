/* SPDX-License-Identifier: ISC */
/* vmmanage.conf's checks: keys that no part in use reads, and files that hold secrets. */
#include "config.h"

#include <string.h>

#include "common/secret.h"
#include "common/strutil.h"
#include "core/conf_priv.h"

size_t
conf_keys_unread(const struct vmm_conf *c, const struct conf_keyreg *r)
{
	config_setting_t *root = config_root_setting(&c->cf);
	size_t n = 0;

	for (int i = 0; i < config_setting_length(root); i++)
		n += !conf_keyreg_in_use(r, config_setting_name(config_setting_get_elem(root, (unsigned)i)));
	return n;
}

int
conf_check_keys(const struct vmm_conf *c, const struct conf_keyreg *r,
    void (*warn)(const char *msg), char *err, size_t errlen)
{
	config_setting_t *root = config_root_setting(&c->cf);
	char at[512], owners[512], msg[1200];

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *key = config_setting_name(s);
		if (conf_keyreg_in_use(r, key))
			continue;
		if (conf_keyreg_owners(r, key, owners, sizeof(owners)) > 0) {
			snprintf(msg, sizeof(msg), "%s: %s is read by %s, which this configuration does not use; ignored",
			    conf_at(c, s, at, sizeof(at)), key, owners);
			if (warn != NULL)
				warn(msg);
			continue;
		}
		const char *near = conf_keyreg_closest(r, key);
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

/* A file of another program's keys (the broker's own): only these, no core ones. */
int
conf_check_only(const struct vmm_conf *c, const char *const *keys, const char *manual, char *err,
    size_t errlen)
{
	config_setting_t *root = config_root_setting(&c->cf);
	char at[512];

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *key = config_setting_name(s), *near = NULL;
		size_t bestd = 3;
		if (vmm_str_in(key, keys))
			continue;
		for (const char *const *k = keys; *k != NULL; k++)
			if (vmm_edit_distance(key, *k) < bestd)
				near = *k, bestd = vmm_edit_distance(key, *k);
		snprintf(err, errlen, "%s: unknown key '%s'%s%s%s (see %s)", conf_at(c, s, at, sizeof(at)),
		    key, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", manual);
		return -1;
	}
	return 0;
}
