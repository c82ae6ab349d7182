/* SPDX-License-Identifier: ISC */
/* The agent protocol's lines and MAC inputs; see wire.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <vmmanage/module.h>

#include "common/wire.h"

_Static_assert(WIRE_KEY_BYTES == crypto_auth_hmacsha512256_KEYBYTES, "key size");
_Static_assert(WIRE_MAC_BYTES == crypto_auth_hmacsha512256_BYTES, "mac size");

static int
wire_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
wire_isalnum(char c)
{
	return wire_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
wire_host_valid(const char *s, size_t len)
{
	if (len == 0 || len > WIRE_MAX_HOST)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(wire_isalnum(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

size_t
wire_host_fold(const char *s, size_t len, char *out)
{
	if (len > WIRE_MAX_HOST)
		len = WIRE_MAX_HOST;
	while (len > 0 && s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	out[len] = '\0';
	return len;
}

int
wire_magic(const char *buf, size_t len)
{
	size_t n = len < 5 ? len : 5;

	if (memcmp(buf, "VMM1 ", n) != 0 && memcmp(buf, "VMM2 ", n) != 0)
		return 0;
	return len < 5 ? 1 : 2;
}

int
wire_token(const char **p, const char *end, const char **tok, size_t *toklen)
{
	const char *s = *p, *sp;

	if (s >= end)
		return -1;
	sp = memchr(s, ' ', (size_t)(end - s));
	*tok = s;
	*toklen = (size_t)((sp ? sp : end) - s);
	*p = sp ? sp + 1 : end;
	return *toklen > 0 ? 0 : -1;
}

/* Exactly 2 * n lower-case hex digits. */
static int
wire_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = wire_isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

/* " " and the lower-case hex of n bytes at out; returns the length written. */
static size_t
wire_put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = ' ';
	for (size_t i = 0; i < n; i++) {
		out[1 + 2 * i] = hex[b[i] >> 4];
		out[2 + 2 * i] = hex[b[i] & 15];
	}
	out[1 + 2 * n] = '\0';
	return 1 + 2 * n;
}

static int
wire_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!wire_isdigit(s[i]))
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* snprintf's length, or 0 when it did not fit. */
static size_t
wire_fit(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* ---- the agent's lines ---- */

size_t
wire_hello_format(char *out, size_t cap, const struct wire_session *ss)
{
	char cn[2 * WIRE_NONCE_BYTES + 2];

	if (ss->version == WIRE_V1)
		return wire_fit(snprintf(out, cap, "VMM1 HELLO %s %s\n", ss->host, ss->boot), cap);
	wire_put_hex(cn, ss->cnonce, WIRE_NONCE_BYTES);
	return wire_fit(snprintf(out, cap, "VMM2 HELLO %s %s%s\n", ss->host, ss->boot, cn), cap);
}

int
wire_hello_parse(const char *line, size_t len, struct wire_session *ss, char *err,
    size_t errlen)
{
	const char *p, *end = line + len, *t;
	size_t tl;

	memset(ss, 0, sizeof(*ss));
	if (len < 11 || (memcmp(line, "VMM1 HELLO ", 11) != 0 && memcmp(line, "VMM2 HELLO ", 11) != 0)) {
		snprintf(err, errlen, "expected \"VMM2 HELLO host boot cnonce\"");
		return -1;
	}
	p = line + 11;
	ss->version = line[3] == '1' ? WIRE_V1 : WIRE_V2;
	if (wire_token(&p, end, &t, &tl) < 0 || !wire_host_valid(t, tl)) {
		snprintf(err, errlen, "bad host name");
		return -1;
	}
	memcpy(ss->host, t, tl);
	if (wire_token(&p, end, &t, &tl) < 0 || tl > WIRE_MAX_BOOT) {
		snprintf(err, errlen, "bad boot id");
		return -1;
	}
	for (size_t i = 0; i < tl; i++)
		if (!wire_isalnum(t[i])) {
			snprintf(err, errlen, "bad boot id");
			return -1;
		}
	memcpy(ss->boot, t, tl);
	if (ss->version == WIRE_V2 && (wire_token(&p, end, &t, &tl) < 0 ||
	    wire_hex(t, tl, ss->cnonce, WIRE_NONCE_BYTES) < 0)) {
		snprintf(err, errlen, "bad nonce (%d lower-case hex digits)", 2 * WIRE_NONCE_BYTES);
		return -1;
	}
	if (p != end || (len > 0 && line[len - 1] == ' ')) {
		snprintf(err, errlen, "trailing bytes after HELLO");
		return -1;
	}
	return 0;
}

size_t
wire_auth_format(char *out, size_t cap, const uint8_t mac[WIRE_MAC_BYTES])
{
	char m[2 * WIRE_MAC_BYTES + 2];

	wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "AUTH%s\n", m), cap);
}

int
wire_auth_parse(const char *line, size_t len, uint8_t mac[WIRE_MAC_BYTES], char *err,
    size_t errlen)
{
	if (len < 5 || memcmp(line, "AUTH ", 5) != 0 ||
	    wire_hex(line + 5, len - 5, mac, WIRE_MAC_BYTES) < 0) {
		snprintf(err, errlen, "expected \"AUTH mac\" (%d lower-case hex digits)",
		    2 * WIRE_MAC_BYTES);
		return -1;
	}
	return 0;
}

size_t
wire_msghdr_format(char *out, size_t cap, uint64_t seq, int64_t epoch, size_t len,
    const uint8_t *mac)
{
	char m[2 * WIRE_MAC_BYTES + 2] = "";

	if (mac != NULL)
		wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "M %" PRIu64 " %" PRId64 " %zu%s\n", seq, epoch, len, m),
	    cap);
}

int
wire_msghdr_parse(const char *line, size_t len, struct wire_msghdr *m, char *err,
    size_t errlen)
{
	const char *p, *end = line + len, *t;
	size_t tl;
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (len < 2 || line[0] != 'M' || line[1] != ' ') {
		snprintf(err, errlen, "expected \"M seq epoch len [mac]\"");
		return -1;
	}
	p = line + 2;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, INT64_MAX, &m->seq) < 0 ||
	    m->seq == 0) {
		snprintf(err, errlen, "bad sequence number");
		return -1;
	}
	int neg = p < end && *p == '-';
	if (neg)
		p++;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, INT64_MAX, &v) < 0) {
		snprintf(err, errlen, "bad timestamp");
		return -1;
	}
	m->epoch = neg ? -(int64_t)v : (int64_t)v;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, WIRE_MAX_FRAME, &v) < 0) {
		snprintf(err, errlen, "bad length (at most %d)", WIRE_MAX_FRAME);
		return -1;
	}
	m->len = (size_t)v;
	if (p < end) {
		if (wire_token(&p, end, &t, &tl) < 0 || wire_hex(t, tl, m->mac, WIRE_MAC_BYTES) < 0 ||
		    p != end) {
			snprintf(err, errlen, "bad mac (64 lower-case hex digits)");
			return -1;
		}
		m->has_mac = 1;
	}
	return 0;
}

/* ---- the collector's lines ---- */

size_t
wire_challenge_format(char *out, size_t cap, const uint8_t snonce[WIRE_NONCE_BYTES])
{
	char sn[2 * WIRE_NONCE_BYTES + 2];

	wire_put_hex(sn, snonce, WIRE_NONCE_BYTES);
	return wire_fit(snprintf(out, cap, "VMM2 CHALLENGE%s\n", sn), cap);
}

size_t
wire_ok_format(char *out, size_t cap, enum wire_version v, uint64_t last, const uint8_t *mac)
{
	char m[2 * WIRE_MAC_BYTES + 2] = "";

	if (mac != NULL)
		wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "VMM%d OK %" PRIu64 "%s\n", (int)v, last, m), cap);
}

size_t
wire_ack_format(char *out, size_t cap, uint64_t seq, const uint8_t *mac)
{
	char m[2 * WIRE_MAC_BYTES + 2] = "";

	if (mac != NULL)
		wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "A %" PRIu64 "%s\n", seq, m), cap);
}

size_t
wire_err_format(char *out, size_t cap, enum wire_version v, const char *why)
{
	int room = cap > 12 ? (int)(cap - 12) : 0;

	return wire_fit(snprintf(out, cap, "VMM%d ERR %.*s\n", (int)v, room, why), cap);
}

/* "NUMBER[ MAC]" at p. */
static int
wire_num_mac(const char *p, const char *end, struct wire_reply *r)
{
	const char *t;
	size_t tl;

	if (p >= end || end[-1] == ' ' || wire_token(&p, end, &t, &tl) < 0 ||
	    wire_u64(t, tl, INT64_MAX, &r->seq) < 0)
		return -1;
	if (p == end)
		return 0;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_hex(t, tl, r->mac, WIRE_MAC_BYTES) < 0 ||
	    p != end)
		return -1;
	r->has_mac = 1;
	return 0;
}

int
wire_reply_parse(const char *line, size_t len, enum wire_version v, struct wire_reply *r,
    char *err, size_t errlen)
{
	const char *end = line + len;
	char magic[6];

	memset(r, 0, sizeof(*r));
	snprintf(magic, sizeof(magic), "VMM%d ", (int)v);
	if (len > 2 && memcmp(line, "A ", 2) == 0) {
		r->kind = WIRE_REPLY_ACK;
		if (wire_num_mac(line + 2, end, r) == 0)
			return 0;
	} else if (len > 8 && memcmp(line, magic, 5) == 0 && memcmp(line + 5, "OK ", 3) == 0) {
		r->kind = WIRE_REPLY_OK;
		if (wire_num_mac(line + 8, end, r) == 0)
			return 0;
	} else if (len >= 9 && memcmp(line, magic, 5) == 0 && memcmp(line + 5, "ERR ", 4) == 0) {
		r->kind = WIRE_REPLY_ERR;
		r->why = line + 9;
		r->whylen = len - 9;
		return 0;
	} else if (v == WIRE_V2 && len > 15 && memcmp(line, "VMM2 CHALLENGE ", 15) == 0) {
		r->kind = WIRE_REPLY_CHALLENGE;
		if (wire_hex(line + 15, len - 15, r->snonce, WIRE_NONCE_BYTES) == 0)
			return 0;
	}
	snprintf(err, errlen, "unexpected reply \"%.*s\"", (int)(len < 60 ? len : 60), line);
	memset(r, 0, sizeof(*r));
	return -1;
}

/* ---- MACs ---- */

size_t
wire_mac_input(char *out, size_t cap, enum wire_mac_kind kind, const struct wire_session *ss,
    uint64_t seq, int64_t epoch, size_t len)
{
	static const char *const names[] = { "AUTH", "OK", "A", "M" };
	char cn[2 * WIRE_NONCE_BYTES + 2], sn[2 * WIRE_NONCE_BYTES + 2], args[80] = "";

	wire_put_hex(cn, ss->cnonce, WIRE_NONCE_BYTES);
	wire_put_hex(sn, ss->snonce, WIRE_NONCE_BYTES);
	if (kind == WIRE_MAC_OK || kind == WIRE_MAC_ACK)
		snprintf(args, sizeof(args), " %" PRIu64, seq);
	else if (kind == WIRE_MAC_FRAME)
		snprintf(args, sizeof(args), " %" PRIu64 " %" PRId64 " %zu", seq, epoch, len);
	return wire_fit(snprintf(out, cap, "VMM2 %s %s %s%s%s%s\n", names[kind], ss->host,
	    ss->boot, cn, sn, args), cap);
}

void
wire_mac(uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_mac_kind kind, const struct wire_session *ss, uint64_t seq, int64_t epoch,
    const char *payload, size_t len)
{
	crypto_auth_hmacsha512256_state st;
	char in[WIRE_MAX_LINE + 2 * WIRE_MAX_HOST];
	size_t n = wire_mac_input(in, sizeof(in), kind, ss, seq, epoch, len);

	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)in, n);
	if (kind == WIRE_MAC_FRAME && len > 0)
		crypto_auth_hmacsha512256_update(&st, (const unsigned char *)payload, len);
	crypto_auth_hmacsha512256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

int
wire_mac_check(const uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_mac_kind kind, const struct wire_session *ss, uint64_t seq, int64_t epoch,
    const char *payload, size_t len)
{
	uint8_t want[WIRE_MAC_BYTES];

	wire_mac(want, key, kind, ss, seq, epoch, payload, len);
	return sodium_memcmp(want, mac, WIRE_MAC_BYTES) == 0;
}

/* ---- the broker protocol (see wire.h) ---- */

size_t
wire_bhello_format(char *out, size_t cap, const struct wire_session *ss)
{
	char cn[2 * WIRE_NONCE_BYTES + 2];

	wire_put_hex(cn, ss->cnonce, WIRE_NONCE_BYTES);
	return wire_fit(snprintf(out, cap, "VMB1 HELLO %s %s%s\n", ss->host, ss->boot, cn), cap);
}

int
wire_bhello_parse(const char *line, size_t len, struct wire_session *ss, char *err,
    size_t errlen)
{
	char v2[WIRE_MAX_LINE];

	/* the same fields as VMM2's HELLO: its parser reads them */
	if (len < 11 || len >= sizeof(v2) || memcmp(line, "VMB1 HELLO ", 11) != 0) {
		memset(ss, 0, sizeof(*ss));
		snprintf(err, errlen, "expected \"VMB1 HELLO vm boot cnonce\"");
		return -1;
	}
	memcpy(v2, "VMM2", 4);
	memcpy(v2 + 4, line + 4, len - 4);
	return wire_hello_parse(v2, len, ss, err, errlen);
}

size_t
wire_bchallenge_format(char *out, size_t cap, const uint8_t snonce[WIRE_NONCE_BYTES])
{
	char sn[2 * WIRE_NONCE_BYTES + 2];

	wire_put_hex(sn, snonce, WIRE_NONCE_BYTES);
	return wire_fit(snprintf(out, cap, "VMB1 CHALLENGE%s\n", sn), cap);
}

size_t
wire_bok_format(char *out, size_t cap, const uint8_t mac[WIRE_MAC_BYTES])
{
	char m[2 * WIRE_MAC_BYTES + 2];

	wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "VMB1 OK%s\n", m), cap);
}

size_t
wire_berr_format(char *out, size_t cap, const char *why)
{
	int room = cap > 12 ? (int)(cap - 12) : 0;

	return wire_fit(snprintf(out, cap, "VMB1 ERR %.*s\n", room, why), cap);
}

int
wire_breply_parse(const char *line, size_t len, struct wire_breply *r, char *err,
    size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (len > 15 && memcmp(line, "VMB1 CHALLENGE ", 15) == 0 &&
	    wire_hex(line + 15, len - 15, r->snonce, WIRE_NONCE_BYTES) == 0) {
		r->kind = WIRE_REPLY_CHALLENGE;
		return 0;
	}
	if (len > 8 && memcmp(line, "VMB1 OK ", 8) == 0 &&
	    wire_hex(line + 8, len - 8, r->mac, WIRE_MAC_BYTES) == 0) {
		r->kind = WIRE_REPLY_OK;
		return 0;
	}
	if (len >= 9 && memcmp(line, "VMB1 ERR ", 9) == 0) {
		r->kind = WIRE_REPLY_ERR;
		r->why = line + 9;
		r->whylen = len - 9;
		return 0;
	}
	memset(r, 0, sizeof(*r));
	snprintf(err, errlen, "unexpected reply \"%.*s\"", (int)(len < 60 ? len : 60), line);
	return -1;
}

size_t
wire_bframe_format(char *out, size_t cap, char kind, uint64_t seq, size_t len,
    const uint8_t mac[WIRE_MAC_BYTES])
{
	char m[2 * WIRE_MAC_BYTES + 2];

	wire_put_hex(m, mac, WIRE_MAC_BYTES);
	return wire_fit(snprintf(out, cap, "%c %" PRIu64 " %zu%s\n", kind, seq, len, m), cap);
}

int
wire_bframe_parse(const char *line, size_t len, char kind, struct wire_bframe *f, char *err,
    size_t errlen)
{
	const char *p = line + 2, *end = line + len, *t;
	size_t tl;
	uint64_t v;

	memset(f, 0, sizeof(*f));
	if (len < 2 || line[0] != kind || line[1] != ' ') {
		snprintf(err, errlen, "expected \"%c seq len mac\"", kind);
		return -1;
	}
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, INT64_MAX, &f->seq) < 0 ||
	    f->seq == 0) {
		snprintf(err, errlen, "bad sequence number");
		return -1;
	}
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, WIRE_BROKER_MAX_PAYLOAD, &v) < 0) {
		snprintf(err, errlen, "bad length (at most %d)", WIRE_BROKER_MAX_PAYLOAD);
		return -1;
	}
	f->len = (size_t)v;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_hex(t, tl, f->mac, WIRE_MAC_BYTES) < 0 ||
	    p != end) {
		snprintf(err, errlen, "bad mac (64 lower-case hex digits)");
		return -1;
	}
	return 0;
}

void
wire_bmac(uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_bmac_kind kind, const struct wire_session *ss, uint64_t seq,
    const char *payload, size_t len)
{
	static const char *const names[] = { "AUTH", "OK", "Q", "R" };
	crypto_auth_hmacsha512256_state st;
	char cn[2 * WIRE_NONCE_BYTES + 2], sn[2 * WIRE_NONCE_BYTES + 2], args[64] = "";
	char in[WIRE_MAX_LINE + 2 * WIRE_MAX_HOST];
	size_t n;

	wire_put_hex(cn, ss->cnonce, WIRE_NONCE_BYTES);
	wire_put_hex(sn, ss->snonce, WIRE_NONCE_BYTES);
	if (kind == WIRE_BMAC_REQ || kind == WIRE_BMAC_REP)
		snprintf(args, sizeof(args), " %" PRIu64 " %zu", seq, len);
	n = wire_fit(snprintf(in, sizeof(in), "VMB1 %s %s %s%s%s%s\n", names[kind], ss->host,
	    ss->boot, cn, sn, args), sizeof(in));
	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)in, n);
	if ((kind == WIRE_BMAC_REQ || kind == WIRE_BMAC_REP) && len > 0)
		crypto_auth_hmacsha512256_update(&st, (const unsigned char *)payload, len);
	crypto_auth_hmacsha512256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

int
wire_bmac_check(const uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_bmac_kind kind, const struct wire_session *ss, uint64_t seq,
    const char *payload, size_t len)
{
	uint8_t want[WIRE_MAC_BYTES];

	wire_bmac(want, key, kind, ss, seq, payload, len);
	return sodium_memcmp(want, mac, WIRE_MAC_BYTES) == 0;
}

static int
wire_is(const char *t, size_t tl, const char *word)
{
	return tl == strlen(word) && memcmp(t, word, tl) == 0;
}

/* A move's ID: exactly 16 lowercase hex digits. */
static int
wire_hex_id(const char *t, size_t tl, uint64_t *id)
{
	*id = 0;
	if (tl != 16)
		return -1;
	for (size_t i = 0; i < tl; i++) {
		int v = t[i] >= '0' && t[i] <= '9' ? t[i] - '0' : t[i] >= 'a' && t[i] <= 'f' ? t[i] - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		*id = *id << 4 | (uint64_t)v;
	}
	return 0;
}

int
wire_breq_parse(const char *p, size_t len, struct wire_breq *rq, char *err, size_t errlen)
{
	const char *end = p + len, *t;
	size_t tl;

	memset(rq, 0, sizeof(*rq));
	if (len > 0 && p[len - 1] == '\n')
		end--;
	if (wire_token(&p, end, &t, &tl) < 0)
		return snprintf(err, errlen, "empty request"), -1;
	if (wire_is(t, tl, "WHERE") || wire_is(t, tl, "HOSTS")) {
		rq->kind = t[0] == 'W' ? WIRE_BREQ_WHERE : WIRE_BREQ_HOSTS;
		if (p != end || t + tl != end)
			return snprintf(err, errlen, "trailing bytes after %.*s", (int)tl, t), -1;
		return 0;
	}
	if (wire_is(t, tl, "OUTCOME")) {
		rq->kind = WIRE_BREQ_OUTCOME;
		if (wire_token(&p, end, &t, &tl) < 0 || wire_hex_id(t, tl, &rq->id) < 0 || rq->id == 0 ||
		    p != end || t + tl != end)
			return snprintf(err, errlen, "OUTCOME: expected \"OUTCOME ID\" (16 hex digits)"), -1;
		return 0;
	}
	if (!wire_is(t, tl, "MOVE"))
		return snprintf(err, errlen, "unknown request (MOVE, OUTCOME, WHERE or HOSTS)"), -1;
	rq->kind = WIRE_BREQ_MOVE;
	if (wire_token(&p, end, &t, &tl) < 0)
		return snprintf(err, errlen, "MOVE without an action"), -1;
	if ((rq->action = (int)vmm_action_named(t, tl)) == VMM_ACT_NONE)
		return snprintf(err, errlen, "MOVE: unknown action"), -1;
	if (wire_token(&p, end, &t, &tl) < 0 || !wire_host_valid(t, tl))
		return snprintf(err, errlen, "MOVE: bad target host name"), -1;
	memcpy(rq->target, t, tl);
	if (wire_token(&p, end, &t, &tl) < 0 || tl != 1 || (t[0] != '0' && t[0] != '1'))
		return snprintf(err, errlen, "MOVE: expected \"MOVE ACTION TARGET 0|1 [ID]\""), -1;
	rq->cross_site = t[0] == '1';
	if (p == end && t + tl == end)
		return 0;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_hex_id(t, tl, &rq->id) < 0 || rq->id == 0 ||
	    p != end || t + tl != end)
		return snprintf(err, errlen, "MOVE: expected \"MOVE ACTION TARGET 0|1 [ID]\" (ID: 16 hex digits)"), -1;
	return 0;
}

size_t
wire_breq_format(char *out, size_t cap, const struct wire_breq *rq)
{
	if (rq->kind == WIRE_BREQ_WHERE)
		return wire_fit(snprintf(out, cap, "WHERE\n"), cap);
	if (rq->kind == WIRE_BREQ_HOSTS)
		return wire_fit(snprintf(out, cap, "HOSTS\n"), cap);
	if (rq->kind == WIRE_BREQ_OUTCOME)
		return wire_fit(snprintf(out, cap, "OUTCOME %016" PRIx64 "\n", rq->id), cap);
	if (rq->id != 0)
		return wire_fit(snprintf(out, cap, "MOVE %s %s %d %016" PRIx64 "\n",
		    vmm_action_name((enum vmm_action)rq->action), rq->target, rq->cross_site ? 1 : 0,
		    rq->id), cap);
	return wire_fit(snprintf(out, cap, "MOVE %s %s %d\n",
	    vmm_action_name((enum vmm_action)rq->action), rq->target, rq->cross_site ? 1 : 0), cap);
}

static const char *const wire_outcomes[] = { "confirmed", "unconfirmed", "failed" };

/* A non-negative decimal number ("1.25", "-1" for unknown). */
static int
wire_double(const char *t, size_t tl, double *out)
{
	char buf[32], *e;

	if (tl == 0 || tl >= sizeof(buf))
		return -1;
	memcpy(buf, t, tl);
	buf[tl] = '\0';
	for (size_t i = 0; i < tl; i++)
		if (!(wire_isdigit(buf[i]) || buf[i] == '.' || (i == 0 && buf[i] == '-')))
			return -1;
	*out = strtod(buf, &e);
	return *e == '\0' && *out >= -1 && *out < 1e12 ? 0 : -1;
}

/* The rest of the line as text, cut to fit. */
static void
wire_rest(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = (size_t)(end - p) < cap - 1 ? (size_t)(end - p) : cap - 1;

	memcpy(out, p, n);
	out[n] = '\0';
}

static int
wire_bans_host(const char **p, const char *end, char *out, int dash_ok)
{
	const char *t;
	size_t tl;

	if (wire_token(p, end, &t, &tl) < 0)
		return -1;
	if (dash_ok && wire_is(t, tl, "-"))
		return out[0] = '\0', 0;
	if (!wire_host_valid(t, tl))
		return -1;
	memcpy(out, t, tl);
	out[tl] = '\0';
	return 0;
}

static int
wire_bans_done(const char *p, const char *end, struct wire_bans *a)
{
	const char *t;
	size_t tl;
	uint64_t v;

	if (wire_token(&p, end, &t, &tl) < 0)
		return -1;
	a->outcome = -1;
	for (int i = 0; i < 3; i++)
		if (wire_is(t, tl, wire_outcomes[i]))
			a->outcome = i;
	if (a->outcome < 0 || wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, 6, &v) < 0)
		return -1;
	a->failure = (int)v;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, 1, &v) < 0)
		return -1;
	a->permanent = (int)v;
	if (wire_token(&p, end, &t, &tl) < 0 || wire_double(t, tl, &a->duration) < 0 ||
	    wire_bans_host(&p, end, a->host, 1) < 0)
		return -1;
	wire_rest(p, end, a->text, sizeof(a->text));
	return 0;
}

static int
wire_bans_body(const char *p, const char *end, const char *t, size_t tl, struct wire_bans *a)
{
	uint64_t v;
	double d;

	if (wire_is(t, tl, "DONE"))
		return a->kind = WIRE_BANS_DONE, wire_bans_done(p, end, a);
	if (wire_is(t, tl, "REFUSED")) {
		a->kind = WIRE_BANS_REFUSED;
		if (wire_token(&p, end, &t, &tl) < 0 || wire_double(t, tl, &a->retry_after) < 0)
			return -1;
		wire_rest(p, end, a->text, sizeof(a->text));
		return 0;
	}
	if (wire_is(t, tl, "HERE")) {
		a->kind = WIRE_BANS_HERE;
		if (wire_bans_host(&p, end, a->host, 1) < 0 || wire_token(&p, end, &t, &tl) < 0 ||
		    wire_u64(t, tl, 1, &v) < 0)
			return -1;
		a->draining = (int)v;
		a->leave_in = -1;
		/* optional: the seconds until the provider moves the VM off a draining host */
		if (p != end && (wire_token(&p, end, &t, &tl) < 0 || wire_double(t, tl, &a->leave_in) < 0))
			return -1;
		return p != end ? -1 : 0;
	}
	if (wire_is(t, tl, "HOSTS")) {
		a->kind = WIRE_BANS_HOSTS;
		return wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, 1024, &a->count) < 0 ||
		    p != end ? -1 : 0;
	}
	if (wire_is(t, tl, "HOST")) {
		a->kind = WIRE_BANS_HOST;
		if (wire_bans_host(&p, end, a->host, 0) < 0 || wire_token(&p, end, &t, &tl) < 0 ||
		    wire_double(t, tl, &d) < 0)
			return -1;
		a->free_memory = (int64_t)d;
		if (wire_token(&p, end, &t, &tl) < 0 || wire_double(t, tl, &a->cpu_idle) < 0 ||
		    a->cpu_idle > 1)
			return -1;
		/* optional: 1 when the provider drains it */
		v = 0;
		if (p != end && (wire_token(&p, end, &t, &tl) < 0 || wire_u64(t, tl, 1, &v) < 0))
			return -1;
		a->draining = (int)v;
		return p != end ? -1 : 0;
	}
	if (wire_is(t, tl, "ERR"))
		return a->kind = WIRE_BANS_ERR, wire_rest(p, end, a->text, sizeof(a->text)), 0;
	if (wire_is(t, tl, "UNKNOWN"))
		return a->kind = WIRE_BANS_UNKNOWN, p == end ? 0 : -1;
	return -1;
}

int
wire_bans_parse(const char *p, size_t len, struct wire_bans *a, char *err, size_t errlen)
{
	const char *end = p + len, *t;
	size_t tl;

	memset(a, 0, sizeof(*a));
	if (memchr(p, '\n', len) != NULL || wire_token(&p, end, &t, &tl) < 0 ||
	    wire_bans_body(p, end, t, tl, a) < 0) {
		memset(a, 0, sizeof(*a));
		snprintf(err, errlen, "unexpected answer");
		return -1;
	}
	return 0;
}

/* text with LFs and CRs as spaces, cut to fit */
static void
wire_flat(char *out, size_t cap, const char *text)
{
	size_t i;

	for (i = 0; i + 1 < cap && text[i]; i++)
		out[i] = text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
	out[i] = '\0';
}

size_t
wire_bans_format(char *out, size_t cap, const struct wire_bans *a)
{
	char text[sizeof(a->text)];
	const char *host = a->host[0] ? a->host : "-";

	wire_flat(text, sizeof(text), a->text);
	switch (a->kind) {
	case WIRE_BANS_DONE:
		return wire_fit(snprintf(out, cap, "DONE %s %d %d %.3f %s%s%s\n",
		    wire_outcomes[a->outcome >= 0 && a->outcome < 3 ? a->outcome : 2], a->failure,
		    a->permanent ? 1 : 0, a->duration < 0 ? -1.0 : a->duration, host,
		    text[0] ? " " : "", text), cap);
	case WIRE_BANS_REFUSED:
		return wire_fit(snprintf(out, cap, "REFUSED %.0f%s%s\n", a->retry_after,
		    text[0] ? " " : "", text), cap);
	case WIRE_BANS_HERE:
		if (a->draining && a->leave_in >= 0)
			return wire_fit(snprintf(out, cap, "HERE %s 1 %.0f\n", host, a->leave_in), cap);
		return wire_fit(snprintf(out, cap, "HERE %s %d\n", host, a->draining ? 1 : 0), cap);
	case WIRE_BANS_HOSTS:
		return wire_fit(snprintf(out, cap, "HOSTS %" PRIu64 "\n", a->count), cap);
	case WIRE_BANS_HOST:
		return wire_fit(snprintf(out, cap, "HOST %s %" PRId64 " %.3f %d\n", host,
		    a->free_memory < 0 ? (int64_t)-1 : a->free_memory,
		    a->cpu_idle < 0 ? -1.0 : a->cpu_idle, a->draining ? 1 : 0), cap);
	case WIRE_BANS_UNKNOWN:
		return wire_fit(snprintf(out, cap, "UNKNOWN\n"), cap);
	default:
		return wire_fit(snprintf(out, cap, "ERR %s\n", text), cap);
	}
}
