/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/collector/frame.c src/collector/escape.c src/common/strutil.c src/common/wire.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: protocol detection, thesis lines, octet-counting headers and
 * escaping must take any bytes; escaped output never holds a control character nor an
 * invisible one (bidi controls, zero-width characters, BOM). */
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
	char *out = malloc(4 * size + 1);
	const char *h, *m;
	size_t hl, ml, fl;

	memcpy(buf, data, size);
	(void)collector_frame_detect(buf, size);
	if (collector_thesis_parse(buf, size, &h, &hl, &m, &ml) == 0 &&
	    (h != buf || hl > size || m + ml != buf + size || !collector_host_valid(h, hl)))
		abort();
	(void)collector_octet_header(buf, size, &fl);
	size_t n = collector_escape(buf, size, out, 4 * size + 1);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *u = (const unsigned char *)out + i;
		if (u[0] < 0x20 || u[0] == 0x7f)
			abort();
		/* no C1 control, bidi control, zero-width character or BOM survives */
		if (i + 1 < n && ((u[0] == 0xc2 && u[1] < 0xa0) || (u[0] == 0xd8 && u[1] == 0x9c)))
			abort();
		if (i + 2 < n && ((u[0] == 0xe2 && u[1] == 0x80 && ((u[2] >= 0x8b && u[2] <= 0x8f) ||
		    (u[2] >= 0xaa && u[2] <= 0xae))) || (u[0] == 0xe2 && u[1] == 0x81 && u[2] >= 0xa0 &&
		    u[2] <= 0xa9) || (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)))
			abort();
	}
	size_t cut = collector_utf8_cut(buf, size, size / 2);
	if (cut > size)
		abort();
	free(out);
	free(buf);
	return 0;
}
