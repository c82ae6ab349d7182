/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/core/quiet.c src/core/journal.c src/core/conf.c src/core/conf_include.c src/core/conf_get.c src/core/conf_check.c src/core/conf_keys.c src/core/keys.c src/common/secret.c src/common/strutil.c src/common/buf.c */
/* fuzz-pkgs: libconfig */
/* libFuzzer target: the quiet windows' syntax (the `quiet` key, shared with work_hours and
 * work_days) must take any text and answer with windows or a message, never crash; the
 * windows it takes must answer "until when" for every minute of the week in bounds. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/quiet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hold_conf h;
	char *s, err[256], until[16];
	const char *text;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&h, 0, sizeof(h));
	if (quiet_parse(s, &h, err, sizeof(err)) == 0) {
		for (int t = 0; t < QUIET_WEEK; t += 7) {
			const struct quiet_window *w;
			int left = quiet_left(&h, t / 1440, t % 1440, &w);
			if (left < 0 || left > QUIET_WEEK || (left > 0) != (w != NULL))
				abort();
			struct vmm_local_time lt = { .valid = 1, .weekday = t / 1440,
				.hour = t % 1440 / 60, .minute = t % 60 };
			if (quiet_now(&h, &lt, &text, until, sizeof(until)) != (left > 0))
				abort();
		}
	}
	free(s);
	return 0;
}
