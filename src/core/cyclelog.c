/* SPDX-License-Identifier: ISC */
/* The local log an administrator tunes thresholds with: the thesis's block per cycle,
 * plus a JSON line per cycle and per event for programs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strutil.h"
#include "core/cyclelog.h"
#include "core/journal.h"

static FILE *
cyclelog_fopen(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* line buffered: a block is complete on disk when its cycle ends */
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static char *
cyclelog_json_path(const char *log_path)
{
	size_t n = strlen(log_path);
	char *p = malloc(n + 6);

	if (p == NULL)
		return NULL;
	if (n > 4 && strcmp(log_path + n - 4, ".log") == 0)
		sprintf(p, "%.*s.json", (int)(n - 4), log_path);
	else
		sprintf(p, "%s.json", log_path);
	return p;
}

int
cyclelog_open(struct cyclelog *cl, const char *log_path, const char *json_path, char *err,
    size_t errlen)
{
	memset(cl, 0, sizeof(*cl));
	cl->log_path = strdup(log_path);
	cl->json_path = json_path ? strdup(json_path) : cyclelog_json_path(log_path);
	if (cl->log_path == NULL || cl->json_path == NULL) {
		snprintf(err, errlen, "out of memory");
		cyclelog_close(cl);
		return -1;
	}
	return cyclelog_reopen(cl, err, errlen);
}

int
cyclelog_reopen(struct cyclelog *cl, char *err, size_t errlen)
{
	FILE *log = cyclelog_fopen(cl->log_path, err, errlen), *json = NULL;

	if (log == NULL)
		return -1;
	if (cl->json_path[0] != '\0' && (json = cyclelog_fopen(cl->json_path, err, errlen)) == NULL) {
		fclose(log);
		return -1;
	}
	if (cl->log)
		fclose(cl->log);
	if (cl->json)
		fclose(cl->json);
	cl->log = log;
	cl->json = json;
	return 0;
}

void
cyclelog_close(struct cyclelog *cl)
{
	if (cl->log)
		fclose(cl->log);
	if (cl->json)
		fclose(cl->json);
	free(cl->log_path);
	free(cl->json_path);
	memset(cl, 0, sizeof(*cl));
}

static void
cyclelog_number(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

static void
cyclelog_block(FILE *f, const struct cycle_record *r)
{
	char date[64], label[64];
	const struct vmm_policy_counters *c = r->counters;

	journal_date(r->sample.time, date, sizeof(date));
	snprintf(label, sizeof(label), "%s:", r->label);
	fprintf(f, "%-16s", label);
	if (r->sample.known)
		cyclelog_number(f, r->sample.value);
	else
		fprintf(f, "unknown (%s)", r->reading && r->reading->why[0] ? r->reading->why : "no reading");
	fprintf(f, "\n%-16s%s\n%-16s%" PRId64 "\n%-16s", "time:", date, "count:", c->count, "threshold:");
	cyclelog_number(f, c->threshold);
	fputc('\n', f);
	if (c->has_low) {
		fprintf(f, "%-16s%" PRId64 "\n%-16s", "lowcount:", c->lowcount, "lowthreshold:");
		cyclelog_number(f, c->lowthreshold);
		fputc('\n', f);
	}
	if (c->resting)
		fprintf(f, "%-16s%s\n", "resting:", "yes");
	fputs("**-----**\n", f);
}

static void
cyclelog_json_cycle(FILE *f, const struct cycle_record *r)
{
	const struct vmm_policy_counters *c = r->counters;

	fprintf(f, "{\"type\":\"cycle\",\"time\":%" PRId64 ",\"host\":", r->sample.time);
	vmm_json_put(f, r->host);
	fputs(",\"sensor\":", f);
	vmm_json_put(f, r->sensor);
	fputs(",\"value\":", f);
	if (r->sample.known)
		cyclelog_number(f, r->sample.value);
	else
		fputs("null", f);
	if (!r->sample.known) {
		fputs(",\"why\":", f);
		vmm_json_put(f, r->reading ? r->reading->why : "");
	}
	for (size_t i = 0; r->reading && i < r->reading->nextra; i++) {
		fputc(',', f);
		vmm_json_put(f, r->reading->extra[i].key);
		fputc(':', f);
		cyclelog_number(f, r->reading->extra[i].value);
	}
	fprintf(f, ",\"count\":%" PRId64 ",\"threshold\":", c->count);
	cyclelog_number(f, c->threshold);
	if (c->has_low) {
		fprintf(f, ",\"lowcount\":%" PRId64 ",\"lowthreshold\":", c->lowcount);
		cyclelog_number(f, c->lowthreshold);
	}
	fprintf(f, ",\"resting\":%s,\"action\":\"%s\"", c->resting ? "true" : "false",
	    vmm_action_name(r->action));
	if (r->reason && *r->reason) {
		fputs(",\"reason\":", f);
		vmm_json_put(f, r->reason);
	}
	fputs(",\"location\":", f);
	vmm_json_put(f, r->location ? r->location : "");
	fputs("}\n", f);
}

void
cyclelog_cycle(struct cyclelog *cl, const struct cycle_record *r)
{
	if (cl->log)
		cyclelog_block(cl->log, r);
	if (cl->json)
		cyclelog_json_cycle(cl->json, r);
}

void
cyclelog_event(struct cyclelog *cl, int64_t when, const char *host, const char *kind,
    const char *msg)
{
	char line[JOURNAL_LINE];

	if (cl->log) {
		journal_line(line, sizeof(line), when, host, msg);
		fprintf(cl->log, "%s\n", line);
	}
	if (cl->json)
		journal_put_json(cl->json, when, host, kind, msg);
}
