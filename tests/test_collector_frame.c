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
	struct collector_hello h;
	struct collector_msghdr m;
	char err[128];
	const char *l;

	l = "VMM1 HELLO nii1 0123abcd";
	CHECK(collector_hello_parse(l, strlen(l), &h, err, sizeof(err)) == 0 && strcmp(h.host, "nii1") == 0 &&
	    strcmp(h.boot, "0123abcd") == 0, "HELLO");
	l = "VMM1 HELLO nii1 bad/boot";
	CHECK(collector_hello_parse(l, strlen(l), &h, err, sizeof(err)) < 0, "HELLO bad boot id");
	l = "VMM1 HELLO ni:i1 abc";
	CHECK(collector_hello_parse(l, strlen(l), &h, err, sizeof(err)) < 0, "HELLO bad host");
	l = "M 7 1241613863 12";
	CHECK(collector_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) == 0 && m.seq == 7 &&
	    m.epoch == 1241613863 && m.len == 12 && !m.has_mac, "frame header");
	l = "M 7 1241613863 12 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	CHECK(collector_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) == 0 && m.has_mac && m.mac[1] == 0x11,
	    "frame header with mac");
	l = "M 0 1 1";
	CHECK(collector_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "seq 0 refused");
	l = "M 99999999999999999999999 1 1";
	CHECK(collector_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "seq overflow refused");
	l = "M 1 1 99999999";
	CHECK(collector_msghdr_parse(l, strlen(l), &m, err, sizeof(err)) < 0, "huge length refused");
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
	test_escape();
	test_acl();
	test_stamp();
	test_rate();
	return tap_done();
}
