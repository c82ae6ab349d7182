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

/* Report keys that no active part reads. The core's keys (conf_known_keys, owner
 * CONF_KEY_CORE) are always active; `active` are the NULL-terminated key lists of the
 * modules in use (policy, sensor, endpoint). A key that some inactive part reads is a warning
 * (warn called once per key); a key nobody knows is an error naming file and line and the
 * closest known key. Returns 0, or -1 with err. */
int conf_check_keys(const struct vmm_conf *c, const char *const *const *active, size_t nactive,
    void (*warn)(const char *msg), char *err, size_t errlen);

/* Every key vmmanage knows, with the part that reads it (for the check above and the
 * man page test), in src/keys.c. The keys whose owner is CONF_KEY_CORE are the core's
 * own and always in use. NULL-terminated. */
#define CONF_KEY_CORE "the core"
struct conf_key_doc {
	const char *name;
	const char *owner;
};
extern const struct conf_key_doc conf_known_keys[];

/* Check a file that holds a secret at load time (vmmanage -t sees it): the rule of
 * secret_open in common/secret.h. 0, or -1 with err saying how to mend (chown, chmod). */
int conf_check_private(const char *path, const char *what, char *err, size_t errlen);



/* A canonical text of the values of `keys`, to tell whether a module's settings changed
 * across a reload. Returns a malloc'd string. */
char *conf_fingerprint(const struct vmm_conf *c, const char *const *keys);

#endif
