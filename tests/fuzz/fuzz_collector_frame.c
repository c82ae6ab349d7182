/* fuzz-sources: src/collector/frame.c src/collector/escape.c */
/* libFuzzer target: protocol detection, thesis lines, octet-counting headers and
 * escaping must take any bytes; escaped output never holds a control character. */
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
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	size_t cut = collector_utf8_cut(buf, size, size / 2);
	if (cut > size)
		abort();
	free(out);
	free(buf);
	return 0;
}
