/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/common/localtime_zone.c */
/* libFuzzer target: a tzfile (the simulator reads the one its timezone names) and a
 * POSIX TZ string (which a timezone may be) must be read or refused, never crash, and
 * the zone read must answer for any time. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/localtime_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_times(const struct vmm_zone *z)
{
	static const int64_t times[] = { -(INT64_C(1) << 53), -2208988800, -1, 0, 1241613863,
		2147483647, 2392848000, 4102444800, INT64_C(1) << 53 };

	for (size_t i = 0; i < sizeof(times) / sizeof(*times); i++) {
		const struct vmm_zone_type *t = vmm_zone_type_at(z, times[i]);
		if (t == NULL || strlen(t->abbr) >= sizeof(t->abbr))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_zone *z = vmm_zone_from_tzif(data, size);
	char err[256];

	if (z != NULL) {
		fuzz_times(z);
		vmm_zone_free(z);
	}
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((z = vmm_zone_load(s[0] == '/' || s[0] == '.' ? "" : s, err, sizeof(err))) != NULL) {
		fuzz_times(z);
		vmm_zone_free(z);
	}
	free(s);
	return 0;
}
