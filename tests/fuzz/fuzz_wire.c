/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: the agent protocol in both directions. The first byte picks the side:
 * even, the collector reading an agent's greeting (HELLO, AUTH); odd, the agent reading a
 * collector's reply (CHALLENGE, OK, A, ERR) as VMM2 and as VMM1. Any bytes must parse to
 * values within the protocol's limits, and a reply must read back the same once formatted;
 * a reply that is not exactly what a collector writes is refused. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_greeting(const char *buf, size_t size)
{
	struct wire_session ss;
	uint8_t mac[WIRE_MAC_BYTES];
	char err[128], folded[WIRE_MAX_HOST + 1];

	if (wire_hello_parse(buf, size, &ss, err, sizeof(err)) == 0) {
		size_t hl = strlen(ss.host), fl = wire_host_fold(ss.host, hl, folded);
		if (!wire_host_valid(ss.host, hl) || fl > hl || strlen(folded) != fl ||
		    (fl > 0 && folded[fl - 1] == '.') || strlen(ss.boot) > WIRE_MAX_BOOT)
			abort();
	}
	if (wire_auth_parse(buf, size, mac, err, sizeof(err)) == 0 && size != 5 + 2 * WIRE_MAC_BYTES)
		abort();
	(void)wire_magic(buf, size);
}

static void
fuzz_reply(const char *buf, size_t size, enum wire_version v)
{
	struct wire_reply r;
	char line[WIRE_MAX_LINE], err[128];
	size_t n = 0;

	if (wire_reply_parse(buf, size, v, &r, err, sizeof(err)) < 0)
		return;
	switch (r.kind) {
	case WIRE_REPLY_CHALLENGE:
		if (v != WIRE_V2)
			abort();
		n = wire_challenge_format(line, sizeof(line), r.snonce);
		break;
	case WIRE_REPLY_OK:
		n = wire_ok_format(line, sizeof(line), v, r.seq, r.has_mac ? r.mac : NULL);
		break;
	case WIRE_REPLY_ACK:
		n = wire_ack_format(line, sizeof(line), r.seq, r.has_mac ? r.mac : NULL);
		break;
	case WIRE_REPLY_ERR:
		if (r.why < buf || r.why + r.whylen != buf + size)
			abort();
		return;
	default:
		abort();
	}
	if (r.seq > INT64_MAX || n == 0 || n - 1 != size || memcmp(line, buf, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	if (data[0] % 2 == 0)
		fuzz_greeting(buf, size - 1);
	else {
		fuzz_reply(buf, size - 1, WIRE_V2);
		fuzz_reply(buf, size - 1, WIRE_V1);
	}
	free(buf);
	return 0;
}
