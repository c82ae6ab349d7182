/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: what vmmanage-broker reads from an agent (HELLO, a request frame's
 * header, a request payload) and what the agent's broker endpoint reads back (the
 * handshake replies and the answers). The first byte picks the parser. Anything parsed
 * must be within the protocol's limits, and a request or answer must read back the same
 * once formatted. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_request(const char *buf, size_t size)
{
	struct wire_breq rq, back;
	char err[128], out[WIRE_MAX_LINE];

	if (wire_breq_parse(buf, size, &rq, err, sizeof(err)) < 0)
		return;
	if (rq.kind == WIRE_BREQ_MOVE && !wire_host_valid(rq.target, strlen(rq.target)))
		abort();
	size_t n = wire_breq_format(out, sizeof(out), &rq);
	if (n == 0 || wire_breq_parse(out, n, &back, err, sizeof(err)) < 0 ||
	    memcmp(&rq, &back, sizeof(rq)) != 0)
		abort();
}

static void
fuzz_answer(const char *buf, size_t size)
{
	struct wire_bans a, back;
	char err[128], out[WIRE_MAX_LINE + 600];

	if (wire_bans_parse(buf, size, &a, err, sizeof(err)) < 0)
		return;
	if (strlen(a.host) > WIRE_MAX_HOST || strlen(a.text) >= sizeof(a.text))
		abort();
	size_t n = wire_bans_format(out, sizeof(out), &a);
	if (n == 0 || out[n - 1] != '\n' || wire_bans_parse(out, n - 1, &back, err, sizeof(err)) < 0 ||
	    back.kind != a.kind || strcmp(back.host, a.host) != 0)
		abort();
}

static void
fuzz_lines(const char *buf, size_t size, int which)
{
	struct wire_session ss;
	struct wire_bframe f;
	struct wire_breply r;
	uint8_t mac[WIRE_MAC_BYTES];
	char err[128];

	switch (which) {
	case 0:
		if (wire_bhello_parse(buf, size, &ss, err, sizeof(err)) == 0 &&
		    (!wire_host_valid(ss.host, strlen(ss.host)) || strlen(ss.boot) > WIRE_MAX_BOOT))
			abort();
		break;
	case 1:
		if (wire_bframe_parse(buf, size, 'Q', &f, err, sizeof(err)) == 0 &&
		    (f.seq == 0 || f.len > WIRE_BROKER_MAX_PAYLOAD))
			abort();
		break;
	case 2:
		if (wire_breply_parse(buf, size, &r, err, sizeof(err)) == 0 && r.kind == WIRE_REPLY_ERR &&
		    r.why + r.whylen != buf + size)
			abort();
		break;
	default:
		(void)wire_auth_parse(buf, size, mac, err, sizeof(err));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1 || size > 2 * WIRE_MAX_LINE)
		return 0;
	if ((buf = malloc(size - 1 + 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0: fuzz_request(buf, size - 1); break;
	case 1: fuzz_answer(buf, size - 1); break;
	default: fuzz_lines(buf, size - 1, data[0] % 6 - 2);
	}
	free(buf);
	return 0;
}
