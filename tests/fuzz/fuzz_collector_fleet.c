/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/collector/fleet_file.c src/common/wire.c src/common/log.c src/common/buf.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: fleet.state is written by the collector's service user and read
 * back at start: any line must give an error or a VM whose line, written again, reads
 * back the same; never a crash, a read past the line or a leak. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/server.h"
#include "common/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collector_vm vm, again;
	char host[COLLECTOR_MAX_HOST + 1], host2[COLLECTOR_MAX_HOST + 1];
	struct vmm_buf b;
	char *line;

	if (size > 65536 || (line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (memchr(line, '\n', size) == NULL && fleet_parse_line(line, &vm, host) == 0) {
		vmm_buf_init(&b, 256, 65536);
		fleet_format_vm(&b, &vm);
		if (b.p == NULL || b.len == 0 || b.p[b.len - 1] != '\n')
			abort();
		b.p[--b.len] = '\0';
		if (fleet_parse_line(b.p, &again, host2) != 0 || strcmp(host, host2) != 0)
			abort();
		again.host = vm.host;
		if (memcmp(&vm, &again, sizeof(vm)) != 0)
			abort();
		vmm_buf_free(&b);
	}
	free(line);
	return 0;
}
