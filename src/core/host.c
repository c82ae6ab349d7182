/* SPDX-License-Identifier: ISC */
/* The services the daemon lends to its modules, so modules never link against it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vmmanage/policy.h>

#include "core/conf.h"
#include "core/host.h"
#include "common/log.h"
#include "core/subproc.h"

static char host_name[256];

void
host_set_hostname(const char *name)
{
	if (name != NULL && *name) {
		snprintf(host_name, sizeof(host_name), "%s", name);
		return;
	}
	/* the thesis read /etc/hostname; the short kernel host name is the same thing */
	if (gethostname(host_name, sizeof(host_name) - 1) < 0)
		snprintf(host_name, sizeof(host_name), "localhost");
	host_name[strcspn(host_name, ".")] = '\0';
}

const char *
host_hostname(void)
{
	if (host_name[0] == '\0')
		host_set_hostname(NULL);
	return host_name;
}

static void
host_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

const struct vmm_host vmm_host_api = {
	.abi = VMM_HOST_ABI,
	.size = sizeof(struct vmm_host),
	.log = host_log,
	.conf_number = conf_number,
	.conf_int = conf_int,
	.conf_bool = conf_bool,
	.conf_string = conf_string,
	.conf_strings = conf_strings,
	.conf_where = conf_where,
	.run = spawn_run,
	.run_free = spawn_result_free,
	.hostname = host_hostname,
	.policy_minor = VMM_POLICY_MINOR,
};
