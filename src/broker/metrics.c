/* SPDX-License-Identifier: ISC */
/* The broker's /metrics (common/metrics_http.c, on the broker's loop) and its
 * `status --json`: requests, admissions and refusals by reason, moves running and done,
 * their durations, and the hosts. Per-host series are bounded by the hosts the VMs'
 * files name (BROKER_MAX_HOSTS); there are no per-VM series. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/buf.h"
#include "common/ev.h"
#include "common/metrics_http.h"
#include "common/strutil.h"

static const double move_le[] = BROKER_MOVE_BUCKETS;
#define NBUCKETS (sizeof(move_le) / sizeof(move_le[0]))
static const char *const kind_names[] = { NULL, "move", "where", "hosts" };
static const char *const outcome_names[] = { "confirmed", "unconfirmed", "failed" };

void
broker_metrics_move(struct broker *b, int outcome, double seconds)
{
	size_t i = 0;

	b->st.outcomes[outcome >= 0 && outcome <= 2 ? outcome : 2]++;
	while (i < NBUCKETS && seconds > move_le[i])
		i++;
	if (i < NBUCKETS)
		b->st.duration_buckets[i]++;
	b->st.duration_count++;
	b->st.duration_sum += seconds;
}

static size_t
broker_moves_running(const struct broker *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nvms; i++)
		n += b->vms[i].target[0] != '\0';
	return n;
}

static size_t
broker_hosts_draining(const struct broker *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nhosts; i++)
		n += b->hosts[i].draining != 0;
	return n;
}

static void
metrics_durations(struct broker *b, struct vmm_buf *o)
{
	char le[32];
	uint64_t cum = 0;

	metrics_family(o, "vmmanage_broker_move_duration_seconds", "histogram",
	    "Time from admission to the endpoint's outcome, every outcome.");
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += b->st.duration_buckets[i];
		snprintf(le, sizeof(le), "%g", move_le[i]);
		metrics_sample1(o, "vmmanage_broker_move_duration_seconds_bucket", "le", le, (double)cum);
	}
	metrics_sample1(o, "vmmanage_broker_move_duration_seconds_bucket", "le", "+Inf",
	    (double)b->st.duration_count);
	metrics_sample(o, "vmmanage_broker_move_duration_seconds_sum", b->st.duration_sum);
	metrics_sample(o, "vmmanage_broker_move_duration_seconds_count", (double)b->st.duration_count);
}

static void
metrics_hosts(struct broker *b, struct vmm_buf *o)
{
	metrics_family(o, "vmmanage_broker_hosts_draining", "gauge", "Hosts being drained.");
	metrics_sample(o, "vmmanage_broker_hosts_draining", (double)broker_hosts_draining(b));
	metrics_family(o, "vmmanage_broker_host_draining", "gauge", "1 while the host is drained (one series per host of the VMs' files).");
	for (size_t i = 0; i < b->nhosts; i++)
		metrics_sample1(o, "vmmanage_broker_host_draining", "host", b->hosts[i].name,
		    b->hosts[i].draining != 0);
	metrics_family(o, "vmmanage_broker_host_incoming_moves", "gauge", "Migrations to the host in flight.");
	for (size_t i = 0; i < b->nhosts; i++)
		metrics_sample1(o, "vmmanage_broker_host_incoming_moves", "host", b->hosts[i].name,
		    b->hosts[i].incoming);
}

static int
metrics_render(struct vmm_buf *o, void *arg)
{
	struct broker *b = arg;

	metrics_family(o, "vmmanage_broker_info", "gauge", "The broker's version and endpoint.");
	vmm_buf_printf(o, "vmmanage_broker_info{version=\"%s\",endpoint=\"%s\"} 1\n", PACKAGE_VERSION,
	    b->endpoint);
	metrics_family(o, "vmmanage_broker_vms", "gauge", "VMs the broker serves (vm_dir).");
	metrics_sample(o, "vmmanage_broker_vms", (double)b->nvms);
	metrics_family(o, "vmmanage_broker_connections", "gauge", "Agent connections open.");
	metrics_sample(o, "vmmanage_broker_connections", (double)b->nclients);
	metrics_family(o, "vmmanage_broker_requests_total", "counter", "Requests of authenticated VMs, by kind.");
	for (int k = WIRE_BREQ_MOVE; k <= WIRE_BREQ_HOSTS; k++)
		metrics_sample1(o, "vmmanage_broker_requests_total", "kind", kind_names[k], (double)b->st.requests[k]);
	metrics_family(o, "vmmanage_broker_admitted_total", "counter", "Moves admitted.");
	metrics_sample(o, "vmmanage_broker_admitted_total", (double)b->st.admitted);
	metrics_family(o, "vmmanage_broker_refused_total", "counter", "Requests refused, by reason.");
	for (int r = ADMIT_NOT_ALLOWED; r < ADMIT__N; r++)
		metrics_sample1(o, "vmmanage_broker_refused_total", "reason", admit_reason_names[r],
		    (double)b->st.refused[r]);
	metrics_family(o, "vmmanage_broker_peers_refused_total", "counter",
	    "Connections and frames refused before a request: bad keys, MACs, replays, max_clients.");
	metrics_sample(o, "vmmanage_broker_peers_refused_total", (double)b->st.peers_refused);
	metrics_family(o, "vmmanage_broker_moves_running", "gauge", "Moves admitted and not yet ended.");
	metrics_sample(o, "vmmanage_broker_moves_running", (double)broker_moves_running(b));
	metrics_family(o, "vmmanage_broker_moves_total", "counter", "Moves ended, by outcome.");
	for (int i = 0; i < 3; i++)
		metrics_sample1(o, "vmmanage_broker_moves_total", "outcome", outcome_names[i],
		    (double)b->st.outcomes[i]);
	metrics_durations(b, o);
	metrics_hosts(b, o);
	return o->p != NULL ? 0 : -1;
}

int
broker_metrics_start(struct broker *b, char *err, size_t errlen)
{
	b->started = ev_now();
	if (b->metrics_fd < 0)
		return 0;
	b->metrics = metrics_http_start(b->loop, b->metrics_fd, metrics_render, b, err, errlen);
	b->metrics_fd = -1;
	return b->metrics != NULL ? 0 : -1;
}

/* ---- status --json ---- */

static void
json_str(struct vmm_buf *o, const char *s)
{
	size_t len = strlen(s);

	if (vmm_buf_reserve(o, 6 * len + 3) < 0)
		return;
	o->p[o->len++] = '"';
	o->len += vmm_json_escape(s, len, o->p + o->len, o->cap - o->len);
	o->p[o->len++] = '"';
	o->p[o->len] = '\0';
}

static void
json_vm(struct vmm_buf *o, const struct broker_vm *vm, double now, int first)
{
	vmm_buf_printf(o, "%s\n    {\"vm\": ", first ? "" : ",");
	json_str(o, vm->name);
	vmm_buf_printf(o, ", \"location\": ");
	if (vm->location[0])
		json_str(o, vm->location);
	else
		vmm_buf_printf(o, "null");
	vmm_buf_printf(o, ", \"moving_to\": ");
	if (vm->target[0])
		json_str(o, vm->target);
	else
		vmm_buf_printf(o, "null");
	vmm_buf_printf(o, ", \"moves_last_hour\": %zu, \"moves_per_hour\": %lld, \"tenant\": ",
	    admit_window(vm->starts, vm->nstarts, now, NULL), (long long)vm->budget);
	if (vm->tenant != NULL)
		json_str(o, vm->tenant->name);
	else
		vmm_buf_printf(o, "null");
	vmm_buf_printf(o, "}");
}

static void
json_counters(struct broker *b, struct vmm_buf *o)
{
	vmm_buf_printf(o, "  \"requests\": {\"move\": %" PRIu64 ", \"where\": %" PRIu64 ", \"hosts\": %"
	    PRIu64 "},\n  \"admitted\": %" PRIu64 ",\n  \"refused\": {", b->st.requests[WIRE_BREQ_MOVE],
	    b->st.requests[WIRE_BREQ_WHERE], b->st.requests[WIRE_BREQ_HOSTS], b->st.admitted);
	for (int r = ADMIT_NOT_ALLOWED; r < ADMIT__N; r++)
		vmm_buf_printf(o, "%s\"%s\": %" PRIu64, r > ADMIT_NOT_ALLOWED ? ", " : "",
		    admit_reason_names[r], b->st.refused[r]);
	vmm_buf_printf(o, "},\n  \"peers_refused\": %" PRIu64 ",\n  \"moves_running\": %zu,\n"
	    "  \"moves\": {\"confirmed\": %" PRIu64 ", \"unconfirmed\": %" PRIu64 ", \"failed\": %" PRIu64
	    "},\n", b->st.peers_refused, broker_moves_running(b), b->st.outcomes[0], b->st.outcomes[1],
	    b->st.outcomes[2]);
}

size_t
broker_status_json(struct broker *b, char *out, size_t cap)
{
	struct vmm_buf o;
	double now = ev_now();

	vmm_buf_init(&o, 4096, cap - 1);
	vmm_buf_printf(&o, "{\n  \"version\": \"%s\",\n  \"pid\": %ld,\n  \"uptime\": %.0f,\n"
	    "  \"endpoint\": ", PACKAGE_VERSION, (long)getpid(), now - b->started);
	json_str(&o, b->endpoint);
	vmm_buf_printf(&o, ",\n  \"connections\": %zu,\n", b->nclients);
	json_counters(b, &o);
	vmm_buf_printf(&o, "  \"hosts\": [");
	for (size_t i = 0; i < b->nhosts; i++) {
		vmm_buf_printf(&o, "%s\n    {\"host\": ", i ? "," : "");
		json_str(&o, b->hosts[i].name);
		vmm_buf_printf(&o, ", \"incoming\": %d, \"max_incoming\": %lld, \"draining\": %s, \"drain_deadline_in\": ",
		    b->hosts[i].incoming, (long long)b->max_incoming, b->hosts[i].draining ? "true" : "false");
		if (b->hosts[i].draining && b->hosts[i].drain_deadline > 0)
			vmm_buf_printf(&o, "%.0f}", fmax(0, b->hosts[i].drain_deadline - now));
		else
			vmm_buf_printf(&o, "null}");
	}
	vmm_buf_printf(&o, "%s],\n  \"tenants\": [", b->nhosts ? "\n  " : "");
	for (size_t i = 0; i < b->ntenants; i++) {
		vmm_buf_printf(&o, "%s\n    {\"tenant\": ", i ? "," : "");
		json_str(&o, b->tenants[i]->name);
		vmm_buf_printf(&o, ", \"moves_last_hour\": %zu, \"moves_per_hour\": %lld}",
		    admit_window(b->tenants[i]->starts, b->tenants[i]->nstarts, now, NULL),
		    (long long)b->tenant_moves_per_hour);
	}
	vmm_buf_printf(&o, "%s],\n  \"vms\": [", b->ntenants ? "\n  " : "");
	for (size_t i = 0; i < b->nvms; i++)
		json_vm(&o, &b->vms[i], now, i == 0);
	vmm_buf_printf(&o, "%s]\n}\n", b->nvms ? "\n  " : "");
	size_t n = 0;
	if (o.p != NULL && o.len < cap) {
		memcpy(out, o.p, o.len + 1);
		n = o.len;
	} else
		n = (size_t)snprintf(out, cap, "error: the status does not fit\n");
	vmm_buf_free(&o);
	return n;
}
