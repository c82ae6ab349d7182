/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/collector/frame.c src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: the RFC 5424 / RFC 3164 message parser must take any bytes and keep
 * every field it returns inside the input. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *buf, size_t size, const char *p, size_t n)
{
	if (p != NULL && (p < buf || p + n > buf + size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct collector_syslog s;

	memcpy(buf, data, size);
	collector_syslog_parse(buf, size, &s);
	inside(buf, size, s.host, s.hostlen);
	inside(buf, size, s.tag, s.taglen);
	inside(buf, size, s.procid, s.procidlen);
	inside(buf, size, s.msg, s.msglen);
	if (s.pri > 191)
		abort();
	free(buf);
	return 0;
}
