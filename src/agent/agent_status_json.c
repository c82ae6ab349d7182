/* SPDX-License-Identifier: ISC */
/* `vmmanage status --json`: the status snapshot as one JSON object. The field names are
 * a stable interface (vmmanage(8), JSON STATUS): add fields, never rename one. What is
 * not known is null, never 0. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent_status.h"
#include "common/strutil.h"

static void
j_num(FILE *f, const char *key, double v)
{
	fprintf(f, ",\"%s\":", key);
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

static void
j_u64(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

static void
j_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (s != NULL && *s)
		vmm_json_put(f, s);
	else
		fputs("null", f);
}

static void
j_bool(FILE *f, const char *key, int b)
{
	fprintf(f, ",\"%s\":%s", key, b ? "true" : "false");
}

static void
json_sensor(const struct agent_status_snapshot *s, FILE *f)
{
	const struct vmm_policy_counters *c = &s->counters;

	fputs(",\"samples\":[", f);
	for (size_t i = 0; i < s->nsamples; i++) {
		if (i > 0)
			fputc(',', f);
		if (s->samples[i].known && isfinite(s->samples[i].value))
			fprintf(f, "%.17g", s->samples[i].value);
		else
			fputs("null", f);
	}
	fputc(']', f);
	j_bool(f, "sensor_unknown", s->sensor_unknown);
	j_str(f, "sensor_why", s->sensor_unknown ? s->sensor_why : NULL);
	j_u64(f, "samples_total", s->nsampled);
	j_u64(f, "unknown_total", s->nunknown);
	j_u64(f, "overruns", s->overruns);
	fprintf(f, ",\"counters\":{\"count\":%" PRId64, c->count);
	j_num(f, "threshold", c->threshold);
	if (c->has_low) {
		fprintf(f, ",\"lowcount\":%" PRId64, c->lowcount);
		j_num(f, "lowthreshold", c->lowthreshold);
	}
	j_bool(f, "resting", c->resting);
	fputc('}', f);
}

static void
json_requests(const struct agent_status_snapshot *s, FILE *f)
{
	j_str(f, "location", s->location);
	j_bool(f, "location_confirmed", s->location_confirmed);
	fputs(",\"last_request\":", f);
	if (s->last_action[0] == '\0')
		fputs("null", f);
	else {
		fputs("{\"action\":", f);
		vmm_json_put(f, s->last_action);
		j_str(f, "target", s->last_target);
		fprintf(f, ",\"time\":%" PRId64, s->last_request_time);
		j_str(f, "outcome", s->last_outcome);
		j_num(f, "duration", s->last_duration > 0 ? s->last_duration : NAN);
		j_str(f, "detail", s->last_detail);
		fputc('}', f);
	}
	fprintf(f, ",\"requests\":{\"total\":%" PRIu64, s->requests);
	j_u64(f, "confirmed", s->confirmed);
	j_u64(f, "unconfirmed", s->unconfirmed);
	j_u64(f, "refused", s->refused);
	j_u64(f, "failed", s->failed);
	j_u64(f, "suppressed", s->suppressed);
	j_u64(f, "last_hour", s->requests_last_hour);
	fprintf(f, ",\"max_per_hour\":%lld", s->max_per_hour);
	j_num(f, "cooldown", s->cooldown);
	fputc('}', f);
	j_str(f, "in_flight", s->in_flight ? s->in_flight_target : NULL);
}

static void
json_damping(const struct agent_status_snapshot *s, FILE *f)
{
	j_str(f, "mode", damper_mode_name(s->mode));
	j_num(f, "warming", s->warming);
	j_str(f, "staying", s->staying ? s->staying_why : NULL);
	j_str(f, "breaker", s->tripped ? s->breaker_why : NULL);
	fputs(",\"recommendation\":", f);
	if (s->recommended[0]) {
		fputs("{\"what\":", f);
		vmm_json_put(f, s->recommended);
		fprintf(f, ",\"time\":%" PRId64 "}", s->recommended_at);
	} else
		fputs("null", f);
	fprintf(f, ",\"efficacy\":{\"measured\":%" PRIu64, s->measured);
	j_num(f, "mean_gain", s->measured ? s->mean_gain : NAN);
	fputs(",\"recent\":[", f);
	for (size_t i = 0; i < s->nefficacy; i++) {
		const struct efficacy_result *e = &s->efficacy[i];
		fputs(i ? ",{\"from\":" : "{\"from\":", f);
		vmm_json_put(f, e->from);
		j_str(f, "to", e->to);
		j_num(f, "before", e->before);
		j_num(f, "after", e->after);
		j_num(f, "gain", e->gain);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void
json_hosts(const struct agent_status_snapshot *s, FILE *f)
{
	j_str(f, "target_choice", s->round_robin ? "round_robin" : "learned");
	fputs(",\"hosts\":[", f);
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct agent_status_host *h = &s->hosts[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		vmm_json_put(f, h->name);
		j_num(f, "mean", h->learned ? h->mean : NAN);
		j_num(f, "hours", h->learned ? h->hours : NAN);
		j_num(f, "seen_ago", h->learned ? h->ago : NAN);
		j_num(f, "cpu_idle", h->has_cpu ? h->cpu_idle : NAN);
		j_num(f, "free_memory", h->has_memory ? (double)h->free_memory : NAN);
		j_bool(f, "available", h->available);
		j_str(f, "why", h->available ? NULL : h->why);
		fputc('}', f);
	}
	fputs("],\"move_times\":[", f);
	for (size_t i = 0; i < s->nmoves; i++) {
		const struct move_time *m = &s->moves[i];
		fputs(i ? ",{\"from\":" : "{\"from\":", f);
		vmm_json_put(f, m->from);
		j_str(f, "to", m->to);
		j_num(f, "mean", m->mean);
		j_u64(f, "count", m->count);
		j_num(f, "last", m->last);
		fputc('}', f);
	}
	fputs("],\"base_day\":[", f);
	for (size_t i = 0; i < s->nbase_day; i++) {
		const struct agent_status_slot *b = &s->base_day[i];
		char at[8];
		snprintf(at, sizeof(at), "%02d:%02d", b->minute / 60, b->minute % 60);
		fputs(i ? ",{\"at\":" : "{\"at\":", f);
		vmm_json_put(f, at);
		j_num(f, "worst", b->worst);
		j_num(f, "before", b->before);
		j_num(f, "seen_ago", b->ago);
		fputc('}', f);
	}
	fputc(']', f);
}

static void
json_collector(const struct agent_status_snapshot *s, FILE *f)
{
	const struct logship_status *ls = &s->collector_status;

	fputs(",\"collector\":", f);
	if (!s->has_collector) {
		fputs("null", f);
		return;
	}
	fputs("{\"address\":", f);
	vmm_json_put(f, ls->current);
	j_u64(f, "failovers", ls->failovers);
	j_bool(f, "connected", ls->connected);
	j_str(f, "last_error", ls->last_error);
	j_u64(f, "spooled", ls->spooled);
	j_u64(f, "spool_bytes", ls->spool_bytes);
	j_u64(f, "dropped", ls->dropped);
	j_u64(f, "next_seq", ls->next_seq);
	j_u64(f, "acked_seq", ls->acked_seq);
	fputc('}', f);
}

void
agent_status_render_json(const struct agent_status_snapshot *s, FILE *f)
{
	fputs("{\"host\":", f);
	vmm_json_put(f, s->host);
	j_str(f, "policy", s->policy);
	j_str(f, "sensor", s->sensor);
	j_str(f, "direction", s->direction == VMM_HIGHER_IS_WORSE ? "higher_is_worse" : "lower_is_worse");
	j_str(f, "endpoint", s->endpoint);
	j_num(f, "interval", s->interval);
	json_sensor(s, f);
	json_requests(s, f);
	json_damping(s, f);
	json_hosts(s, f);
	json_collector(s, f);
	fputs("}\n", f);
}
