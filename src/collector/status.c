/* SPDX-License-Identifier: ISC */
/* What the collector tells its operator: `vmmanage-collector status [--json]` through a
 * control socket (a line in, the answer out, then the collector closes, as the broker's
 * and the agent's do; a unix socket of the service user, mode 0600), and /metrics over
 * HTTP (common/metrics_http.c) for Prometheus. Both read the same counters on the loop's
 * thread. The fleet's series are one per VM of the fleet view, which max_agent_hosts
 * (and keys_file) bound. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ctlsock.h"
#include "common/metrics_http.h"
#include "common/strutil.h"
#include "core/journal.h"
#include "server.h"

#define CONTROL_MAX_ANSWER (64u << 20)

static const char *const proto_names[] = {
	[COLLECTOR_PROTO_THESIS] = "thesis", [COLLECTOR_PROTO_SYSLOG] = "syslog",
	[COLLECTOR_PROTO_AGENT] = "agent",
};

/* The fleet, sorted by name: an array of pointers into the table, valid until it changes. */
struct fleet_list {
	const struct collector_vm **v;
	size_t n;
};

static int
fleet_list_add(const char *key, void *val, void *arg)
{
	struct fleet_list *l = arg;

	(void)key;
	l->v[l->n++] = val;
	return 0;
}

static int
fleet_by_name(const void *a, const void *b)
{
	return strcmp((*(const struct collector_vm *const *)a)->host,
	    (*(const struct collector_vm *const *)b)->host);
}

static int
fleet_list(struct collector *s, struct fleet_list *l)
{
	size_t n = s->fleet.t != NULL ? collector_htab_count(s->fleet.t) : 0;

	l->n = 0;
	if ((l->v = calloc(n + 1, sizeof(*l->v))) == NULL)
		return -1;
	if (n > 0)
		collector_htab_each(s->fleet.t, fleet_list_add, l);
	qsort(l->v, l->n, sizeof(*l->v), fleet_by_name);
	return 0;
}

/* ---- status ---- */

/* New agent messages by the journal's name of their kind (two kinds may share a name:
 * "start", "request"), in the journal's order. */
struct kind_count {
	const char *name;
	uint64_t n;
};

static size_t
status_kinds(const struct collector *s, struct kind_count *out, size_t cap)
{
	size_t n = 0;

	for (int k = 0; k < JOURNAL__N && k < 32; k++) {
		const char *name = journal_name(&(struct journal_event){ .kind = (enum journal_kind)k });
		size_t i = 0;
		while (i < n && strcmp(out[i].name, name) != 0)
			i++;
		if (i == n && n < cap)
			out[n++] = (struct kind_count){ name, 0 };
		if (i < n)
			out[i].n += s->st.agent_kinds[k];
	}
	return n;
}

/* s as a JSON string, escaped by the tree's one escape (common/strutil.c). */
static void
status_json_str(struct vmm_buf *b, const char *s)
{
	size_t len = strlen(s);

	if (vmm_buf_reserve(b, 6 * len + 3) < 0)
		return;
	b->p[b->len++] = '"';
	b->len += vmm_json_escape(s, len, b->p + b->len, b->cap - b->len);
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

/* null for an empty text */
static void
status_json_opt(struct vmm_buf *b, const char *s)
{
	if (s[0] == '\0')
		vmm_buf_printf(b, "null");
	else
		status_json_str(b, s);
}

struct status_counter {
	const char *json, *metric, *help;
	uint64_t v;
};

/* Every counter once: its JSON field, its metric (counters end in _total) and help. */
static size_t
status_counters(struct collector *s, struct status_counter *c, size_t cap)
{
	uint64_t written, jwritten, jdropped;
	size_t n = 0;

	collector_output_counts(s->out, &written, &jwritten, &jdropped);
#define C(j, m, h, val) do { if (n < cap) c[n++] = (struct status_counter){ j, m, h, val }; } while (0)
	C("accepted", "vmmanage_collector_connections_accepted_total", "Connections accepted.", s->st.accepted);
	C("refused_allow", NULL, NULL, s->st.refused_acl);
	C("refused_max_clients", NULL, NULL, s->st.refused_full);
	C("lines", NULL, NULL, s->st.lines);   /* vmmanage_collector_messages_total by protocol */
	C("acks", "vmmanage_collector_acks_total", "Acknowledgements sent to agents.", s->st.acks);
	C("duplicates", "vmmanage_collector_duplicates_total", "Agent frames already written (replays and resends), acknowledged and not written again.", s->st.dups);
	C("auth_failures", "vmmanage_collector_auth_failures_total", "Frames, handshakes and lines refused for want of a valid key.", s->st.unauth);
	C("protocol_errors", "vmmanage_collector_protocol_errors_total", "Frames refused as malformed.", s->st.bad);
	C("truncated", "vmmanage_collector_truncated_total", "Lines cut at max_line.", s->st.truncated);
	C("sequence_gaps", "vmmanage_collector_sequence_gaps_total", "Gaps in an agent's sequence numbers.", s->st.gaps);
	C("clock_skew_warnings", "vmmanage_collector_clock_skew_warnings_total", "Episodes of an agent clock off by more than max_clock_skew.", s->st.skewed);
	C("idle_closed", "vmmanage_collector_idle_closed_total", "Connections closed for idleness.", s->st.idle_closed);
	C("rate_limited", "vmmanage_collector_rate_limited_total", "Times a connection was paused by rate_limit.", s->st.rate_paused);
	C("write_failures", "vmmanage_collector_write_failures_total", "Writes of OUTPUT that failed (disk full, I/O error).", s->write_fails_total);
	C("disk_full_episodes", "vmmanage_collector_write_blocked_episodes_total", "Episodes in which OUTPUT could not be written and reading stopped.", s->st.blocked_episodes);
	C("bytes_written", "vmmanage_collector_output_bytes_total", "Bytes written to OUTPUT.", written);
	C("json_bytes_written", "vmmanage_collector_json_output_bytes_total", "Bytes written to the JSON copy.", jwritten);
	C("json_bytes_dropped", "vmmanage_collector_json_output_dropped_bytes_total", "Bytes of JSON lines dropped while the JSON copy could not be written.", jdropped);
	C("silent_episodes", "vmmanage_collector_silent_episodes_total", "Times a VM went silent.", s->fleet.silent_episodes);
	C("fleet_evicted", "vmmanage_collector_fleet_evicted_total", "VMs forgotten by the fleet view for max_agent_hosts.", s->fleet.evicted);
	C("alerts_dropped", "vmmanage_collector_alerts_dropped_total", "alert_command calls dropped from a full queue.", alertq_dropped(s->alerts));
#undef C
	return n;
}

static void
status_json_vm(struct collector *s, struct vmm_buf *b, const struct collector_vm *vm, int first)
{
	vmm_buf_printf(b, "%s\n    {\"vm\": ", first ? "" : ",");
	status_json_str(b, vm->host);
	vmm_buf_printf(b, ", \"last_seen\": %" PRId64 ", \"last_seen_age\": %" PRId64 ", \"last_cycle\": ",
	    vm->last_seen, (int64_t)s->wall - vm->last_seen);
	if (vm->last_cycle > 0)
		vmm_buf_printf(b, "%" PRId64, vm->last_cycle);
	else
		vmm_buf_printf(b, "null");
	vmm_buf_printf(b, ", \"location\": ");
	status_json_opt(b, vm->location);
	vmm_buf_printf(b, ", \"last_target\": ");
	status_json_opt(b, vm->last_target);
	vmm_buf_printf(b, ", \"last_outcome\": ");
	status_json_opt(b, vm->last_outcome);
	vmm_buf_printf(b, ", \"moves_last_hour\": %u, \"moves_last_day\": %u, \"connected\": %s, "
	    "\"connections\": %d, \"peer\": ", fleet_moves_within(s, vm, 3600),
	    fleet_moves_within(s, vm, 86400), vm->connections > 0 ? "true" : "false", vm->connections);
	status_json_opt(b, vm->peer);
	vmm_buf_printf(b, ", \"silent\": %s, \"messages\": %" PRIu64 "}", vm->silent ? "true" : "false",
	    vm->messages);
}

static int
status_json(struct collector *s, struct vmm_buf *b)
{
	struct status_counter c[32];
	struct fleet_list l;
	size_t n = status_counters(s, c, 32);

	if (fleet_list(s, &l) < 0)
		return -1;
	vmm_buf_printf(b, "{\n  \"version\": \"%s\",\n  \"pid\": %ld,\n  \"uptime\": %.0f,\n"
	    "  \"connections\": %ld,\n  \"output\": ", PACKAGE_VERSION, (long)getpid(),
	    s->now - s->started, s->nconns);
	status_json_str(b, s->conf->output);
	vmm_buf_printf(b, ",\n  \"output_blocked\": %s,\n  \"metrics_listen\": ",
	    s->blocked ? "true" : "false");
	status_json_opt(b, s->conf->metrics_listen ? s->conf->metrics_listen : "");
	vmm_buf_printf(b, ",\n  \"silent_after\": %g,\n  \"vms_known\": %zu,\n  \"vms_silent\": %zu,\n"
	    "  \"lines_by_protocol\": {", s->conf->silent_after, l.n, s->fleet.nsilent);
	for (int p = COLLECTOR_PROTO_THESIS; p <= COLLECTOR_PROTO_AGENT; p++)
		vmm_buf_printf(b, "%s\"%s\": %" PRIu64, p > COLLECTOR_PROTO_THESIS ? ", " : "",
		    proto_names[p], s->st.lines_by_proto[p]);
	struct kind_count kc[32];
	size_t nk = status_kinds(s, kc, 32);
	vmm_buf_printf(b, "},\n  \"agent_messages_by_kind\": {");
	for (size_t i = 0; i < nk; i++)
		vmm_buf_printf(b, "%s\"%s\": %" PRIu64, i ? ", " : "", kc[i].name, kc[i].n);
	vmm_buf_printf(b, "},\n  \"counters\": {");
	for (size_t i = 0; i < n; i++)
		vmm_buf_printf(b, "%s\"%s\": %" PRIu64, i ? ", " : "", c[i].json, c[i].v);
	vmm_buf_printf(b, "},\n  \"vms\": [");
	for (size_t i = 0; i < l.n; i++)
		status_json_vm(s, b, l.v[i], i == 0);
	vmm_buf_printf(b, "%s]\n}\n", l.n ? "\n  " : "");
	free(l.v);
	return 0;
}

static void
status_age(char *out, size_t cap, int64_t now, int64_t t)
{
	if (t <= 0)
		snprintf(out, cap, "never");
	else
		snprintf(out, cap, "%" PRId64 "s ago", now - t);
}

static int
status_text(struct collector *s, struct vmm_buf *b)
{
	struct fleet_list l;
	char seen[32], cycle[32], move[96];

	if (fleet_list(s, &l) < 0)
		return -1;
	vmm_buf_printf(b, "vmmanage-collector %s: %ld connections, %" PRIu64 " lines written, "
	    "output %s\n%zu VMs known, %zu silent (silent_after %g s)\n", PACKAGE_VERSION, s->nconns,
	    s->st.lines, s->blocked ? "BLOCKED (cannot write)" : "ok", l.n, s->fleet.nsilent,
	    s->conf->silent_after);
	if (l.n > 0)
		vmm_buf_printf(b, "%-24s %-12s %-12s %-16s %-9s %-7s %-6s %s\n", "VM", "LAST-SEEN",
		    "LAST-CYCLE", "LOCATION", "CONNECTED", "STATE", "MOVES", "LAST-MOVE");
	for (size_t i = 0; i < l.n; i++) {
		const struct collector_vm *vm = l.v[i];
		status_age(seen, sizeof(seen), (int64_t)s->wall, vm->last_seen);
		status_age(cycle, sizeof(cycle), (int64_t)s->wall, vm->last_cycle);
		snprintf(move, sizeof(move), "%s%s%s", vm->last_target[0] ? vm->last_target : "-",
		    vm->last_outcome[0] ? " " : "", vm->last_outcome);
		vmm_buf_printf(b, "%-24s %-12s %-12s %-16s %-9s %-7s %u/%-4u %s\n", vm->host, seen, cycle,
		    vm->location[0] ? vm->location : "unknown", vm->connections > 0 ? "yes" : "no",
		    vm->silent ? "SILENT" : "ok", fleet_moves_within(s, vm, 3600),
		    fleet_moves_within(s, vm, 86400), move);
	}
	free(l.v);
	return 0;
}

/* ---- the control socket ---- */

static void
control_accept(int lfd, int revents, void *arg)
{
	struct collector *s = arg;
	char line[128];
	struct vmm_buf b;
	int fd;

	(void)revents;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	ctlsock_read_line(fd, line, sizeof(line));
	vmm_buf_init(&b, 4096, CONTROL_MAX_ANSWER);
	int rc = strcmp(line, "status") == 0 ? status_text(s, &b) :
	    strcmp(line, "status --json") == 0 ? status_json(s, &b) :
	    vmm_buf_printf(&b, "error: unknown command (status, status --json)\n");
	if (rc < 0 || b.p == NULL) {
		vmm_buf_reset(&b);
		vmm_buf_printf(&b, "error: out of memory\n");
	}
	if (ctlsock_send(fd, b.p, b.len) < 0)
		log_info("control socket: the client went away or stopped reading (%s)", strerror(errno));
	vmm_buf_free(&b);
	close(fd);
}

int
collector_control_open(struct collector *s, char *err, size_t errlen)
{
	if ((s->control_fd = ctlsock_listen(s->conf->control_socket, 0177, err, errlen)) < 0)
		return -1;
	if (ev_fd_add(s->loop, s->control_fd, POLLIN, control_accept, s) < 0)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

void
collector_control_close(struct collector *s)
{
	if (s->control_fd < 0)
		return;
	ev_fd_del(s->loop, s->control_fd);
	close(s->control_fd);
	s->control_fd = -1;
	unlink(s->conf->control_socket);
}

/* ---- /metrics ---- */

static void
metrics_fleet(struct collector *s, struct vmm_buf *b)
{
	struct fleet_list l;

	metrics_family(b, "vmmanage_collector_vms", "gauge", "VMs in the fleet view (at most max_agent_hosts).");
	metrics_sample(b, "vmmanage_collector_vms", s->fleet.t ? (double)collector_htab_count(s->fleet.t) : 0);
	metrics_family(b, "vmmanage_collector_vms_silent", "gauge", "VMs heard nothing from for silent_after seconds.");
	metrics_sample(b, "vmmanage_collector_vms_silent", (double)s->fleet.nsilent);
	if (fleet_list(s, &l) < 0)
		return;
	metrics_family(b, "vmmanage_collector_vm_last_seen_seconds", "gauge",
	    "Seconds since the VM's last message reached the collector (one series per VM of the fleet view).");
	for (size_t i = 0; i < l.n; i++)
		metrics_sample1(b, "vmmanage_collector_vm_last_seen_seconds", "vm", l.v[i]->host,
		    (double)((int64_t)s->wall - l.v[i]->last_seen));
	metrics_family(b, "vmmanage_collector_vm_silent", "gauge", "1 while the VM is silent.");
	for (size_t i = 0; i < l.n; i++)
		metrics_sample1(b, "vmmanage_collector_vm_silent", "vm", l.v[i]->host, l.v[i]->silent);
	free(l.v);
}

static void
metrics_sync(struct collector *s, struct vmm_buf *b)
{
	static const double le[] = COLLECTOR_SYNC_BUCKETS;
	char v[32];
	uint64_t cum = 0;

	metrics_family(b, "vmmanage_collector_fsync_seconds", "histogram",
	    "Time to write and fdatasync a batch of agent lines before their acks.");
	for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		cum += s->st.sync_buckets[i];
		snprintf(v, sizeof(v), "%g", le[i]);
		metrics_sample1(b, "vmmanage_collector_fsync_seconds_bucket", "le", v, (double)cum);
	}
	metrics_sample1(b, "vmmanage_collector_fsync_seconds_bucket", "le", "+Inf", (double)s->st.syncs);
	metrics_sample(b, "vmmanage_collector_fsync_seconds_sum", s->st.sync_seconds);
	metrics_sample(b, "vmmanage_collector_fsync_seconds_count", (double)s->st.syncs);
}

static int
metrics_render(struct vmm_buf *b, void *arg)
{
	struct collector *s = arg;
	struct status_counter c[32];
	size_t n = status_counters(s, c, 32);

	metrics_family(b, "vmmanage_collector_info", "gauge", "The collector's version.");
	metrics_sample1(b, "vmmanage_collector_info", "version", PACKAGE_VERSION, 1);
	metrics_family(b, "vmmanage_collector_connections", "gauge", "Client connections open.");
	metrics_sample(b, "vmmanage_collector_connections", (double)s->nconns);
	metrics_family(b, "vmmanage_collector_output_blocked", "gauge", "1 while OUTPUT cannot be written and nothing is read.");
	metrics_sample(b, "vmmanage_collector_output_blocked", s->blocked);
	metrics_family(b, "vmmanage_collector_partial_bytes", "gauge", "Bytes held in unfinished frames, all connections.");
	metrics_sample(b, "vmmanage_collector_partial_bytes", (double)s->partial);
	metrics_family(b, "vmmanage_collector_connections_refused_total", "counter", "Connections refused, by reason.");
	metrics_sample1(b, "vmmanage_collector_connections_refused_total", "reason", "allow", (double)s->st.refused_acl);
	metrics_sample1(b, "vmmanage_collector_connections_refused_total", "reason", "max_clients", (double)s->st.refused_full);
	metrics_family(b, "vmmanage_collector_messages_total", "counter", "Lines taken for OUTPUT, by protocol.");
	for (int p = COLLECTOR_PROTO_THESIS; p <= COLLECTOR_PROTO_AGENT; p++)
		metrics_sample1(b, "vmmanage_collector_messages_total", "protocol", proto_names[p],
		    (double)s->st.lines_by_proto[p]);
	struct kind_count kc[32];
	size_t nk = status_kinds(s, kc, 32);
	metrics_family(b, "vmmanage_collector_agent_messages_total", "counter",
	    "New agent messages, by the kind of event they say (vmmanage's journal: cycle, request, confirmed...).");
	for (size_t i = 0; i < nk; i++)
		metrics_sample1(b, "vmmanage_collector_agent_messages_total", "kind", kc[i].name, (double)kc[i].n);
	for (size_t i = 0; i < n; i++)
		if (c[i].metric != NULL) {
			metrics_family(b, c[i].metric, "counter", c[i].help);
			metrics_sample(b, c[i].metric, (double)c[i].v);
		}
	metrics_sync(s, b);
	metrics_fleet(s, b);
	return b->p != NULL && b->len > 0 ? 0 : -1;
}

int
collector_metrics_start(struct collector *s, int fd, char *err, size_t errlen)
{
	if (fd < 0)
		return 0;
	return (s->metrics = metrics_http_start(s->loop, fd, metrics_render, s, err, errlen)) ? 0 : -1;
}

/* ---- the CLI's side ---- */

int
collector_control_client(const char *path, const char *line)
{
	return ctlsock_ask(path, line, "vmmanage-collector",
	    "is the collector running, and are you its user or root?");
}
