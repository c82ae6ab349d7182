/* SPDX-License-Identifier: ISC */
/* vmmanage.conf through libconfig: typed lookups with file:line errors, mending hints,
 * and the check for keys nobody reads. */
#ifndef VMM_CONF_H
#define VMM_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/module.h>

struct vmm_conf;

/* Read and parse a file; NULL with err naming file and line (and a hint) on failure. */
struct vmm_conf *conf_read(const char *path, char *err, size_t errlen);
/* Parse text (tests, the simulator); `name` stands for the file in messages. */
struct vmm_conf *conf_read_string(const char *text, const char *name, char *err, size_t errlen);
/* Confs are counted: a module instance kept across a reload keeps its own conf alive,
 * since the strings it was handed point into it. conf_free drops one reference. */
struct vmm_conf *conf_ref(struct vmm_conf *c);
void conf_free(struct vmm_conf *c);
const char *conf_path(const struct vmm_conf *c);
int conf_has(const struct vmm_conf *c, const char *key);

/* A libconfig setting type in words ("a string"), for messages. */
const char *conf_type_name(int type);
int conf_number(const struct vmm_conf *c, const char *key, double *out, char *err, size_t errlen);
int conf_int(const struct vmm_conf *c, const char *key, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errlen);
int conf_bool(const struct vmm_conf *c, const char *key, int *out, char *err, size_t errlen);
int conf_string(const struct vmm_conf *c, const char *key, const char **out, char *err,
    size_t errlen);
int conf_strings(const struct vmm_conf *c, const char *key, const char ***out, size_t *n,
    char *err, size_t errlen);
const char *conf_where(const struct vmm_conf *c, const char *key, char *buf, size_t len);

/* The core's own keys (src/core/keys.c), always in use. NULL-terminated. */
extern const char *const conf_core_keys[];

/* The keys of the modules, for the check below: those in use and those installed but not
 * configured, each with its kind ("policy") and name ("base") to say who reads a key.
 * Built at config-check time from the modules themselves (module_keys_* in host.h). */
struct conf_module_keys {
	char *kind, *name;
	char **keys; /* NULL-terminated */
	int in_use;
};
struct conf_keyreg {
	struct conf_module_keys *mods;
	size_t n, cap;
};
/* Add a copy of a module's keys. 0, or -1 when out of memory. */
int conf_keyreg_add(struct conf_keyreg *r, const char *kind, const char *name,
    const char *const *keys, int in_use);
int conf_keyreg_has(const struct conf_keyreg *r, const char *kind, const char *name);
void conf_keyreg_free(struct conf_keyreg *r);
/* "the base and schedule policies", "the site policy and the queue sensor": the modules
 * of r (those not in use) that read key, in buf. 0 when none does. */
size_t conf_keyreg_owners(const struct conf_keyreg *r, const char *key, char *buf, size_t len);

/* How many keys of the file neither the core nor r's modules in use read. */
size_t conf_keys_unread(const struct vmm_conf *c, const struct conf_keyreg *r);
/* Report keys that no part in use reads: the core's keys and those of r's modules in
 * use are; a key that only a module not in use reads is a warning (warn called once per
 * key, naming the modules); a key nobody knows is an error naming file and line and the
 * closest known key. r may be NULL (the core alone). Returns 0, or -1 with err. */
int conf_check_keys(const struct vmm_conf *c, const struct conf_keyreg *r,
    void (*warn)(const char *msg), char *err, size_t errlen);

/* A file read by another program (the broker's): any key not in keys is an error naming
 * file and line, the nearest known key and the manual page. 0, or -1 with err. */
int conf_check_only(const struct vmm_conf *c, const char *const *keys, const char *manual, char *err,
    size_t errlen);

/* Check a file that holds a secret at load time (vmmanage -t sees it): the rule of
 * secret_open in common/secret.h. 0, or -1 with err saying how to mend (chown, chmod). */
int conf_check_private(const char *path, const char *what, char *err, size_t errlen);

/* A canonical text of the values of `keys`, to tell whether a module's settings changed
 * across a reload. Returns a malloc'd string. */
char *conf_fingerprint(const struct vmm_conf *c, const char *const *keys);

#endif
