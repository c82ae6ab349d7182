/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: what an agent sends the collector (HELLO, AUTH, frame headers) must
 * parse to values within the protocol's limits, and read back the same once formatted. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_hello(const char *buf, size_t size)
{
	struct wire_session ss, back;
	char line[WIRE_MAX_LINE], err[128];
	size_t n;

	if (wire_hello_parse(buf, size, &ss, err, sizeof(err)) < 0)
		return;
	if (!wire_host_valid(ss.host, strlen(ss.host)) || strlen(ss.boot) == 0 ||
	    strlen(ss.boot) > WIRE_MAX_BOOT || (ss.version != WIRE_V1 && ss.version != WIRE_V2))
		abort();
	if (ss.version == WIRE_V1)
		return;
	/* a VMM2 HELLO is exactly what wire_hello_format writes */
	n = wire_hello_format(line, sizeof(line), &ss);
	if (n == 0 || n - 1 != size || memcmp(line, buf, size) != 0 ||
	    wire_hello_parse(line, n - 1, &back, err, sizeof(err)) < 0 ||
	    memcmp(&back, &ss, sizeof(ss)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct wire_msghdr m, back;
	uint8_t mac[WIRE_MAC_BYTES];
	char line[WIRE_MAX_LINE], err[128];
	size_t n;

	memcpy(buf, data, size);
	fuzz_hello(buf, size);
	if (wire_auth_parse(buf, size, mac, err, sizeof(err)) == 0 &&
	    ((n = wire_auth_format(line, sizeof(line), mac)) == 0 || n - 1 != size ||
	    memcmp(line, buf, size) != 0))
		abort();
	if (wire_msghdr_parse(buf, size, &m, err, sizeof(err)) == 0) {
		if (m.seq == 0 || m.seq > INT64_MAX || m.len > WIRE_MAX_FRAME)
			abort();
		n = wire_msghdr_format(line, sizeof(line), m.seq, m.epoch, m.len,
		    m.has_mac ? m.mac : NULL);
		if (n == 0 || wire_msghdr_parse(line, n - 1, &back, err, sizeof(err)) < 0 ||
		    memcmp(&back, &m, sizeof(m)) != 0)
			abort();
	}
	free(buf);
	return 0;
}
