/* SPDX-License-Identifier: ISC */
/* vmmanage-report: JSON objects, flat: what the collector and the agent write. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/parse.h"
#include "core/spannum.h"

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

int
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
