/* SPDX-License-Identifier: ISC */
/* vmmanage-broker.conf (libconfig, key = value as vmmanage.conf), its keys_file ("VM KEY"
 * lines, as the collector's) and one file per VM in vm_dir, NAME.conf, holding the
 * endpoint's settings for that VM (libvirt_domain, libvirt_uris, hosts, base ...): the
 * broker, not the guest, says which domain a VM is and where it may go. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "broker/broker.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/metrics_http.h"
#include "core/conf.h"
#include "core/host.h"

static const char *const broker_keys[] = {
	"listen", "keys_file", "vm_dir", "endpoint", "module_dir", "control_socket",
	"pid_file", "user", "max_incoming", "moves_per_hour", "tenant_moves_per_hour",
	"retry_after", "max_clients",
	"client_timeout", "collector", "collector_key_file", "state_dir", "hostname",
	"metrics_listen", NULL
};
/* what a VM's file may hold besides its endpoint's keys */
static const char *const broker_vm_keys[] = {
	"hosts", "base", "home", "away", "min_range", "max_range", "moves_per_hour", "tenant", NULL
};

static int
broker_split_listen(struct broker *b, const char *listen, char *err, size_t errlen)
{
	const char *colon = strrchr(listen, ':');
	char port[16];

	snprintf(port, sizeof(port), "%d", BROKER_DEFAULT_PORT);
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return snprintf(err, errlen, "listen '%s': expected ADDRESS[:PORT]", listen), -1;
		b->listen_host = strndup(listen + 1, (size_t)(close - listen - 1));
		b->listen_port = strdup(close[1] == ':' ? close + 2 : port);
	} else if (colon != NULL && strchr(listen, ':') == colon) {
		b->listen_host = strndup(listen, (size_t)(colon - listen));
		b->listen_port = strdup(colon + 1);
	} else {
		b->listen_host = strdup(listen);
		b->listen_port = strdup(port);
	}
	if (b->listen_host == NULL || b->listen_port == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

int
broker_config_settings(struct broker *b, const char *conf_path, char *err, size_t errlen)
{
	const char *listen = "127.0.0.1";
	int64_t v;

	b->conf_path = conf_path;
	b->module_dir = VMM_PKGLIBDIR;
	b->endpoint = "libvirt";
	b->control_socket = VMM_RUNSTATEDIR "/vmmanage-broker/control";
	b->pid_file = VMM_RUNSTATEDIR "/vmmanage-broker/vmmanage-broker.pid";
	b->max_incoming = 1;
	b->moves_per_hour = 6;
	b->max_clients = 256;
	b->retry_after = 30;
	b->client_timeout = 30;
	b->state_dir = VMM_LOCALSTATEDIR "/lib/vmmanage-broker";
	if ((b->conf = conf_read(conf_path, err, errlen)) == NULL ||
	    conf_check_only(b->conf, broker_keys, "vmmanage-broker(8)", err, errlen) < 0)
		return -1;
	struct { const char *key; const char **out; } strs[] = {
		{ "listen", &listen }, { "keys_file", &b->keys_file }, { "vm_dir", &b->vm_dir },
		{ "endpoint", &b->endpoint }, { "module_dir", &b->module_dir },
		{ "control_socket", &b->control_socket }, { "pid_file", &b->pid_file },
		{ "user", &b->user }, { "collector", &b->collector },
		{ "collector_key_file", &b->collector_key_file }, { "state_dir", &b->state_dir },
		{ "hostname", &b->hostname }, { "metrics_listen", &b->metrics_listen },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (conf_string(b->conf, strs[i].key, strs[i].out, err, errlen) < 0)
			return -1;
	if (conf_int(b->conf, "max_incoming", 0, 1000, &b->max_incoming, err, errlen) < 0 ||
	    conf_int(b->conf, "moves_per_hour", 0, BROKER_MAX_BUDGET, &b->moves_per_hour, err, errlen) < 0 ||
	    conf_int(b->conf, "tenant_moves_per_hour", 0, BROKER_MAX_TENANT_BUDGET,
	    &b->tenant_moves_per_hour, err, errlen) < 0 ||
	    conf_int(b->conf, "max_clients", 1, 65536, &b->max_clients, err, errlen) < 0 ||
	    conf_number(b->conf, "retry_after", &b->retry_after, err, errlen) < 0 ||
	    conf_number(b->conf, "client_timeout", &b->client_timeout, err, errlen) < 0)
		return -1;
	(void)v;
	if (b->metrics_listen != NULL && metrics_http_parse(b->metrics_listen, err, errlen) < 0)
		return -1;
	return broker_split_listen(b, listen, err, errlen);
}

/* One key from keys_file to its VM: a key without a VM file is ignored, said once. */
static int
broker_key_add(void *arg, const char *folded, const uint8_t key[WIRE_KEY_BYTES], int lineno,
    char *err, size_t errlen)
{
	struct broker *b = arg;
	struct broker_vm *vm = broker_vm_find(b, folded);

	if (vm == NULL) {
		log_warnx("%s:%d: %s has a key but no %s/%s.conf; ignored",
		    b->keys_file, lineno, folded, b->vm_dir, folded);
		return 0;
	}
	if (vm->has_key)
		return snprintf(err, errlen, "%s:%d: a second key for %s", b->keys_file, lineno, folded), -1;
	memcpy(vm->key, key, WIRE_KEY_BYTES);
	vm->has_key = 1;
	return 0;
}

static int
broker_keys_load(struct broker *b, char *err, size_t errlen)
{
	return keyfile_read(b->keys_file, "VM", broker_key_add, b, err, errlen);
}

struct broker_host *
broker_host_find(struct broker *b, const char *name)
{
	for (size_t i = 0; i < b->nhosts; i++)
		if (strcmp(b->hosts[i].name, name) == 0)
			return &b->hosts[i];
	return NULL;
}

struct broker_vm *
broker_vm_find(struct broker *b, const char *name)
{
	for (size_t i = 0; i < b->nvms; i++)
		if (strcmp(b->vms[i].name, name) == 0)
			return &b->vms[i];
	return NULL;
}

int
broker_vm_allows(const struct broker_vm *vm, const char *host)
{
	for (size_t i = 0; i < vm->nallowed; i++)
		if (strcmp(vm->allowed[i], host) == 0)
			return 1;
	return 0;
}

static int
broker_add_allowed(struct broker *b, struct broker_vm *vm, const char *name, char *err,
    size_t errlen)
{
	char **a;

	if (broker_vm_allows(vm, name))
		return 0;
	if (!wire_host_valid(name, strlen(name)))
		return snprintf(err, errlen, "%s: '%s' is no host name", conf_path(vm->conf), name), -1;
	if (broker_host_find(b, name) == NULL) {
		struct broker_host *h = b->nhosts >= BROKER_MAX_HOSTS ? NULL :
		    realloc(b->hosts, (b->nhosts + 1) * sizeof(*h));
		if (h == NULL)
			return snprintf(err, errlen, "too many hosts (at most %d)", BROKER_MAX_HOSTS), -1;
		b->hosts = h;
		memset(&h[b->nhosts], 0, sizeof(*h));
		if ((h[b->nhosts].name = strdup(name)) == NULL)
			return snprintf(err, errlen, "out of memory"), -1;
		b->nhosts++;
	}
	if ((a = realloc(vm->allowed, (vm->nallowed + 1) * sizeof(*a))) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	vm->allowed = a;
	if ((a[vm->nallowed] = strdup(name)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	vm->nallowed++;
	return 0;
}

/* The VM's hosts: its array, base, home and away, as the agent's config names them. */
static int
broker_vm_hosts(struct broker *b, struct broker_vm *vm, char *err, size_t errlen)
{
	static const char *const lists[] = { "hosts", "base", "home", "away" };
	int rc = 0;

	for (size_t k = 0; k < 4 && rc == 0; k++) {
		const char **list = NULL;
		size_t n = 0;
		if (conf_strings(vm->conf, lists[k], &list, &n, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = broker_add_allowed(b, vm, list[i], err, errlen);
		free(list);
	}
	if (rc == 0 && vm->nallowed == 0)
		return snprintf(err, errlen, "%s: no hosts: set hosts = [\"h1\", \"h2\"] (and base, home, away as this VM may use)",
		    conf_path(vm->conf)), -1;
	return rc;
}

/* The VM's tenant, shared with the other VMs that name it. */
static int
broker_vm_tenant(struct broker *b, struct broker_vm *vm, char *err, size_t errlen)
{
	const char *name = NULL;
	struct broker_tenant **t, *nt;

	if (conf_string(vm->conf, "tenant", &name, err, errlen) < 0)
		return -1;
	if (name == NULL)
		return 0;
	if (!wire_host_valid(name, strlen(name)))
		return snprintf(err, errlen, "%s: tenant '%s': letters, digits, '-', '_' and '.' only",
		    conf_path(vm->conf), name), -1;
	for (size_t i = 0; i < b->ntenants; i++)
		if (strcmp(b->tenants[i]->name, name) == 0)
			return vm->tenant = b->tenants[i], 0;
	if ((t = realloc(b->tenants, (b->ntenants + 1) * sizeof(*t))) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	b->tenants = t;
	if ((nt = calloc(1, sizeof(*nt))) == NULL || (nt->name = strdup(name)) == NULL) {
		free(nt);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	b->tenants[b->ntenants++] = vm->tenant = nt;
	return 0;
}

static void
broker_warn(const char *msg)
{
	log_warnx("%s", msg);
}

/* A VM's file holds the endpoint's keys and the broker's own per-VM ones. */
static int
broker_vm_check_keys(struct broker *b, const struct vmm_conf *c, char *err, size_t errlen)
{
	struct conf_keyreg r = { 0 };
	int rc = -1;

	if (conf_keyreg_add(&r, "endpoint", b->endpoint, b->ops->keys, 1) < 0 ||
	    conf_keyreg_add(&r, "broker", "vm", broker_vm_keys, 1) < 0)
		snprintf(err, errlen, "out of memory");
	else
		rc = conf_check_keys(c, &r, broker_warn, err, errlen);
	conf_keyreg_free(&r);
	return rc;
}

static int
broker_vm_load(struct broker *b, const char *name, char *err, size_t errlen)
{
	char path[4096];
	struct broker_vm *vm;

	if (b->nvms >= BROKER_MAX_VMS)
		return snprintf(err, errlen, "%s: more than %d VMs", b->vm_dir, BROKER_MAX_VMS), -1;
	if ((vm = realloc(b->vms, (b->nvms + 1) * sizeof(*vm))) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	b->vms = vm;
	vm = &b->vms[b->nvms];
	memset(vm, 0, sizeof(*vm));
	if ((vm->name = strdup(name)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	b->nvms++;
	snprintf(path, sizeof(path), "%s/%s.conf", b->vm_dir, name);
	vm->budget = b->moves_per_hour;
	if ((vm->conf = conf_read(path, err, errlen)) == NULL ||
	    broker_vm_check_keys(b, vm->conf, err, errlen) < 0 ||
	    conf_int(vm->conf, "moves_per_hour", 0, BROKER_MAX_BUDGET, &vm->budget, err, errlen) < 0 ||
	    broker_vm_hosts(b, vm, err, errlen) < 0 || broker_vm_tenant(b, vm, err, errlen) < 0)
		return -1;
	/* the management host's own SMBIOS UUID is never the guest's */
	if (strcmp(b->endpoint, "libvirt") == 0 && !conf_has(vm->conf, "libvirt_domain"))
		return snprintf(err, errlen, "%s: set libvirt_domain (the domain's UUID or name): the broker maps the VM to its domain",
		    path), -1;
	if (b->ops->init(&vmm_host_api, vm->conf, &vm->ep, err, errlen) < 0)
		return -1;
	return 0;
}

/* NAME.conf names of vm_dir, each a VM name. */
static int
broker_vms_load(struct broker *b, char *err, size_t errlen)
{
	DIR *d = opendir(b->vm_dir);
	struct dirent *e;
	char folded[WIRE_MAX_HOST + 1];
	int rc = 0;

	if (d == NULL)
		return snprintf(err, errlen, "vm_dir %s: %s", b->vm_dir, strerror(errno)), -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf") != 0 || e->d_name[0] == '.')
			continue;
		if (!wire_host_valid(e->d_name, n - 5) || wire_host_fold(e->d_name, n - 5, folded) != n - 5 ||
		    strncmp(folded, e->d_name, n - 5) != 0) {
			log_warnx("vm_dir %s: %s: not a lower-case VM name; ignored", b->vm_dir, e->d_name);
			continue;
		}
		rc = broker_vm_load(b, folded, err, errlen);
	}
	closedir(d);
	return rc;
}

int
broker_config_load(struct broker *b, const char *conf_path, char *err, size_t errlen)
{
	if (broker_config_settings(b, conf_path, err, errlen) < 0)
		return -1;
	if (b->keys_file == NULL || b->vm_dir == NULL)
		return snprintf(err, errlen, "%s: set keys_file (\"VM KEY\" lines) and vm_dir (one VM.conf per VM)",
		    conf_path), -1;
	if (sodium_init() < 0)
		return snprintf(err, errlen, "libsodium failed to initialise"), -1;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/endpoints", b->module_dir);
	if ((b->mod = module_load(MODULE_ENDPOINT, dir, b->endpoint, err, errlen)) == NULL)
		return -1;
	b->ops = b->mod->ops;
	if (broker_vms_load(b, err, errlen) < 0 || broker_keys_load(b, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < b->nvms; i++)
		if (!b->vms[i].has_key)
			log_warnx("%s: VM %s has no key in %s: it cannot ask anything",
			    b->vm_dir, b->vms[i].name, b->keys_file);
	return 0;
}

void
broker_config_free(struct broker *b)
{
	for (size_t i = 0; i < b->nvms; i++) {
		struct broker_vm *vm = &b->vms[i];
		if (vm->ep != NULL)
			b->ops->fini(vm->ep);
		for (size_t j = 0; j < vm->nallowed; j++)
			free(vm->allowed[j]);
		free(vm->allowed);
		conf_free(vm->conf);
		free(vm->name);
		sodium_memzero(vm->key, sizeof(vm->key));
	}
	free(b->vms);
	for (size_t i = 0; i < b->nhosts; i++)
		free(b->hosts[i].name);
	free(b->hosts);
	for (size_t i = 0; i < b->ntenants; i++) {
		free(b->tenants[i]->name);
		free(b->tenants[i]);
	}
	free(b->tenants);
	module_unload(b->mod);
	conf_free(b->conf);
	free(b->listen_host);
	free(b->listen_port);
}
