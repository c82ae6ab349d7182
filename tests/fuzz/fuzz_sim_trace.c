/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/sim/trace.c src/common/localtime.c src/common/localtime_zone.c src/common/strutil.c */
/* libFuzzer target: vmmanage-sim's demand trace (a CSV of time,value) must be parsed or
 * refused with a message, never crash; a parsed trace has increasing finite times, and
 * looking it up anywhere, repeated or not, gives a finite value. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_trace tr;
	char err[512];
	int64_t e;

	if (sim_trace_parse((const char *)data, size, "fuzz.csv", &tr, err, sizeof(err)) < 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz.csv", 8) != 0)
			abort();
		(void)sim_parse_date((const char *)data, size > 40 ? 40 : size, &e);
		return 0;
	}
	if (tr.n == 0)
		abort();
	for (size_t i = 0; i < tr.n; i++)
		if (!isfinite(tr.t[i]) || !isfinite(tr.v[i]) || (i > 0 && !(tr.t[i] > tr.t[i - 1])))
			abort();
	double probes[] = { tr.t[0] - 1e6, tr.t[0], (tr.t[0] + tr.t[tr.n - 1]) / 2, tr.t[tr.n - 1],
		tr.t[tr.n - 1] + 12345.5, -1e300, 1e300 };
	for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
		for (int repeat = 0; repeat < 2; repeat++) {
			double v = sim_trace_at(&tr, probes[k], repeat);
			if (isfinite(probes[k]) && fabs(probes[k]) < 1e200 && !isfinite(v))
				abort();
		}
	sim_trace_free(&tr);
	return 0;
}
