/* fuzz-sources: src/collector/frame.c */
/* libFuzzer target: the agent protocol's HELLO and frame header parsers must take any
 * bytes and return only values within the protocol's limits. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct collector_hello h;
	struct collector_msghdr m;
	char err[128];

	memcpy(buf, data, size);
	if (collector_hello_parse(buf, size, &h, err, sizeof(err)) == 0 &&
	    (!collector_host_valid(h.host, strlen(h.host)) || strlen(h.boot) == 0 ||
	    strlen(h.boot) > COLLECTOR_MAX_BOOT))
		abort();
	if (collector_msghdr_parse(buf, size, &m, err, sizeof(err)) == 0 &&
	    (m.seq == 0 || m.seq > INT64_MAX || m.len > COLLECTOR_MAX_AGENT_FRAME))
		abort();
	free(buf);
	return 0;
}
