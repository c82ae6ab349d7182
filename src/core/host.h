/* SPDX-License-Identifier: ISC */
/* The host API handed to modules, and the module loader. */
#ifndef VMM_HOST_H
#define VMM_HOST_H

#include <stddef.h>

#include <vmmanage/endpoint.h>
#include <vmmanage/policy.h>
#include <vmmanage/sensor.h>

extern const struct vmm_host vmm_host_api;
void host_set_hostname(const char *name);
const char *host_hostname(void);

enum module_kind { MODULE_POLICY, MODULE_SENSOR, MODULE_ENDPOINT };

struct module {
	enum module_kind kind;
	char *name;
	char *path;
	void *handle;
	const void *ops; /* struct vmm_policy_ops / vmm_sensor_ops / vmm_endpoint_ops */
};

/* dlopen `dir/NAME.so` and check its ABI. On failure err says why and lists the modules
 * that dir has. */
struct module *module_load(enum module_kind kind, const char *dir, const char *name,
    char *err, size_t errlen);
void module_unload(struct module *m);
struct conf_keyreg;
/* The keys a loaded module reads, added to r as in use. 0, or -1 out of memory. */
int module_keys_add(const struct module *m, struct conf_keyreg *r);
/* The keys of each module of kind installed in dir and not yet in r, added as not in
 * use: each .so is opened lazily, asked for its ops and closed again. A file that is no
 * usable module is warned about once and skipped. 0, or -1 out of memory. */
int module_keys_installed(enum module_kind kind, const char *dir, struct conf_keyreg *r,
    void (*warn)(const char *msg));
const char *module_kind_name(enum module_kind kind);

#endif
