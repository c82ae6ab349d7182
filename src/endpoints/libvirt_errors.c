/* SPDX-License-Identifier: ISC */
/* libvirt's errors as vmmanage's failure classes. By virErrorNumber only: messages
 * are translated and reworded between releases (kubevirt#5319). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "libvirt.h"

struct lv_rule {
	int code;
	enum vmm_failure failure;
	int permanent;
	const char *what;
};

/* Opening a connection: the host is down, refuses, or does not let us in. */
static const struct lv_rule lv_connect_rules[] = {
	{ VIR_ERR_SYSTEM_ERROR, VMM_FAIL_UNREACHABLE, 0, "host unreachable or refusing" },
	{ VIR_ERR_NO_CONNECT, VMM_FAIL_UNREACHABLE, 0, "no connection" },
	{ VIR_ERR_RPC, VMM_FAIL_UNREACHABLE, 0, "connection broken" },
	{ VIR_ERR_UNKNOWN_HOST, VMM_FAIL_UNREACHABLE, 0, "unknown host" },
	{ VIR_ERR_NO_SERVER, VMM_FAIL_UNREACHABLE, 0, "no such server" },
	{ VIR_ERR_OPERATION_TIMEOUT, VMM_FAIL_UNREACHABLE, 0, "host not answering" },
	{ VIR_ERR_GNUTLS_ERROR, VMM_FAIL_REFUSED, 1, "TLS failed" },
	{ VIR_ERR_AUTH_FAILED, VMM_FAIL_REFUSED, 1, "authentication failed" },
	{ VIR_ERR_AUTH_CANCELLED, VMM_FAIL_REFUSED, 1, "authentication cancelled" },
	{ VIR_ERR_AUTH_UNAVAILABLE, VMM_FAIL_REFUSED, 1, "authentication unavailable" },
	{ VIR_ERR_ACCESS_DENIED, VMM_FAIL_REFUSED, 1, "access denied" },
	{ VIR_ERR_INVALID_ARG, VMM_FAIL_CONFIG, 1, "bad URI" },
	{ VIR_ERR_NO_SUPPORT, VMM_FAIL_CONFIG, 1, "no driver for this URI" },
};

/* The migration call: the source libvirtd reports the destination's failures too. */
static const struct lv_rule lv_migrate_rules[] = {
	{ VIR_ERR_SYSTEM_ERROR, VMM_FAIL_UNREACHABLE, 0, "host unreachable or refusing" },
	{ VIR_ERR_NO_CONNECT, VMM_FAIL_UNREACHABLE, 0, "no connection" },
	{ VIR_ERR_RPC, VMM_FAIL_UNREACHABLE, 0, "connection broken" },
	{ VIR_ERR_INVALID_CONN, VMM_FAIL_UNREACHABLE, 0, "connection lost" },
	{ VIR_ERR_UNKNOWN_HOST, VMM_FAIL_UNREACHABLE, 0, "unknown host" },
	{ VIR_ERR_NO_SERVER, VMM_FAIL_UNREACHABLE, 0, "no such server" },
	{ VIR_ERR_OPERATION_TIMEOUT, VMM_FAIL_TIMEOUT, 0, "timed out" },
	{ VIR_ERR_AGENT_UNRESPONSIVE, VMM_FAIL_TIMEOUT, 0, "guest agent unresponsive" },
	{ VIR_ERR_OPERATION_ABORTED, VMM_FAIL_REFUSED, 0, "aborted" },
	{ VIR_ERR_NO_SUPPORT, VMM_FAIL_UNSUPPORTED, 1, "not supported" },
	{ VIR_ERR_OPERATION_UNSUPPORTED, VMM_FAIL_UNSUPPORTED, 1, "operation not supported" },
	{ VIR_ERR_ARGUMENT_UNSUPPORTED, VMM_FAIL_UNSUPPORTED, 1, "argument not supported" },
	{ VIR_ERR_CONFIG_UNSUPPORTED, VMM_FAIL_UNSUPPORTED, 1, "configuration not supported" },
	{ VIR_ERR_CPU_INCOMPATIBLE, VMM_FAIL_REFUSED, 1, "CPU incompatible" },
	{ VIR_ERR_MIGRATE_UNSAFE, VMM_FAIL_REFUSED, 1, "migration unsafe" },
	{ VIR_ERR_AUTH_FAILED, VMM_FAIL_REFUSED, 1, "authentication failed" },
	{ VIR_ERR_AUTH_CANCELLED, VMM_FAIL_REFUSED, 1, "authentication cancelled" },
	{ VIR_ERR_AUTH_UNAVAILABLE, VMM_FAIL_REFUSED, 1, "authentication unavailable" },
	{ VIR_ERR_ACCESS_DENIED, VMM_FAIL_REFUSED, 1, "access denied" },
	{ VIR_ERR_OPERATION_DENIED, VMM_FAIL_REFUSED, 1, "operation denied" },
	{ VIR_ERR_GNUTLS_ERROR, VMM_FAIL_REFUSED, 1, "TLS failed" },
	{ VIR_ERR_OPERATION_INVALID, VMM_FAIL_REFUSED, 0, "refused in this state" },
	{ VIR_ERR_RESOURCE_BUSY, VMM_FAIL_REFUSED, 0, "busy" },
	{ VIR_ERR_DOM_EXIST, VMM_FAIL_REFUSED, 0, "already on the target" },
	{ VIR_ERR_OPERATION_FAILED, VMM_FAIL_REFUSED, 0, "failed" },
	{ VIR_ERR_NO_DOMAIN, VMM_FAIL_OTHER, 0, "domain gone from the source" },
	{ VIR_ERR_MIGRATE_PERSIST_FAILED, VMM_FAIL_OTHER, 0, "moved, not persisted" },
	{ VIR_ERR_INVALID_ARG, VMM_FAIL_CONFIG, 1, "invalid argument (migration URI?)" },
	{ VIR_ERR_XML_ERROR, VMM_FAIL_CONFIG, 1, "XML error" },
};

static int
lv_find_rule(const struct lv_rule *rules, size_t n, int code, struct lv_class *out)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].code == code) {
			*out = (struct lv_class){ rules[i].failure, rules[i].permanent, rules[i].what };
			return 1;
		}
	return 0;
}

void
lv_classify(int code, enum lv_phase phase, struct lv_class *out)
{
	int found = phase == LV_CONNECTING
	    ? lv_find_rule(lv_connect_rules, sizeof(lv_connect_rules) / sizeof(lv_connect_rules[0]), code, out)
	    : lv_find_rule(lv_migrate_rules, sizeof(lv_migrate_rules) / sizeof(lv_migrate_rules[0]), code, out);

	if (!found)
		*out = (struct lv_class){ VMM_FAIL_OTHER, 0, "error" };
}

int
lv_last_error(char *buf, size_t len)
{
	const virError *e = virGetLastError();

	if (e == NULL) {
		snprintf(buf, len, "libvirt gave no reason");
		return 0;
	}
	snprintf(buf, len, "%s (libvirt error %d)", e->message ? e->message : "no message", e->code);
	return e->code;
}
