/* SPDX-License-Identifier: ISC */
/* Metrics for node_exporter's textfile collector (metrics_file): the status snapshot in
 * Prometheus's text exposition format, written under a temporary name in the same
 * directory and renamed, so that a scrape never reads half a file. No timestamps (the
 * collector's rule). Names follow Prometheus's naming guide: vmmanage_ prefix, base
 * units, _total on counters. What is not known is left out, never written as 0. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_priv.h"
#include "agent/agent_status.h"
#include "common/log.h"
#include "core/setup.h"

static void
m_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static void
m_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
m_value(FILE *f, const char *name, double v)
{
	fprintf(f, "%s %.17g\n", name, v);
}

/* One sample with one label. */
static void
m_labelled(FILE *f, const char *name, const char *label, const char *value, double v)
{
	fprintf(f, "%s{%s=", name, label);
	m_label(f, value);
	fprintf(f, "} %.17g\n", v);
}

static void
metrics_sensor(const struct agent_status_snapshot *s, FILE *f)
{
	const struct vmm_sample *last = s->nsamples ? &s->samples[s->nsamples - 1] : NULL;

	m_head(f, "vmmanage_indicator_known", "gauge", "1 when the last sample could be read, 0 when it was unknown.");
	m_value(f, "vmmanage_indicator_known", last != NULL && last->known);
	if (last != NULL && last->known && isfinite(last->value)) {
		m_head(f, "vmmanage_indicator_value", "gauge", "The indicator's last sample (absent while unknown).");
		m_value(f, "vmmanage_indicator_value", last->value);
	}
	m_head(f, "vmmanage_samples_total", "counter", "Samples taken since the start.");
	m_value(f, "vmmanage_samples_total", (double)s->nsampled);
	m_head(f, "vmmanage_samples_unknown_total", "counter", "Samples the sensor could not read.");
	m_value(f, "vmmanage_samples_unknown_total", (double)s->nunknown);
	m_head(f, "vmmanage_sensor_overruns_total", "counter", "Cycles whose sample was still being taken when the next was due.");
	m_value(f, "vmmanage_sensor_overruns_total", (double)s->overruns);
	m_head(f, "vmmanage_policy_samples_past_threshold", "gauge", "Samples past the policy's threshold counted toward a move (the thesis's count).");
	m_value(f, "vmmanage_policy_samples_past_threshold", (double)s->counters.count);
	m_head(f, "vmmanage_policy_threshold", "gauge", "The policy's threshold.");
	m_value(f, "vmmanage_policy_threshold", s->counters.threshold);
	if (s->counters.has_low) {
		m_head(f, "vmmanage_policy_samples_under_lowthreshold", "gauge", "Samples under the policy's low threshold counted toward a move (its lowcount).");
		m_value(f, "vmmanage_policy_samples_under_lowthreshold", (double)s->counters.lowcount);
	}
}

static void
metrics_requests(const struct agent_status_snapshot *s, FILE *f)
{
	static const char *const outcomes[] = { "confirmed", "unconfirmed", "failed", "refused" };
	const uint64_t counts[] = { s->confirmed, s->unconfirmed, s->failed, s->refused };

	m_head(f, "vmmanage_move_requests_total", "counter", "Move requests sent to the endpoint.");
	m_value(f, "vmmanage_move_requests_total", (double)s->requests);
	m_head(f, "vmmanage_move_outcomes_total", "counter", "Outcomes of move requests, by outcome.");
	for (size_t i = 0; i < 4; i++)
		m_labelled(f, "vmmanage_move_outcomes_total", "outcome", outcomes[i], (double)counts[i]);
	m_head(f, "vmmanage_move_suppressed_total", "counter", "Requests held back by the guard or damping.");
	m_value(f, "vmmanage_move_suppressed_total", (double)s->suppressed);
	m_head(f, "vmmanage_move_requests_last_hour", "gauge", "Move requests in the last hour (the guard's count).");
	m_value(f, "vmmanage_move_requests_last_hour", (double)s->requests_last_hour);
	m_head(f, "vmmanage_move_in_flight", "gauge", "1 while a move is with the endpoint.");
	m_value(f, "vmmanage_move_in_flight", s->in_flight);
	if (s->last_action[0] && s->last_duration > 0 && strcmp(s->last_outcome, "in flight") != 0) {
		m_head(f, "vmmanage_move_last_duration_seconds", "gauge", "How long the last request took, to its outcome.");
		m_value(f, "vmmanage_move_last_duration_seconds", s->last_duration);
	}
	if (s->location[0]) {
		m_head(f, "vmmanage_location", "gauge", "1 for the host the VM runs on.");
		m_labelled(f, "vmmanage_location", "host", s->location, 1);
		m_head(f, "vmmanage_location_confirmed", "gauge", "1 when the endpoint confirmed the location, 0 when assumed.");
		m_value(f, "vmmanage_location_confirmed", s->location_confirmed);
	}
}

static void
metrics_damping(const struct agent_status_snapshot *s, FILE *f)
{
	m_head(f, "vmmanage_mode", "gauge", "1 for the mode the agent is in.");
	for (int m = VMM_MODE_AUTOMATIC; m <= VMM_MODE_MANUAL; m++)
		m_labelled(f, "vmmanage_mode", "mode", damper_mode_name((enum vmm_mode)m), s->mode == (enum vmm_mode)m);
	m_head(f, "vmmanage_breaker_tripped", "gauge", "1 while the breaker holds automatic moves.");
	m_value(f, "vmmanage_breaker_tripped", s->tripped);
	m_head(f, "vmmanage_warmup_remaining_seconds", "gauge", "Seconds before samples count again after a start or a move.");
	m_value(f, "vmmanage_warmup_remaining_seconds", s->warming);
	m_head(f, "vmmanage_efficacy_measured_total", "counter", "Confirmed moves whose efficacy was measured.");
	m_value(f, "vmmanage_efficacy_measured_total", (double)s->measured);
	if (s->measured) {
		m_head(f, "vmmanage_efficacy_mean_gain", "gauge", "Mean gain of the measured moves (positive: better).");
		m_value(f, "vmmanage_efficacy_mean_gain", s->mean_gain);
	}
}

static void
metrics_hosts(const struct agent_status_snapshot *s, FILE *f)
{
	m_head(f, "vmmanage_host_available", "gauge", "1 when a move may go to the host now.");
	for (size_t i = 0; i < s->nhosts; i++)
		m_labelled(f, "vmmanage_host_available", "host", s->hosts[i].name, s->hosts[i].available);
	m_head(f, "vmmanage_host_learned_mean", "gauge", "The indicator's learned mean on the host (hosts with one).");
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].learned)
			m_labelled(f, "vmmanage_host_learned_mean", "host", s->hosts[i].name, s->hosts[i].mean);
	m_head(f, "vmmanage_host_free_memory_bytes", "gauge", "Free memory the endpoint last saw on the host.");
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].has_memory)
			m_labelled(f, "vmmanage_host_free_memory_bytes", "host", s->hosts[i].name, (double)s->hosts[i].free_memory);
	m_head(f, "vmmanage_host_cpu_idle_ratio", "gauge", "Share of idle CPU the endpoint last saw on the host.");
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].has_cpu)
			m_labelled(f, "vmmanage_host_cpu_idle_ratio", "host", s->hosts[i].name, s->hosts[i].cpu_idle);
	m_head(f, "vmmanage_move_time_mean_seconds", "gauge", "Mean time of the confirmed moves between two hosts.");
	for (size_t i = 0; i < s->nmoves; i++) {
		fputs("vmmanage_move_time_mean_seconds{from=", f);
		m_label(f, s->moves[i].from);
		fputs(",to=", f);
		m_label(f, s->moves[i].to);
		fprintf(f, "} %.17g\n", s->moves[i].mean);
	}
}

static void
metrics_collector(const struct agent_status_snapshot *s, FILE *f)
{
	const struct logship_status *ls = &s->collector_status;

	if (!s->has_collector)
		return;
	m_head(f, "vmmanage_collector_connected", "gauge", "1 while the collector answers.");
	m_value(f, "vmmanage_collector_connected", ls->connected);
	m_head(f, "vmmanage_spool_messages", "gauge", "Messages in the spool not yet acknowledged by the collector.");
	m_value(f, "vmmanage_spool_messages", (double)ls->spooled);
	m_head(f, "vmmanage_spool_bytes", "gauge", "Bytes in the spool.");
	m_value(f, "vmmanage_spool_bytes", (double)ls->spool_bytes);
	m_head(f, "vmmanage_spool_dropped_total", "counter", "Messages dropped because the spool was full.");
	m_value(f, "vmmanage_spool_dropped_total", (double)ls->dropped);
	m_head(f, "vmmanage_collector_failovers_total", "counter", "Times the agent went on to the next collector.");
	m_value(f, "vmmanage_collector_failovers_total", (double)ls->failovers);
}

void
agent_metrics_render(const struct agent_status_snapshot *s, FILE *f)
{
	m_head(f, "vmmanage_info", "gauge", "The agent's VM and modules; always 1.");
	fputs("vmmanage_info{vm=", f);
	m_label(f, s->host);
	fputs(",policy=", f);
	m_label(f, s->policy);
	fputs(",sensor=", f);
	m_label(f, s->sensor);
	fputs(",endpoint=", f);
	m_label(f, s->endpoint);
	fputs(",version=", f);
	m_label(f, PACKAGE_VERSION);
	fputs("} 1\n", f);
	metrics_sensor(s, f);
	metrics_requests(s, f);
	metrics_damping(s, f);
	metrics_hosts(s, f);
	metrics_collector(s, f);
}

/* The file under a temporary name in its directory (O_EXCL|O_NOFOLLOW: nothing another
 * user put there is written to), renamed over the old one. 0, or -1 with errno. */
static int
metrics_replace(const char *path, const struct agent_status_snapshot *s)
{
	char tmp[4096];
	int fd, n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp); /* a stale one of an earlier agent with this pid: the name, not a target */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return -1;
	/* node_exporter runs as its own user: readable whatever the agent's umask */
	FILE *f = fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	agent_metrics_render(s, f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

void
agent_metrics_write(struct agent *a)
{
	const char *path = a->su->set.metrics_file;
	struct agent_status_snapshot s;
	char msg[256];

	if (path == NULL)
		return;
	if (agent_status_take(a, &s) < 0 || metrics_replace(path, &s) < 0) {
		snprintf(msg, sizeof(msg), "Cannot write metrics_file %s: %s", path, strerror(errno));
		agent_episode(a, &a->logging.ep_metrics, "metrics", msg);
	} else
		agent_episode_end(a, &a->logging.ep_metrics);
	agent_status_snapshot_free(&s);
}
