/* SPDX-License-Identifier: ISC */
/* Pure parsers of what clients send: thesis lines, syslog frames and messages (the agent
 * protocol's are in common/wire.c). No I/O and no allocation, so the unit tests and the
 * fuzzers call them as is. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collector.h"

static int
collector_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

enum collector_proto
collector_frame_detect(const char *buf, size_t len)
{
	size_t i;
	int magic;

	if (len == 0)
		return COLLECTOR_PROTO_UNKNOWN;
	if ((magic = wire_magic(buf, len)) != 0)
		return magic == 1 ? COLLECTOR_PROTO_UNKNOWN : COLLECTOR_PROTO_AGENT;
	if (buf[0] == '<')
		return COLLECTOR_PROTO_SYSLOG;
	if (buf[0] < '1' || buf[0] > '9')
		return COLLECTOR_PROTO_THESIS;
	/* "LEN SP <PRI>" is octet-counted syslog; anything else starting with a digit is a
	 * thesis line */
	for (i = 1; i < len && i < 10 && collector_isdigit(buf[i]); i++)
		;
	if (i == len)
		return COLLECTOR_PROTO_UNKNOWN;
	if (buf[i] != ' ')
		return COLLECTOR_PROTO_THESIS;
	if (i + 1 == len)
		return COLLECTOR_PROTO_UNKNOWN;
	return buf[i + 1] == '<' ? COLLECTOR_PROTO_SYSLOG : COLLECTOR_PROTO_THESIS;
}

int
collector_thesis_parse(const char *line, size_t len, const char **host, size_t *hostlen,
    const char **msg, size_t *msglen)
{
	const char *colon = memchr(line, ':', len < COLLECTOR_MAX_HOST + 1 ? len : COLLECTOR_MAX_HOST + 1);

	if (colon == NULL || !collector_host_valid(line, (size_t)(colon - line)))
		return -1;
	*host = line;
	*hostlen = (size_t)(colon - line);
	size_t off = *hostlen + 1;
	if (off < len && line[off] == ' ')
		off++;
	*msg = line + off;
	*msglen = len - off;
	return 0;
}

int
collector_octet_header(const char *buf, size_t len, size_t *framelen)
{
	size_t i, n = 0;

	if (len == 0)
		return COLLECTOR_NEED_MORE;
	if (buf[0] < '1' || buf[0] > '9')
		return COLLECTOR_BAD;
	for (i = 0; i < len && collector_isdigit(buf[i]); i++) {
		if (i >= 9)
			return COLLECTOR_BAD;
		n = n * 10 + (size_t)(buf[i] - '0');
	}
	if (i == len)
		return COLLECTOR_NEED_MORE;
	if (buf[i] != ' ')
		return COLLECTOR_BAD;
	*framelen = n;
	return (int)i + 1;
}

static int
collector_num(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!collector_isdigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* RFC 5424 TIMESTAMP (RFC 3339) -> epoch; 0 when nil or malformed. */
static time_t
collector_rfc3339(const char *s, size_t n)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	size_t i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return 0;
	if (collector_num(s, 4, &y) || collector_num(s + 5, 2, &mo) || collector_num(s + 8, 2, &d) ||
	    collector_num(s + 11, 2, &h) || collector_num(s + 14, 2, &mi) || collector_num(s + 17, 2, &se))
		return 0;
	if (s[i] == '.')
		for (i++; i < n && collector_isdigit(s[i]); i++)
			;
	if (i < n && s[i] == 'Z' && i + 1 == n)
		sign = 0;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    !collector_num(s + i + 1, 2, &oh) && !collector_num(s + i + 4, 2, &om))
		sign = s[i] == '+' ? 1 : -1;
	else
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return timegm(&tm) - sign * (oh * 3600 + om * 60);
}

/* Skips RFC 5424 STRUCTURED-DATA ("-" or [..][..], with \] \" \\ escapes in values). */
static const char *
collector_skip_sd(const char *p, const char *end)
{
	if (p < end && *p == '-')
		return p + 1;
	while (p < end && *p == '[') {
		int quoted = 0;
		for (p++; p < end; p++) {
			if (quoted && *p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == ']')
				break;
		}
		if (p == end)
			return end;
		p++;
	}
	return p;
}

static void
collector_syslog_5424(const char *p, const char *end, struct collector_syslog *out)
{
	const char *t, *app = NULL, *proc = NULL;
	size_t tl, applen = 0, proclen = 0;

	if (wire_token(&p, end, &t, &tl) < 0)
		return;
	out->stamp = collector_rfc3339(t, tl);
	if (wire_token(&p, end, &t, &tl) < 0)
		return;
	if (!(tl == 1 && *t == '-')) {
		out->host = t;
		out->hostlen = tl;
	}
	if (wire_token(&p, end, &app, &applen) == 0 && !(applen == 1 && *app == '-')) {
		out->tag = app;
		out->taglen = applen;
	}
	if (wire_token(&p, end, &proc, &proclen) == 0 && !(proclen == 1 && *proc == '-')) {
		out->procid = proc;
		out->procidlen = proclen;
	}
	if (wire_token(&p, end, &t, &tl) < 0) /* MSGID */
		return;
	p = collector_skip_sd(p, end);
	if (p < end && *p == ' ')
		p++;
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	out->msg = p;
	out->msglen = (size_t)(end - p);
}

static void
collector_syslog_3164(const char *p, const char *end, struct collector_syslog *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *t;
	size_t tl;

	out->msg = p;
	out->msglen = (size_t)(end - p);
	/* "Mmm dd hh:mm:ss " */
	if (end - p < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':' || p[15] != ' ')
		return;
	int known = 0;
	for (int m = 0; m < 12; m++)
		known |= memcmp(p, months + 3 * m, 3) == 0;
	if (!known)
		return;
	p += 16;
	if (wire_token(&p, end, &t, &tl) < 0)
		return;
	out->host = t;
	out->hostlen = tl;
	/* TAG: up to 48 chars of [^:[ ], then optional [pid], then ':' */
	const char *q = p;
	while (q < end && q - p < 48 && *q != ':' && *q != '[' && *q != ' ')
		q++;
	const char *tag = p;
	size_t taglen = (size_t)(q - p);
	const char *pid = NULL;
	size_t pidlen = 0;
	if (q < end && *q == '[') {
		const char *close = memchr(q, ']', (size_t)(end - q));
		if (close != NULL && close - q < 32) {
			pid = q + 1;
			pidlen = (size_t)(close - q - 1);
			q = close + 1;
		}
	}
	if (taglen > 0 && q < end && *q == ':') {
		out->tag = tag;
		out->taglen = taglen;
		out->procid = pid;
		out->procidlen = pidlen;
		q++;
		if (q < end && *q == ' ')
			q++;
		p = q;
	}
	out->msg = p;
	out->msglen = (size_t)(end - p);
}

void
collector_syslog_parse(const char *buf, size_t len, struct collector_syslog *out)
{
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	out->pri = -1;
	out->msg = buf;
	out->msglen = len;
	if (len > 2 && buf[0] == '<') {
		int pri = 0;
		size_t i;
		for (i = 1; i < len && i < 5 && collector_isdigit(buf[i]); i++)
			pri = pri * 10 + (buf[i] - '0');
		if (i == 1 || i >= len || buf[i] != '>' || pri > 191)
			return;
		out->pri = pri;
		p = buf + i + 1;
	}
	if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
		collector_syslog_5424(p + 2, end, out);
	else
		collector_syslog_3164(p, end, out);
}
