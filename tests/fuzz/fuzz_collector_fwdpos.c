/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/collector/fwdpos.c */
/* libFuzzer target: relp.pos is the collector's service user's file, and forward_relp
 * comes from the configuration: any bytes give an error or a value that formats back
 * to what was read, never a crash. */
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
	struct collector_fwdpos pos, again;
	char buf[256], host[256], port[8], err[256];

	if (collector_fwdpos_parse((const char *)data, size, &pos) == 0) {
		int n = collector_fwdpos_format(&pos, buf, sizeof(buf));
		if (n < 0 || collector_fwdpos_parse(buf, (size_t)n, &again) < 0 ||
		    memcmp(&pos, &again, sizeof(pos)) != 0)
			abort();
	}
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (collector_fwd_addr_parse(s, host, sizeof(host), port, sizeof(port), err,
	    sizeof(err)) == 0 && (host[0] == '\0' || atoi(port) < 1 || atoi(port) > 65535))
		abort();
	free(s);
	return 0;
}
