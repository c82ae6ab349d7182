/* SPDX-License-Identifier: ISC */
/* Loading policy, sensor and endpoint modules with dlopen, refusing a wrong ABI. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"

struct module_abi_head {
	uint32_t abi;
	uint32_t size;
	const char *name;
};

static const struct {
	const char *kind, *entry;
	uint32_t abi, size;
} module_kinds[] = {
	[MODULE_POLICY] = { "policy", "vmm_policy_entry", VMM_POLICY_ABI, sizeof(struct vmm_policy_ops) },
	[MODULE_SENSOR] = { "sensor", "vmm_sensor_entry", VMM_SENSOR_ABI, sizeof(struct vmm_sensor_ops) },
	[MODULE_ENDPOINT] = { "endpoint", "vmm_endpoint_entry", VMM_ENDPOINT_ABI, sizeof(struct vmm_endpoint_ops) },
};

const char *
module_kind_name(enum module_kind kind)
{
	return module_kinds[kind].kind;
}

/* "threshold, base, ..." from the .so files in dir, for the error message. */
static void
module_list_dir(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t used = 0;

	buf[0] = '\0';
	if (d == NULL) {
		snprintf(buf, len, "none: cannot open %s", dir);
		return;
	}
	while ((e = readdir(d)) != NULL && used < len) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "",
		    (int)(n - 3), e->d_name);
	}
	closedir(d);
	if (buf[0] == '\0')
		snprintf(buf, len, "none in %s", dir);
}

static int
module_name_ok(const char *name)
{
	if (*name == '\0')
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static struct module *
module_fail(void *handle, const char *dir, enum module_kind kind, char *err, size_t errlen,
    const char *why)
{
	char avail[512];

	if (handle != NULL)
		dlclose(handle);
	module_list_dir(dir, avail, sizeof(avail));
	snprintf(err, errlen, "%s; available %s modules: %s", why, module_kinds[kind].kind, avail);
	return NULL;
}

struct module *
module_load(enum module_kind kind, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096], why[1024];
	void *handle;

	if (!module_name_ok(name)) {
		snprintf(why, sizeof(why), "%s '%s': not a module name", module_kinds[kind].kind, name);
		return module_fail(NULL, dir, kind, err, errlen, why);
	}
	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		snprintf(why, sizeof(why), "%s '%s': %s", module_kinds[kind].kind, name, dlerror());
		return module_fail(NULL, dir, kind, err, errlen, why);
	}
	const void *(*entry)(void) = (const void *(*)(void))dlsym(handle, module_kinds[kind].entry);
	const struct module_abi_head *head = entry ? entry() : NULL;
	if (head == NULL) {
		snprintf(why, sizeof(why), "%s: no %s()", path, module_kinds[kind].entry);
		return module_fail(handle, dir, kind, err, errlen, why);
	}
	if (head->abi != module_kinds[kind].abi || head->size < module_kinds[kind].size) {
		snprintf(why, sizeof(why), "%s: built for %s ABI %u (size %u), this vmmanage has ABI %u: rebuild the module",
		    path, module_kinds[kind].kind, head->abi, head->size, module_kinds[kind].abi);
		return module_fail(handle, dir, kind, err, errlen, why);
	}
	struct module *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->name = strdup(name)) == NULL || (m->path = strdup(path)) == NULL) {
		free(m ? m->name : NULL);
		free(m);
		dlclose(handle);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->kind = kind;
	m->handle = handle;
	m->ops = head;
	return m;
}

void
module_unload(struct module *m)
{
	if (m == NULL)
		return;
	/* under ASan keep the code mapped so leak reports can still symbolize it */
	if (getenv("VMM_NO_DLCLOSE") == NULL)
		dlclose(m->handle);
	free(m->name);
	free(m->path);
	free(m);
}
