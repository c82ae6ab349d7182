/* SPDX-License-Identifier: ISC */
/* state_dir/hosts: what the agent learned of each host, kept across restarts. One line
 * per host, per pair of hosts and per quarter hour of the base remembered, tab-separated;
 * a damaged line costs that line only. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "core/hosts.h"
#include "core/state.h"

/* Host names come from the config; one with a tab or newline would forge a field. */
static int
hosts_name_ok(const char *s)
{
	return *s != '\0' && strpbrk(s, "\t\r\n") == NULL;
}

static int
hosts_write(FILE *f, const void *arg)
{
	const struct host_table *t = arg;

	fprintf(f, "# vmmanage: what was learned of each host; rewritten by the agent\n");
	for (size_t i = 0; i < t->nhosts; i++) {
		const struct host_info *h = &t->hosts[i];
		if (hosts_name_ok(h->name))
			fprintf(f, "host\t%s\t%.17g\t%.17g\t%.3f\t%.3f\t%d\t%.3f\n", h->name, h->mean,
			    h->weight, h->seconds, h->last_seen, h->failures, h->retry_at);
	}
	for (size_t i = 0; i < t->npairs; i++) {
		const struct move_time *m = &t->pairs[i];
		if (hosts_name_ok(m->from) && hosts_name_ok(m->to))
			fprintf(f, "move\t%s\t%s\t%" PRIu64 "\t%.17g\t%.17g\n", m->from, m->to,
			    m->count, m->mean, m->last);
	}
	for (int i = 0; t->day != NULL && hosts_name_ok(t->day->host) && i < HOSTDAY_SLOTS; i++) {
		char before[32] = "-";
		if (!isnan(t->day->before[i]))
			snprintf(before, sizeof(before), "%.17g", t->day->before[i]);
		if (t->day->when[i] > 0)
			fprintf(f, "day\t%s\t%d\t%.3f\t%.17g\t%s\n", t->day->host, i,
			    t->day->when[i], t->day->worst[i], before);
	}
	return ferror(f) ? -1 : 0;
}

int
hosts_save(const struct host_table *t, const char *dir, char *err, size_t len)
{
	return state_replace(dir, "hosts", hosts_write, t, err, len);
}

/* Splits line at tabs into at most max fields; returns how many. */
static size_t
hosts_fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line; n < max; ) {
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static int
hosts_number(const char *s, double *out)
{
	return vmm_parse_double(s, out);
}

static int
hosts_parse_host(struct host_table *t, char **f, size_t n)
{
	double v[6];

	if (n != 8 || !hosts_name_ok(f[1]) || strlen(f[1]) >= sizeof(t->hosts->name))
		return -1;
	for (size_t i = 0; i < 6; i++)
		if (hosts_number(f[2 + i], &v[i]) < 0)
			return -1;
	if (v[1] < 0 || v[2] < 0 || v[4] < 0 || v[4] > 1e6)
		return -1;
	struct host_info *h = hosts_get(t, f[1]);
	if (h == NULL)
		return -1;
	h->mean = v[0], h->weight = v[1], h->seconds = v[2], h->last_seen = v[3];
	h->failures = (int)v[4], h->retry_at = v[5];
	return 0;
}

static int
hosts_parse_move(struct host_table *t, char **f, size_t n)
{
	double count, mean, last;

	if (n != 6 || !hosts_name_ok(f[1]) || !hosts_name_ok(f[2]) ||
	    strlen(f[1]) >= sizeof(t->pairs->from) || strlen(f[2]) >= sizeof(t->pairs->to) ||
	    hosts_number(f[3], &count) < 0 || hosts_number(f[4], &mean) < 0 ||
	    hosts_number(f[5], &last) < 0 || count < 1 || count > 1e15 || mean < 0 || last < 0)
		return -1;
	struct move_time *m = hosts_move_time(t, f[1], f[2], last);
	if (m == NULL)
		return -1;
	m->count = (uint64_t)count;
	m->mean = mean;
	return 0;
}

/* A quarter hour of the base (hostday.h): day, host, slot, when, worst, the day before's
 * ("-": none). */
static int
hosts_parse_day(struct host_table *t, char **f, size_t n)
{
	double slot, when, worst, before = NAN;

	if (n != 6 || !hosts_name_ok(f[1]) || hosts_number(f[2], &slot) < 0 ||
	    hosts_number(f[3], &when) < 0 || hosts_number(f[4], &worst) < 0 ||
	    (strcmp(f[5], "-") != 0 && hosts_number(f[5], &before) < 0) ||
	    slot != floor(slot) || !(slot >= 0 && slot < HOSTDAY_SLOTS))
		return -1;
	return hostday_set(&t->day, f[1], (int)slot, when, worst, before);
}

/* One line of the file; -1 when it is damaged. */
int
hosts_parse_line(struct host_table *t, char *line)
{
	char *f[9];

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	size_t n = hosts_fields(line, f, 9);
	if (strcmp(f[0], "host") == 0)
		return hosts_parse_host(t, f, n);
	if (strcmp(f[0], "move") == 0)
		return hosts_parse_move(t, f, n);
	if (strcmp(f[0], "day") == 0)
		return hosts_parse_day(t, f, n);
	return -1;
}

int
hosts_load(struct host_table *t, const char *dir, size_t *skipped, char *err, size_t len)
{
	char path[4096], line[1024];
	FILE *f;

	*skipped = 0;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (hosts_parse_line(t, line) < 0)
			(*skipped)++;
	fclose(f);
	return 0;
}
