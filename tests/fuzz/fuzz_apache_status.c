/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/sensors/apache_parse.c */
/* libFuzzer target: the mod_status ?auto parser must take any bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/apache_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apache_status st;
	char why[256];
	/* a copy of exactly `size` bytes, so reading past the end is caught */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	int rc = sensor_apache_parse(buf, size, &st);
	sensor_apache_why(&st, why, sizeof(why));
	/* what the sensor relies on */
	if (rc == 0 && (st.idle.state != APACHE_OK || !(st.idle.value >= 0)))
		abort();
	if (st.pairs > st.lines || st.idle.line > st.lines)
		abort();
	free(buf);
	return 0;
}
