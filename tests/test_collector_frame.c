/* SPDX-License-Identifier: ISC */
/* Unit tests of the collector's pure parts: frame detection and parsers, escaping, the
 * allow list, the date stamp and the rate limiter. TAP output. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"

#include "tap.h"

#define CHECK(cond, ...) TAP_OK(cond, __VA_ARGS__)

static int
streq_n(const char *p, size_t n, const char *want)
{
	return p != NULL && n == strlen(want) && memcmp(p, want, n) == 0;
}

static void
test_detect(void)
{
	CHECK(collector_frame_detect("VMM1 HELLO a b\n", 15) == COLLECTOR_PROTO_AGENT, "agent magic");
	CHECK(collector_frame_detect("VMM", 3) == COLLECTOR_PROTO_UNKNOWN, "agent magic prefix waits");
	CHECK(collector_frame_detect("VMM2 HELLO a b c\n", 17) == COLLECTOR_PROTO_AGENT, "agent magic, VMM2");
	CHECK(collector_frame_detect("VMM3 HELLO", 10) == COLLECTOR_PROTO_THESIS, "another version is a thesis line");
	CHECK(collector_frame_detect("<13>May", 7) == COLLECTOR_PROTO_SYSLOG, "syslog LF framing");
	CHECK(collector_frame_detect("52 <14>1", 8) == COLLECTOR_PROTO_SYSLOG, "syslog octet counting");
	CHECK(collector_frame_detect("52", 2) == COLLECTOR_PROTO_UNKNOWN, "digits only wait");
	CHECK(collector_frame_detect("52 apples", 9) == COLLECTOR_PROTO_THESIS, "digits then text is thesis");
	CHECK(collector_frame_detect("nii1: x", 7) == COLLECTOR_PROTO_THESIS, "thesis line");
	CHECK(collector_frame_detect("0 <1>", 5) == COLLECTOR_PROTO_THESIS, "a length never starts with 0");
}

static void
test_thesis(void)
{
	const char *h, *m;
	size_t hl, ml;
	const char *l = "nii1: Requesting migration of VM: just moving";

	CHECK(collector_thesis_parse(l, strlen(l), &h, &hl, &m, &ml) == 0 && streq_n(h, hl, "nii1") &&
	    streq_n(m, ml, "Requesting migration of VM: just moving"), "thesis host and message");
	l = "no host part here";
	CHECK(collector_thesis_parse(l, strlen(l), &h, &hl, &m, &ml) < 0, "no colon: no host");
	l = "two words: x";
	CHECK(collector_thesis_parse(l, strlen(l), &h, &hl, &m, &ml) < 0, "host with a space is refused");
	l = "h.example-1_a:";
	CHECK(collector_thesis_parse(l, strlen(l), &h, &hl, &m, &ml) == 0 && streq_n(h, hl, "h.example-1_a") &&
	    ml == 0, "empty message");
}

static void
test_octet(void)
{
	size_t n = 0;

	CHECK(collector_octet_header("12 <1>", 6, &n) == 3 && n == 12, "octet header");
	CHECK(collector_octet_header("12", 2, &n) == COLLECTOR_NEED_MORE, "octet header incomplete");
	CHECK(collector_octet_header("1234567890 ", 11, &n) == COLLECTOR_BAD, "octet length too long");
	CHECK(collector_octet_header("12x", 3, &n) == COLLECTOR_BAD, "octet header garbage");
}

static void
test_syslog(void)
{
	struct collector_syslog s;
	const char *m = "<14>1 2009-05-06T14:44:23.5+02:00 nii1 vmmanage 42 ID47 [ex@1 a=\"x\\]y\"] \xef\xbb\xbfhello";

	collector_syslog_parse(m, strlen(m), &s);
	CHECK(s.pri == 14 && streq_n(s.host, s.hostlen, "nii1") && streq_n(s.tag, s.taglen, "vmmanage") &&
	    streq_n(s.procid, s.procidlen, "42") && streq_n(s.msg, s.msglen, "hello"), "RFC 5424 fields");
	CHECK(s.stamp == 1241613863, "RFC 5424 timestamp with offset (%lld)", (long long)s.stamp);
	m = "<13>May  6 14:44:23 nii1 sshd[123]: Accepted key";
	collector_syslog_parse(m, strlen(m), &s);
	CHECK(s.pri == 13 && streq_n(s.host, s.hostlen, "nii1") && streq_n(s.tag, s.taglen, "sshd") &&
	    streq_n(s.procid, s.procidlen, "123") && streq_n(s.msg, s.msglen, "Accepted key"), "RFC 3164 fields");
	m = "<13>just text";
	collector_syslog_parse(m, strlen(m), &s);
	CHECK(s.host == NULL && streq_n(s.msg, s.msglen, "just text"), "neither format: all message");
	m = "<999>x";
	collector_syslog_parse(m, strlen(m), &s);
	CHECK(s.pri == -1 && streq_n(s.msg, s.msglen, "<999>x"), "bad PRI kept as text");
}

static void
test_agent(void)
{
	struct wire_session ss;
	struct wire_msghdr m;
	char err[128];
	const char *l;

	l = "VMM1 HELLO nii1 0123abcd";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) == 0 && ss.version == WIRE_V1 &&
	    strcmp(ss.host, "nii1") == 0 && strcmp(ss.boot, "0123abcd") == 0, "VMM1 HELLO");
	l = "VMM2 HELLO nii1 0123abcd 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) == 0 && ss.version == WIRE_V2 &&
	    ss.cnonce[1] == 0x11 && ss.cnonce[31] == 0xff, "VMM2 HELLO with the agent's nonce");
	l = "VMM2 HELLO nii1 0123abcd";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) < 0, "VMM2 HELLO without a nonce refused");
	l = "VMM2 HELLO nii1 0123abcd 00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) < 0, "upper-case nonce refused");
	l = "VMM1 HELLO nii1 0123abcd extra";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) < 0, "VMM1 HELLO with more refused");
	l = "VMM1 HELLO nii1 bad/boot";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) < 0, "HELLO bad boot id");
	l = "VMM1 HELLO ni:i1 abc";
	CHECK(wire_hello_parse(l, strlen(l), &ss, err, sizeof(err)) < 0, "HELLO bad host");
	l = "M 7 1241613863 12";
	CHECK(wire_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) == 0 && m.seq == 7 &&
	    m.epoch == 1241613863 && m.len == 12 && !m.has_mac, "frame header");
	l = "M 7 1241613863 12 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	CHECK(wire_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) == 0 && m.has_mac && m.mac[1] == 0x11,
	    "frame header with mac");
	l = "M 0 1 1";
	CHECK(wire_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "seq 0 refused");
	l = "M 99999999999999999999999 1 1";
	CHECK(wire_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "seq overflow refused");
	l = "M 1 1 99999999";
	CHECK(wire_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "huge length refused");
}

/* Both sides format and parse with the same code: what one writes, the other reads. */
static void
test_wire_roundtrip(void)
{
	struct wire_session ss = { .version = WIRE_V2 }, back;
	struct wire_reply r;
	struct wire_msghdr m;
	uint8_t mac[WIRE_MAC_BYTES], got[WIRE_MAC_BYTES];
	char line[WIRE_MAX_LINE], err[128];
	size_t n;

	strcpy(ss.host, "vm1");
	strcpy(ss.boot, "b0");
	for (int i = 0; i < WIRE_NONCE_BYTES; i++) {
		ss.cnonce[i] = (uint8_t)i;
		ss.snonce[i] = (uint8_t)(0xf0 ^ i);
		mac[i] = (uint8_t)(3 * i);
	}
	n = wire_hello_format(line, sizeof(line), &ss);
	CHECK(n > 0 && line[n - 1] == '\n' && wire_hello_parse(line, n - 1, &back, err, sizeof(err)) == 0 &&
	    strcmp(back.host, "vm1") == 0 && memcmp(back.cnonce, ss.cnonce, WIRE_NONCE_BYTES) == 0,
	    "HELLO round trip (%s)", err);
	ss.version = WIRE_V1;
	n = wire_hello_format(line, sizeof(line), &ss);
	CHECK(n == strlen("VMM1 HELLO vm1 b0\n") && memcmp(line, "VMM1 HELLO vm1 b0\n", n) == 0 &&
	    wire_hello_parse(line, n - 1, &back, err, sizeof(err)) == 0 && back.version == WIRE_V1,
	    "VMM1 HELLO (for test and bench peers) round trip (%s)", err);
	ss.version = WIRE_V2;
	n = wire_challenge_format(line, sizeof(line), ss.snonce);
	CHECK(wire_reply_parse(line, n - 1, WIRE_V2, &r, err, sizeof(err)) == 0 &&
	    r.kind == WIRE_REPLY_CHALLENGE && memcmp(r.snonce, ss.snonce, WIRE_NONCE_BYTES) == 0,
	    "CHALLENGE round trip");
	n = wire_auth_format(line, sizeof(line), mac);
	CHECK(wire_auth_parse(line, n - 1, got, err, sizeof(err)) == 0 && memcmp(got, mac, sizeof(mac)) == 0,
	    "AUTH round trip");
	n = wire_ok_format(line, sizeof(line), WIRE_V2, 42, mac);
	CHECK(wire_reply_parse(line, n - 1, WIRE_V2, &r, err, sizeof(err)) == 0 && r.kind == WIRE_REPLY_OK &&
	    r.seq == 42 && r.has_mac && memcmp(r.mac, mac, sizeof(mac)) == 0, "OK LAST MAC round trip");
	n = wire_ack_format(line, sizeof(line), 7, NULL);
	CHECK(wire_reply_parse(line, n - 1, WIRE_V2, &r, err, sizeof(err)) == 0 && r.kind == WIRE_REPLY_ACK &&
	    r.seq == 7 && !r.has_mac, "plain ack round trip");
	n = wire_ok_format(line, sizeof(line), WIRE_V1, 3, NULL);
	CHECK(wire_reply_parse(line, n - 1, WIRE_V2, &r, err, sizeof(err)) < 0, "a VMM1 OK is no VMM2 reply");
	n = wire_msghdr_format(line, sizeof(line), 9, -5, 300, mac);
	CHECK(wire_msghdr_parse(line, n - 1, &m, err, sizeof(err)) == 0 && m.seq == 9 && m.epoch == -5 &&
	    m.len == 300 && m.has_mac && memcmp(m.mac, mac, sizeof(mac)) == 0, "frame header round trip");
	n = wire_err_format(line, sizeof(line), WIRE_V2, "no");
	CHECK(wire_reply_parse(line, n - 1, WIRE_V2, &r, err, sizeof(err)) == 0 && r.kind == WIRE_REPLY_ERR &&
	    r.whylen == 2 && memcmp(r.why, "no", 2) == 0, "ERR round trip");
	CHECK(wire_reply_parse("A 7 xyz", 7, WIRE_V2, &r, err, sizeof(err)) < 0, "ack with a bad mac refused");
	CHECK(wire_reply_parse("OK 7", 4, WIRE_V2, &r, err, sizeof(err)) < 0, "OK without magic refused");
}

/* A MAC holds for one connection (its nonces), one kind of line and its exact values. */
static void
test_wire_mac(void)
{
	struct wire_session a = { .version = WIRE_V2 }, b;
	uint8_t key[WIRE_KEY_BYTES] = { 1, 2, 3 }, other[WIRE_KEY_BYTES] = { 1, 2, 4 };
	uint8_t mac[WIRE_MAC_BYTES];
	char in[WIRE_MAX_LINE];

	strcpy(a.host, "vm1");
	strcpy(a.boot, "b0");
	memset(a.cnonce, 0xaa, sizeof(a.cnonce));
	memset(a.snonce, 0x55, sizeof(a.snonce));
	b = a;
	b.snonce[31] ^= 1;
	wire_mac(mac, key, WIRE_MAC_FRAME, &a, 5, 100, "hello", 5);
	CHECK(wire_mac_check(mac, key, WIRE_MAC_FRAME, &a, 5, 100, "hello", 5), "frame MAC verifies");
	CHECK(!wire_mac_check(mac, key, WIRE_MAC_FRAME, &b, 5, 100, "hello", 5),
	    "the same frame on another connection (another collector nonce) does not");
	CHECK(!wire_mac_check(mac, other, WIRE_MAC_FRAME, &a, 5, 100, "hello", 5), "another key does not");
	CHECK(!wire_mac_check(mac, key, WIRE_MAC_FRAME, &a, 6, 100, "hello", 5), "another seq does not");
	CHECK(!wire_mac_check(mac, key, WIRE_MAC_FRAME, &a, 5, 100, "hellO", 5), "another payload does not");
	wire_mac(mac, key, WIRE_MAC_ACK, &a, 5, 0, NULL, 0);
	CHECK(wire_mac_check(mac, key, WIRE_MAC_ACK, &a, 5, 0, NULL, 0) &&
	    !wire_mac_check(mac, key, WIRE_MAC_OK, &a, 5, 0, NULL, 0) &&
	    !wire_mac_check(mac, key, WIRE_MAC_ACK, &a, 6, 0, NULL, 0), "an ack's MAC is for that ack only");
	wire_mac_input(in, sizeof(in), WIRE_MAC_FRAME, &a, 5, 100, 5);
	CHECK(strncmp(in, "VMM2 M vm1 b0 aaaa", 18) == 0 && strstr(in, " 5555") != NULL &&
	    strcmp(in + strlen(in) - 9, " 5 100 5\n") == 0, "frame MAC input as documented (%s)", in);
}

static void
test_fold(void)
{
	char out[WIRE_MAX_HOST + 1];

	CHECK(wire_host_fold("VM1", 3, out) == 3 && strcmp(out, "vm1") == 0, "case folded");
	CHECK(wire_host_fold("vm1.", 4, out) == 3 && strcmp(out, "vm1") == 0, "trailing dot dropped");
	CHECK(wire_host_fold("Vm1...", 6, out) == 3 && strcmp(out, "vm1") == 0, "trailing dots dropped");
	CHECK(wire_host_fold("a.B", 3, out) == 3 && strcmp(out, "a.b") == 0, "inner dot kept");
	CHECK(wire_host_fold("...", 3, out) == 0, "only dots: nothing");
	CHECK(wire_magic("VMM2 H", 6) == 2 && wire_magic("VMM1 ", 5) == 2 && wire_magic("VM", 2) == 1 &&
	    wire_magic("VMM3 ", 5) == 0, "greeting magic");
}

static void
test_escape(void)
{
	char out[256];
	const char *in = "a\r\nb\x1b[31mc\\d\x7f\x01\xc2\x9b\xff\xc3\xa9";

	collector_escape(in, strlen(in), out, sizeof(out));
	CHECK(strcmp(out, "a\\r\\nb\\e[31mc\\\\d\\x7f\\x01\\xc2\\x9b\\xff\xc3\xa9") == 0,
	    "control, CR, LF, ESC, C1, invalid UTF-8 escaped; valid UTF-8 kept (%s)", out);
	CHECK(strchr(out, '\n') == NULL && strchr(out, '\x1b') == NULL, "no LF or ESC survives");
	const char *u = "ab\xc3\xa9" "cd";
	CHECK(collector_utf8_cut(u, 6, 3) == 2, "cut backs off a split UTF-8 sequence");
	CHECK(collector_utf8_cut(u, 6, 4) == 4, "cut after a whole sequence");
	CHECK(collector_utf8_cut(u, 6, 10) == 6, "no cut when short");
	/* U+202E (right-to-left override), U+2066 (isolate), U+200B (zero width space),
	 * U+FEFF (BOM), U+061C (Arabic letter mark), U+0085 (C1 NEL) */
	in = "a" "\xe2\x80\xae" "b" "\xe2\x81\xa6" "c" "\xe2\x80\x8b" "d" "\xef\xbb\xbf" "e"
	    "\xd8\x9c" "f" "\xc2\x85" "g";
	collector_escape(in, strlen(in), out, sizeof(out));
	CHECK(strcmp(out, "a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6c\\xe2\\x80\\x8bd\\xef\\xbb\\xbfe"
	    "\\xd8\\x9cf\\xc2\\x85g") == 0, "bidi, zero-width, BOM and C1 escaped (%s)", out);
	in = "\xe2\x80\x8evm1\xe2\x80\x8f \xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0\xe2\x81\xa9\xe2\x80\xaa";
	collector_escape(in, strlen(in), out, sizeof(out));
	CHECK(strstr(out, "\xe2") == NULL && strstr(out, "vm1") != NULL, "LRM, RLM, ZWNJ, ZWJ, WJ, PDI, LRE escaped (%s)", out);
	in = "\xe2\x80\x94 \xe2\x82\xac \xd8\xa8";
	collector_escape(in, strlen(in), out, sizeof(out));
	CHECK(strcmp(out, in) == 0, "visible non-ASCII kept: em dash, euro, Arabic letter (%s)", out);
	char small[8];
	collector_escape("ab\xe2\x80\xae", 5, small, sizeof(small));
	CHECK(strcmp(small, "ab") == 0, "an escape that does not fit is left out whole (%s)", small);
	collector_json_escape("a\"b\\\x01", 5, out, sizeof(out));
	CHECK(strcmp(out, "a\\\"b\\\\\\u0001") == 0, "JSON escape (%s)", out);
}

static void
test_acl(void)
{
	struct collector_acl acl = { 0 };
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	char err[128];

	CHECK(collector_acl_add(&acl, "10.0.0.0/8", err, sizeof(err)) == 0, "add 10/8");
	CHECK(collector_acl_add(&acl, "2001:db8::/32", err, sizeof(err)) == 0, "add v6 block");
	CHECK(collector_acl_add(&acl, "10.0.0.0/33", err, sizeof(err)) < 0, "bad prefix refused");
	CHECK(collector_acl_add(&acl, "example.org", err, sizeof(err)) < 0, "name refused");
	inet_pton(AF_INET, "10.1.2.3", &v4.sin_addr);
	CHECK(collector_acl_allows(&acl, (struct sockaddr *)&v4), "10.1.2.3 allowed");
	inet_pton(AF_INET, "11.1.2.3", &v4.sin_addr);
	CHECK(!collector_acl_allows(&acl, (struct sockaddr *)&v4), "11.1.2.3 refused");
	inet_pton(AF_INET6, "::ffff:10.9.9.9", &v6.sin6_addr);
	CHECK(collector_acl_allows(&acl, (struct sockaddr *)&v6), "v4-mapped matches the v4 block");
	inet_pton(AF_INET6, "2001:db8:1::1", &v6.sin6_addr);
	CHECK(collector_acl_allows(&acl, (struct sockaddr *)&v6), "v6 in block");
	inet_pton(AF_INET6, "2001:db9::1", &v6.sin6_addr);
	CHECK(!collector_acl_allows(&acl, (struct sockaddr *)&v6), "v6 outside block");
	collector_acl_free(&acl);
}

static void
test_stamp(void)
{
	char out[128];

	setenv("TZ", "Europe/Oslo", 1);
	tzset();
	collector_format_stamp(1241613863, out, sizeof(out));
	CHECK(strcmp(out, "1241613863 Wed May  6 14:44:23 CEST 2009") == 0, "thesis stamp (%s)", out);
}

static void
test_rate(void)
{
	struct collector_rate *r = collector_rate_new(10, 5);
	int ok = 0;

	for (int i = 0; i < 20; i++)
		ok += collector_rate_take(r, "h", 100.0);
	CHECK(ok == 5, "burst of 5 (%d)", ok);
	CHECK(collector_rate_take(r, "other", 100.0), "another host has its own bucket");
	CHECK(collector_rate_take(r, "h", 100.2), "refilled after 0.2 s at 10/s");
	collector_rate_free(r);
}

int
main(void)
{
	test_detect();
	test_thesis();
	test_octet();
	test_syslog();
	test_agent();
	test_wire_roundtrip();
	test_wire_mac();
	test_fold();
	test_escape();
	test_acl();
	test_stamp();
	test_rate();
	return tap_done();
}
