/* SPDX-License-Identifier: ISC */
/* What each host offers, read over the connections the endpoint opens anyway (to find
 * the VM before a move and when asked where it runs): free memory and the share of idle
 * CPU time since the previous look. The agent's target choice uses them as hints. */
#include "config.h"

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

void
lv_hint_read(struct lv_hint *h, virConnectPtr c)
{
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
	/* a hint that could not be read is no error of the move or the locate */
	virResetLastError();
}
