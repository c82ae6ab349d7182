/* Reading what vmmanage and the thesis's scripts logged, a line at a time and without
 * trusting it: the collector's thesis format and JSON lines, the agent's JSON log and its
 * cycle blocks (thesis Listings 4.2/4.3), and the simulator's events.csv. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "report/report.h"
#include "spannum.h"

enum csv_field { CSV_TIME = 0, CSV_MODE, CSV_VM, CSV_EVENT, CSV_ACTION, CSV_FROM, CSV_TO,
	CSV_VALUE, CSV_COUNT, CSV_THRESHOLD, CSV_LOWCOUNT, CSV_LOWTHRESHOLD, CSV_DETAIL, CSV__N };

static const char *const csv_names[CSV__N] = { "time", "mode", "vm", "event", "action", "from",
	"to", "value", "count", "threshold", "lowcount", "lowthreshold", "detail" };

const char *
report_format_name(enum report_format f)
{
	static const char *const names[] = { "unknown", "thesis/collector", "collector JSON",
		"agent JSON", "simulator CSV", "cycle blocks" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

void
report_parser_init(struct report_parser *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < CSV__N; i++)
		p->csv_col[i] = i; /* without a header: the simulator's own order */
	snprintf(p->last_vm, sizeof(p->last_vm), "local");
}

static void
rec_clear(struct report_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->duration = r->value = r->threshold = r->lowthreshold = r->before = r->after = NAN;
}

/* Copy at most len bytes, printable ASCII or UTF-8 only: names end up in tables and
 * in gnuplot's scripts. */
static void
copy_name(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'')
			c = '_';
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
}

static int
starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}



/* ---- messages ---- */

/* "nii3.2.mln" (the thesis's project file for host 2) is host "2"; "nii3..mln" the base. */
static void
message_target(const char *vm, const char *s, size_t len, char *out, size_t cap)
{
	size_t vl = strlen(vm);

	if (len > 4 && memcmp(s + len - 4, ".mln", 4) == 0) {
		len -= 4;
		if (len > vl && memcmp(s, vm, vl) == 0 && s[vl] == '.')
			s += vl + 1, len -= vl + 1;
		if (len == 0) {
			snprintf(out, cap, "base");
			return;
		}
	}
	copy_name(out, cap, s, len);
}

static size_t
token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && !isspace((unsigned char)s[n]))
		n++;
	return n;
}

/* The journal's kinds the report counts. */
static enum rec_kind
message_kind(enum journal_kind k)
{
	switch (k) {
	case JOURNAL_REQUEST: return REC_REQUEST;
	case JOURNAL_CONFIRMED: return REC_CONFIRMED;
	case JOURNAL_FAILED: return REC_FAILED;
	case JOURNAL_UNCONFIRMED: return REC_UNCONFIRMED;
	case JOURNAL_START: case JOURNAL_SIM_START: return REC_START;
	case JOURNAL_SUPPRESSED: return REC_SUPPRESSED;
	case JOURNAL_EFFICACY: return REC_EFFICACY;
	case JOURNAL_CYCLE: return REC_CYCLE;
	case JOURNAL_LOCATION: return REC_LOCATION;
	default: return REC_OTHER;
	}
}

void
report_parse_message(const char *vm, const char *msg, size_t len, struct report_rec *out)
{
	struct journal_parsed j;

	journal_parse(msg, len, &j);
	out->kind = message_kind(j.kind);
	switch (out->kind) {
	case REC_REQUEST:
		snprintf(out->action, sizeof(out->action), "%s", vmm_action_name(j.action));
		/* FALLTHROUGH */
	case REC_CONFIRMED:
	case REC_FAILED:
	case REC_UNCONFIRMED:
	case REC_EFFICACY:
		message_target(vm, j.target.p, j.target.n, out->target, sizeof(out->target));
		break;
	case REC_START:
	case REC_LOCATION:
		copy_name(out->target, sizeof(out->target), j.target.p, j.target.n);
		break;
	case REC_CYCLE:
		out->value = j.value;
		out->threshold = j.threshold;
		out->lowthreshold = j.lowthreshold;
		copy_name(out->action, sizeof(out->action), j.action_name.p, j.action_name.n);
		copy_name(out->target, sizeof(out->target), j.target.p, j.target.n);
		break;
	default:
		break;
	}
	if (out->kind == REC_CONFIRMED)
		out->duration = j.seconds;
	if (out->kind == REC_EFFICACY) {
		out->before = j.before;
		out->after = j.after;
		out->value = j.value;
	}
}

/* ---- the thesis's line: EPOCH [DATE] host: message ---- */

static int
is_clock(const char *s, size_t n)
{
	return n == 8 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':' &&
	    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) && s[5] == ':' &&
	    isdigit((unsigned char)s[6]) && isdigit((unsigned char)s[7]);
}

static int
is_year(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n == 4;
}

/* Past date(1)'s "Wed May  6 14:44:23 CEST 2009 ": where host starts, or p when there is
 * no date. */
static const char *
skip_date(const char *p, const char *end)
{
	const char *q = p;
	int seen_clock = 0;

	for (int tok = 0; tok < 8 && q < end; tok++) {
		while (q < end && *q == ' ')
			q++;
		size_t n = token_len(q, (size_t)(end - q));
		if (n == 0)
			break;
		if (is_clock(q, n))
			seen_clock = 1;
		else if (seen_clock && is_year(q, n))
			return q + n;
		q += n;
	}
	return p;
}

static int
parse_thesis(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	const char *end = line + len, *q = line;
	double t;

	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (span_number(line, (size_t)(q - line), &t) < 0)
		return -1;
	q = skip_date(q, end);
	while (q < end && *q == ' ')
		q++;
	const char *colon = memchr(q, ':', (size_t)(end - q));
	if (colon == NULL || colon == q || colon + 1 >= end || colon[1] != ' ' ||
	    memchr(q, ' ', (size_t)(colon - q)) != NULL)
		return -1; /* no "host: " (a truncated line) */
	rec_clear(out);
	out->time = t;
	copy_name(out->vm, sizeof(out->vm), q, (size_t)(colon - q));
	snprintf(p->last_vm, sizeof(p->last_vm), "%s", out->vm);
	report_parse_message(out->vm, colon + 2, (size_t)(end - colon - 2), out);
	p->last_format = FMT_THESIS;
	return 1;
}

/* ---- JSON objects, flat: what the collector and the agent write ---- */

enum jtype { J_NONE, J_STR, J_NUM, J_BOOL, J_NULL, J_OTHER };

struct jval {
	enum jtype type;
	char s[1024];
	size_t slen;
	double n;
};

static const char *
json_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static int
json_hex4(const char *p, const char *end, unsigned *out)
{
	*out = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = p[i], v = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
		    (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		*out = *out * 16 + (unsigned)v;
	}
	return 0;
}

static void
json_put(struct jval *v, char c)
{
	if (v->slen + 1 < sizeof(v->s))
		v->s[v->slen++] = c;
}

/* A string at p (after its quote); returns the end, or NULL when unterminated. */
static const char *
json_string(const char *p, const char *end, struct jval *v)
{
	v->slen = 0;
	while (p < end && *p != '"') {
		if (*p != '\\') {
			json_put(v, *p++);
			continue;
		}
		if (++p >= end)
			return NULL;
		char c = *p++;
		unsigned u;
		switch (c) {
		case 'n': json_put(v, '\n'); break;
		case 't': json_put(v, '\t'); break;
		case 'r': json_put(v, '\r'); break;
		case 'b': case 'f': json_put(v, ' '); break;
		case 'u':
			if (json_hex4(p, end, &u) < 0)
				return NULL;
			p += 4;
			json_put(v, u >= 0x20 && u < 0x7f ? (char)u : '?');
			break;
		default: json_put(v, c);
		}
	}
	if (p >= end)
		return NULL;
	v->s[v->slen] = '\0';
	return p + 1;
}

/* Skip a nested value (object or array), strings included. */
static const char *
json_skip(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
		} else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

static const char *
json_value(const char *p, const char *end, struct jval *v)
{
	v->type = J_OTHER;
	if (p >= end)
		return NULL;
	if (*p == '"') {
		v->type = J_STR;
		return json_string(p + 1, end, v);
	}
	if (*p == '{' || *p == '[')
		return json_skip(p, end);
	const char *q = p;
	while (q < end && *q != ',' && *q != '}' && !isspace((unsigned char)*q))
		q++;
	if (q - p == 4 && memcmp(p, "true", 4) == 0)
		v->type = J_BOOL, v->n = 1;
	else if (q - p == 5 && memcmp(p, "false", 5) == 0)
		v->type = J_BOOL, v->n = 0;
	else if (q - p == 4 && memcmp(p, "null", 4) == 0)
		v->type = J_NULL;
	else if (span_number(p, (size_t)(q - p), &v->n) == 0)
		v->type = J_NUM;
	else
		return NULL;
	return q;
}

struct jobj {
	struct jval epoch, time, host, msg, type, value, threshold, lowthreshold, action, location,
	    message;
};

static struct jval *
jobj_slot(struct jobj *o, const char *key)
{
	static const char *const names[] = { "epoch", "time", "host", "msg", "type", "value",
		"threshold", "lowthreshold", "action", "location", "message" };
	struct jval *slots[] = { &o->epoch, &o->time, &o->host, &o->msg, &o->type, &o->value,
		&o->threshold, &o->lowthreshold, &o->action, &o->location, &o->message };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return slots[i];
	return NULL;
}

static int
json_object(const char *line, size_t len, struct jobj *o)
{
	const char *p = line, *end = line + len;
	struct jval key, scratch;

	memset(o, 0, sizeof(*o));
	p = json_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		p = json_ws(p, end);
		if (p < end && *p == '}')
			return 0;
		if (p >= end || *p != '"' || (p = json_string(p + 1, end, &key)) == NULL)
			return -1;
		p = json_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		struct jval *slot = jobj_slot(o, key.s);
		if ((p = json_value(json_ws(p, end), end, slot ? slot : &scratch)) == NULL)
			return -1;
		p = json_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return 0;
		return -1;
	}
}

static double
jnum(const struct jval *v)
{
	return v->type == J_NUM ? v->n : NAN;
}

static int
parse_json(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	struct jobj *o = malloc(sizeof(*o));
	int rc = -1;

	if (o == NULL || json_object(line, len, o) < 0 || o->host.type != J_STR)
		goto done;
	rec_clear(out);
	copy_name(out->vm, sizeof(out->vm), o->host.s, o->host.slen);
	if (o->epoch.type == J_NUM && o->msg.type == J_STR) {
		out->time = o->epoch.n;
		report_parse_message(out->vm, o->msg.s, o->msg.slen, out);
		p->last_format = FMT_COLLECTOR_JSON;
		rc = 1;
	} else if (o->time.type == J_NUM && o->type.type == J_STR && strcmp(o->type.s, "cycle") == 0) {
		out->time = o->time.n;
		out->kind = REC_CYCLE;
		out->value = jnum(&o->value);
		out->threshold = jnum(&o->threshold);
		out->lowthreshold = jnum(&o->lowthreshold);
		if (o->location.type == J_STR)
			copy_name(out->target, sizeof(out->target), o->location.s, o->location.slen);
		if (o->action.type == J_STR)
			copy_name(out->action, sizeof(out->action), o->action.s, o->action.slen);
		p->last_format = FMT_AGENT_JSON;
		rc = 1;
	} else if (o->time.type == J_NUM && o->message.type == J_STR) {
		out->time = o->time.n;
		report_parse_message(out->vm, o->message.s, o->message.slen, out);
		p->last_format = FMT_AGENT_JSON;
		rc = 1;
	}
	if (rc == 1)
		snprintf(p->last_vm, sizeof(p->last_vm), "%s", out->vm);
done:
	free(o);
	return rc;
}

/* ---- the simulator's events.csv ---- */

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

static int
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

static int
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

/* ---- the agent's cycle block (thesis Listings 4.2 and 4.3) ---- */

static int
block_time(const char *s, size_t len, double *out)
{
	char buf[96];
	struct tm tm;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(buf, "%a %b %d %H:%M:%S", &tm);
	if (rest == NULL)
		return -1;
	/* the zone's name says nothing strptime can use: local time, then the year */
	const char *year = strrchr(buf, ' ');
	if (year == NULL || !is_year(year + 1, strlen(year + 1)))
		return -1;
	tm.tm_year = atoi(year + 1) - 1900;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)t;
	return 0;
}

static int
parse_block(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	const char *colon = memchr(line, ':', len);
	double d;

	if (colon == NULL || colon == line)
		return -1;
	size_t kl = (size_t)(colon - line);
	const char *v = colon + 1;
	size_t vl = len - kl - 1;
	while (vl > 0 && isspace((unsigned char)*v))
		v++, vl--;
	for (size_t i = 0; i < kl; i++)
		if (!isalpha((unsigned char)line[i]) && line[i] != ' ' && line[i] != '_')
			return -1;
	struct report_rec *b = &p->block;
	if (kl == 4 && memcmp(line, "time", 4) == 0)
		return p->in_block && block_time(v, vl, &b->time) == 0 ? 0 : -1;
	if (kl == 9 && memcmp(line, "threshold", 9) == 0)
		return p->in_block && span_number(v, vl, &b->threshold) == 0 ? 0 : -1;
	if (kl == 12 && memcmp(line, "lowthreshold", 12) == 0)
		return p->in_block && span_number(v, vl, &b->lowthreshold) == 0 ? 0 : -1;
	if ((kl == 5 && memcmp(line, "count", 5) == 0) || (kl == 8 && memcmp(line, "lowcount", 8) == 0) ||
	    (kl == 7 && memcmp(line, "resting", 7) == 0))
		return p->in_block ? 0 : -1;
	/* "slow rate:      76": a new block, its label the sensor's */
	rec_clear(b);
	p->in_block = 1;
	b->kind = REC_CYCLE;
	snprintf(b->vm, sizeof(b->vm), "%s", p->last_vm);
	if (span_number(v, vl, &d) == 0)
		b->value = d;
	else if (!starts(v, vl, "unknown"))
		return p->in_block = 0, -1;
	(void)out;
	return 0;
}

static int
block_end(struct report_parser *p, struct report_rec *out)
{
	int had = p->in_block && p->block.time > 0;

	p->in_block = 0;
	if (!had)
		return -1;
	*out = p->block;
	p->last_format = FMT_BLOCK;
	return 1;
}

int
report_parse_line(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	if (len == 0 || *line == '#')
		return 0;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	if (*line == '{')
		return parse_json(p, line, len, out);
	if (isdigit((unsigned char)*line)) {
		size_t i = 0;
		while (i < len && (isdigit((unsigned char)line[i]) || line[i] == '.'))
			i++;
		if (i < len && line[i] == ' ')
			return parse_thesis(p, line, len, out);
		if (i < len && line[i] == ',')
			return parse_csv(p, line, len, out);
		return -1;
	}
	if (len == 9 && memcmp(line, "**-----**", 9) == 0)
		return block_end(p, out);
	if (memchr(line, ',', len) != NULL && memchr(line, ':', len) == NULL)
		return csv_header(p, line, len) < 0 ? -1 : 0;
	return parse_block(p, line, len, out);
}
