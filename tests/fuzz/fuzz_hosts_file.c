/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/core/hosts.c src/core/hostday.c src/core/hosts_file.c src/core/state.c src/common/strutil.c */
/* libFuzzer target: state_dir/hosts may be damaged (a full disk, an editor); a line of
 * any bytes must load or be skipped, never crash or leave a record the choice trips on. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_table t;
	char *line = malloc(size + 1);
	char why[256];
	int known;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	hosts_init(&t, 86400, 60, 3600, VMM_HIGHER_IS_WORSE);
	/* several lines in one input, as fgets would hand them over */
	for (char *p = line, *nl; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		hosts_parse_line(&t, p);
	}
	for (size_t i = 0; i < t.nhosts; i++) {
		const struct host_info *h = &t.hosts[i];
		if (!isfinite(h->mean) || h->weight < 0 || h->name[0] == '\0')
			abort();
		hosts_available(&t, h->name, 1e9, why, sizeof(why));
		hosts_badness(&t, h->name, 1e9, &known);
		hosts_sample(&t, h->name, 1, 1e9, 60);
		hosts_failed(&t, h->name, 0, "fuzz", 1e9);
	}
	/* the base's quarter hours: every one loaded is a real time and level */
	for (int i = 0; t.day != NULL && i < HOSTDAY_SLOTS; i++) {
		if (t.day->when[i] != 0 && (!(t.day->when[i] > 0) || !isfinite(t.day->worst[i]) ||
		    isinf(t.day->before[i])))
			abort();
		struct hostday_seen s = hostday_window(t.day, t.day->host, i * HOSTDAY_SLOT_MINUTES,
		    3600, 1e9, 1e9, VMM_HIGHER_IS_WORSE);
		if (s.slots > 0 && !isfinite(s.worst))
			abort();
		hostday_before(t.day, t.day->host, i * HOSTDAY_SLOT_MINUTES, 3 * 3600, 1e9, 1e9);
		hostday_sample(&t.day, t.day->host, i * HOSTDAY_SLOT_MINUTES, 1, 1e9,
		    VMM_HIGHER_IS_WORSE);
	}
	for (size_t i = 0; i < t.npairs; i++)
		if (t.pairs[i].count == 0 || t.pairs[i].from[0] == '\0')
			abort();
	hosts_free(&t);
	free(line);
	return 0;
}
