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
const char *module_kind_name(enum module_kind kind);

#endif
