/* SPDX-License-Identifier: ISC */
/* Loading policy, sensor and endpoint modules with dlopen, refusing a wrong ABI. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
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

/* each(NAME, ctx) for every NAME.so in dir until it returns other than 0; -1 when dir
 * cannot be opened, else the last return. */
static int
module_each_so(const char *dir, int (*each)(const char *name, void *ctx), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char name[256];
	int rc = 0;

	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 4 || n - 3 >= sizeof(name) || strcmp(e->d_name + n - 3, ".so") != 0)
			continue;
		memcpy(name, e->d_name, n - 3);
		name[n - 3] = '\0';
		rc = each(name, ctx);
	}
	closedir(d);
	return rc;
}

struct module_list {
	char *buf;
	size_t len, used;
};

static int
module_list_one(const char *name, void *ctx)
{
	struct module_list *l = ctx;

	l->used += (size_t)snprintf(l->buf + l->used, l->len - l->used, "%s%s", l->used ? ", " : "", name);
	return l->used >= l->len;
}

/* "threshold, base, ..." from the .so files in dir, for the error message. */
static void
module_list_dir(const char *dir, char *buf, size_t len)
{
	struct module_list l = { buf, len, 0 };

	buf[0] = '\0';
	if (module_each_so(dir, module_list_one, &l) < 0)
		snprintf(buf, len, "none: cannot open %s", dir);
	else if (buf[0] == '\0')
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
module_fail(const char *dir, enum module_kind kind, char *err, size_t errlen, const char *why)
{
	char avail[512];

	module_list_dir(dir, avail, sizeof(avail));
	snprintf(err, errlen, "%s; available %s modules: %s", why, module_kinds[kind].kind, avail);
	return NULL;
}

/* Open path and check that it is a module of kind for this ABI: 0 with *handle and
 * *head, or -1 with why (and nothing left open). */
static int
module_open(enum module_kind kind, const char *path, const char *name, int flags,
    void **handle, const struct module_abi_head **head, char *why, size_t whylen)
{
	if ((*handle = dlopen(path, flags | RTLD_LOCAL)) == NULL) {
		snprintf(why, whylen, "%s '%s': %s", module_kinds[kind].kind, name, dlerror());
		return -1;
	}
	const void *(*entry)(void) = (const void *(*)(void))dlsym(*handle, module_kinds[kind].entry);
	*head = entry ? entry() : NULL;
	if (*head == NULL)
		snprintf(why, whylen, "%s: no %s()", path, module_kinds[kind].entry);
	else if ((*head)->abi != module_kinds[kind].abi || (*head)->size < module_kinds[kind].size)
		snprintf(why, whylen, "%s: built for %s ABI %u (size %u), this vmmanage has ABI %u: rebuild the module",
		    path, module_kinds[kind].kind, (*head)->abi, (*head)->size, module_kinds[kind].abi);
	else
		return 0;
	dlclose(*handle);
	*handle = NULL;
	return -1;
}

static void
module_close(void *handle)
{
	/* under ASan keep the code mapped so leak reports can still symbolize it */
	if (getenv("VMM_NO_DLCLOSE") == NULL)
		dlclose(handle);
}

struct module *
module_load(enum module_kind kind, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096], why[1024];
	const struct module_abi_head *head;
	void *handle;

	if (!module_name_ok(name)) {
		snprintf(why, sizeof(why), "%s '%s': not a module name", module_kinds[kind].kind, name);
		return module_fail(dir, kind, err, errlen, why);
	}
	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (module_open(kind, path, name, RTLD_NOW, &handle, &head, why, sizeof(why)) < 0)
		return module_fail(dir, kind, err, errlen, why);
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

static const char *const *
module_ops_keys(enum module_kind kind, const void *ops)
{
	switch (kind) {
	case MODULE_POLICY:
		return ((const struct vmm_policy_ops *)ops)->keys;
	case MODULE_SENSOR:
		return ((const struct vmm_sensor_ops *)ops)->keys;
	case MODULE_ENDPOINT:
		return ((const struct vmm_endpoint_ops *)ops)->keys;
	}
	return NULL;
}

int
module_keys_add(const struct module *m, struct conf_keyreg *r)
{
	return conf_keyreg_add(r, module_kinds[m->kind].kind, m->name,
	    module_ops_keys(m->kind, m->ops), 1);
}

struct module_scan {
	enum module_kind kind;
	const char *dir;
	struct conf_keyreg *r;
	void (*warn)(const char *msg);
	int out_of_memory;
};

/* One installed module not in use, opened lazily just to copy its keys. */
static int
module_keys_of(const char *name, void *ctx)
{
	struct module_scan *sc = ctx;
	char path[4096], why[1024], msg[1100];
	const struct module_abi_head *head;
	void *handle;

	if (!module_name_ok(name) || conf_keyreg_has(sc->r, module_kinds[sc->kind].kind, name) ||
	    snprintf(path, sizeof(path), "%s/%s.so", sc->dir, name) >= (int)sizeof(path))
		return 0;
	if (module_open(sc->kind, path, name, RTLD_LAZY, &handle, &head, why, sizeof(why)) < 0) {
		/* why names the file */
		snprintf(msg, sizeof(msg), "%s; not in use, but its keys are not known either", why);
		if (sc->warn != NULL)
			sc->warn(msg);
		return 0;
	}
	int rc = conf_keyreg_add(sc->r, module_kinds[sc->kind].kind, name,
	    module_ops_keys(sc->kind, head), 0);
	module_close(handle);
	return sc->out_of_memory = rc < 0;
}

int
module_keys_installed(enum module_kind kind, const char *dir, struct conf_keyreg *r,
    void (*warn)(const char *msg))
{
	struct module_scan sc = { kind, dir, r, warn, 0 };

	/* a dir that cannot be opened has nothing to add: the module in use came from it */
	module_each_so(dir, module_keys_of, &sc);
	return sc.out_of_memory ? -1 : 0;
}

void
module_unload(struct module *m)
{
	if (m == NULL)
		return;
	module_close(m->handle);
	free(m->name);
	free(m->path);
	free(m);
}
