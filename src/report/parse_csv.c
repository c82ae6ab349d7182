/* SPDX-License-Identifier: ISC */
/* vmmanage-report: the simulator's events.csv. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/parse.h"
#include "core/spannum.h"

static const char *const csv_names[CSV__N] = { "time", "mode", "vm", "event", "action", "from",
	"to", "value", "count", "threshold", "lowcount", "lowthreshold", "detail" };

struct csv_row {
	const char *f[CSV__N + 4];
	size_t n[CSV__N + 4];
	size_t count;
	char buf[4096];
};

/* Split, with "" quoting; fields past the buffer are cut. 0, or -1 on an open quote. */
static int
csv_split(const char *line, size_t len, struct csv_row *r)
{
	size_t used = 0, i = 0;

	r->count = 0;
	while (r->count < CSV__N + 4) {
		size_t start = used;
		if (i < len && line[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return -1;
				if (line[i] == '"') {
					if (i + 1 < len && line[i + 1] == '"')
						i++;
					else {
						i++;
						break;
					}
				}
				if (used + 1 < sizeof(r->buf))
					r->buf[used++] = line[i];
			}
		} else
			for (; i < len && line[i] != ','; i++)
				if (used + 1 < sizeof(r->buf))
					r->buf[used++] = line[i];
		r->f[r->count] = r->buf + start;
		r->n[r->count++] = used - start;
		if (i >= len)
			return 0;
		if (line[i] != ',')
			return -1;
		i++;
	}
	return 0;
}

int
csv_header(struct report_parser *p, const char *line, size_t len)
{
	struct csv_row *r = malloc(sizeof(*r));
	int found = 0;

	if (r == NULL || csv_split(line, len, r) < 0) {
		free(r);
		return -1;
	}
	for (int k = 0; k < CSV__N; k++) {
		p->csv_col[k] = -1;
		for (size_t i = 0; i < r->count; i++)
			if (r->n[i] == strlen(csv_names[k]) && memcmp(r->f[i], csv_names[k], r->n[i]) == 0)
				p->csv_col[k] = (int)i;
	}
	found = p->csv_col[CSV_TIME] >= 0 && p->csv_col[CSV_VM] >= 0 && p->csv_col[CSV_EVENT] >= 0;
	p->csv_header = found ? 1 : -1; /* another of the simulator's tables: not events */
	free(r);
	return 0;
}

static int
csv_get(const struct report_parser *p, const struct csv_row *r, enum csv_field k,
    const char **s, size_t *n)
{
	int i = p->csv_col[k];

	if (i < 0 || (size_t)i >= r->count) {
		*s = "";
		*n = 0;
		return 0;
	}
	*s = r->f[i];
	*n = r->n[i];
	return *n > 0;
}

static double
csv_num(const struct report_parser *p, const struct csv_row *r, enum csv_field k)
{
	const char *s;
	size_t n;
	double d;

	return csv_get(p, r, k, &s, &n) && span_number(s, n, &d) == 0 ? d : NAN;
}

static enum rec_kind
csv_kind(const char *e, size_t n)
{
	static const struct { const char *name; enum rec_kind kind; } map[] = {
		{ "request", REC_REQUEST }, { "confirmed", REC_CONFIRMED }, { "moved", REC_CONFIRMED },
		{ "failed", REC_FAILED }, { "cycle", REC_CYCLE }, { "suppressed", REC_SUPPRESSED },
		{ "start", REC_START }, { "unconfirmed", REC_UNCONFIRMED },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (n == strlen(map[i].name) && memcmp(e, map[i].name, n) == 0)
			return map[i].kind;
	return REC_OTHER;
}

int
parse_csv(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	struct csv_row *r;
	const char *s, *mode;
	size_t n, mn;
	int rc = -1;

	if (p->csv_header < 0 || (r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (csv_split(line, len, r) < 0 || !csv_get(p, r, CSV_VM, &s, &n))
		goto done;
	rec_clear(out);
	out->time = csv_num(p, r, CSV_TIME);
	if (isnan(out->time))
		goto done;
	char vm[REPORT_NAME], md[17];
	copy_name(vm, sizeof(vm), s, n);
	if (csv_get(p, r, CSV_MODE, &mode, &mn)) {
		copy_name(md, sizeof(md), mode, mn);
		snprintf(out->vm, sizeof(out->vm), "%s/%s", md, vm);
	} else
		snprintf(out->vm, sizeof(out->vm), "%s", vm);
	csv_get(p, r, CSV_EVENT, &s, &n);
	out->kind = csv_kind(s, n);
	if (csv_get(p, r, CSV_ACTION, &s, &n))
		copy_name(out->action, sizeof(out->action), s, n);
	/* a cycle says where the VM is in `from`; a request or outcome where it goes in `to` */
	if (csv_get(p, r, out->kind == REC_CYCLE ? CSV_FROM : CSV_TO, &s, &n))
		copy_name(out->target, sizeof(out->target), s, n);
	out->value = csv_num(p, r, CSV_VALUE);
	out->threshold = csv_num(p, r, CSV_THRESHOLD);
	out->lowthreshold = csv_num(p, r, CSV_LOWTHRESHOLD);
	if (out->kind == REC_CONFIRMED && csv_get(p, r, CSV_DETAIL, &s, &n)) {
		double d;
		size_t k = token_len(s, n);
		if (span_number(s, k, &d) == 0 && d >= 0)
			out->duration = d;
	}
	p->last_format = FMT_SIM_CSV;
	rc = 1;
done:
	free(r);
	return rc;
}
