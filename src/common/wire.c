/* SPDX-License-Identifier: ISC */
/* The agent protocol's lines and MAC inputs; see wire.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

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
		if (v > (max - d) / 10)
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
