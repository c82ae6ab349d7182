/* SPDX-License-Identifier: ISC */
/* What each host offers, read over the connections the endpoint opens anyway (to find
 * the VM before a move and when asked where it runs): free memory, the share of idle
 * CPU time since the previous look, the migrations arriving, and on the host that runs
 * the VM its memory. The agent's target choice uses them as hints. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "libvirt.h"

#define LV_HINT_MAX_FIELDS 16

/* Idle and total CPU time (ns) of all CPUs; 0, or -1 when the host cannot say. */
static int
lv_cpu_times(virConnectPtr c, unsigned long long *idle, unsigned long long *total)
{
	virNodeCPUStats st[LV_HINT_MAX_FIELDS];
	int n = 0;

	if (virNodeGetCPUStats(c, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 ||
	    n <= 0 || n > LV_HINT_MAX_FIELDS)
		return -1;
	memset(st, 0, sizeof(st));
	if (virNodeGetCPUStats(c, VIR_NODE_CPU_STATS_ALL_CPUS, st, &n, 0) < 0)
		return -1;
	*idle = *total = 0;
	for (int i = 0; i < n; i++) {
		/* "utilization" is a percentage some drivers give instead of times */
		if (strcmp(st[i].field, VIR_NODE_CPU_STATS_UTILIZATION) == 0)
			continue;
		*total += st[i].value;
		if (strcmp(st[i].field, VIR_NODE_CPU_STATS_IDLE) == 0)
			*idle += st[i].value;
	}
	return *total > 0 ? 0 : -1;
}

/* Is d the receiving end of a migration? Its job says so (libvirt reports the incoming
 * job's operation); without a job word, a domain paused for a migration. The sending end
 * is paused too at the switch-over, but its job is an outgoing one. */
static int
lv_arriving(virDomainPtr d)
{
	virTypedParameterPtr params = NULL;
	int n = 0, type = VIR_DOMAIN_JOB_NONE, op = 0, state = 0, reason = 0;

	if (virDomainGetJobStats(d, &type, &params, &n, 0) == 0) {
		int said = virTypedParamsGetInt(params, n, VIR_DOMAIN_JOB_OPERATION, &op) == 1;
		virTypedParamsFree(params, n);
		if (type != VIR_DOMAIN_JOB_NONE && said)
			return op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN;
	}
	return virDomainGetState(d, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED &&
	    reason == VIR_DOMAIN_PAUSED_MIGRATION;
}

/* Other domains arriving (an incoming domain stays paused until it has arrived); -1 when
 * the host cannot list its domains. */
static int
lv_incoming(virConnectPtr c, virDomainPtr self)
{
	virDomainPtr *doms = NULL;
	unsigned char me[VIR_UUID_BUFLEN], uuid[VIR_UUID_BUFLEN];
	int n = virConnectListAllDomains(c, &doms, VIR_CONNECT_LIST_DOMAINS_PAUSED), count = 0;
	int known_self = self != NULL && virDomainGetUUID(self, me) == 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int same = known_self && virDomainGetUUID(doms[i], uuid) == 0 &&
		    memcmp(me, uuid, sizeof(me)) == 0;
		if (!same && lv_arriving(doms[i]))
			count++;
		virDomainFree(doms[i]);
	}
	free(doms);
	return count;
}

void
lv_hint_read(struct lv_hint *h, virConnectPtr c, virDomainPtr d)
{
	virDomainInfo info;

	unsigned long long mem = virNodeGetFreeMemory(c), idle, total;

	h->seen = 1;
	h->free_memory = mem > 0 ? (int64_t)mem : -1;
	if (lv_cpu_times(c, &idle, &total) < 0) {
		h->cpu_idle = -1;
		h->have_prev = 0;
	} else {
		h->cpu_idle = -1;
		if (h->have_prev && total > h->prev_total && idle >= h->prev_idle)
			h->cpu_idle = (double)(idle - h->prev_idle) / (double)(total - h->prev_total);
		h->prev_idle = idle;
		h->prev_total = total;
		h->have_prev = 1;
	}
	h->incoming = lv_incoming(c, d);
	h->vm_memory = -1;
	if (d != NULL && virDomainIsActive(d) == 1 && virDomainGetInfo(d, &info) == 0 &&
	    info.state == VIR_DOMAIN_RUNNING && info.memory > 0)
		h->vm_memory = (int64_t)info.memory * 1024; /* KiB */
	/* a hint that could not be read is no error of the move or the locate */
	virResetLastError();
}
