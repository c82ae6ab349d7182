/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/broker/moves_line.c src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: a line of the broker's record of moves (state_dir/moves.VM), read
 * back after a crash, a full disk or an editor. Anything accepted writes back to a line
 * that reads the same. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct broker_move m, again;
	char line[WIRE_MAX_LINE + 700], line2[WIRE_MAX_LINE + 700];
	size_t n, n2;

	if (broker_moves_parse((const char *)data, size, &m) < 0)
		return 0;
	if (m.action < 1 || m.action >= VMM_ACT__COUNT || !wire_host_valid(m.target, strlen(m.target)))
		abort();
	if ((n = broker_moves_format(line, sizeof(line), &m)) == 0 || line[n - 1] != '\n')
		abort();
	if (broker_moves_parse(line, n - 1, &again) < 0)
		abort();
	if ((n2 = broker_moves_format(line2, sizeof(line2), &again)) != n || memcmp(line, line2, n) != 0)
		abort();
	return 0;
}
