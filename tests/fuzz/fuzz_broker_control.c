/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/broker/drain_args.c src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: the words after "drain " on vmmanage-broker's control socket,
 * "HOST[ --deadline DURATION]". Anything accepted names a valid host and a deadline
 * within the limit. */
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
	char *buf, host[WIRE_MAX_HOST + 1], err[160];
	double deadline;

	if (size > 1024 || (buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (broker_drain_args(buf, host, sizeof(host), &deadline, err, sizeof(err)) == 0 &&
	    (!wire_host_valid(host, strlen(host)) ||
	    (deadline != -1 && !(deadline > 0 && deadline <= BROKER_MAX_DRAIN_DEADLINE))))
		abort();
	if (broker_parse_duration(buf, size, &deadline) == 0 &&
	    !(deadline > 0 && deadline <= BROKER_MAX_DRAIN_DEADLINE))
		abort();
	free(buf);
	return 0;
}
