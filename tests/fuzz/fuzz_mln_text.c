/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/endpoints/mln_text.c */
/* libFuzzer target: the mln endpoint reads an administrator's template and the output of
 * an administrator's locate command. Any bytes must give a project file whose every
 * service_host line names the target's host and whose first line is the mark, and a
 * located host that is one word of printable characters; never a crash. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/mln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each service_host line of text names host; how many there are. */
static size_t
check_project(const char *text, const char *host)
{
	size_t n = 0;

	if (strncmp(text, MLN_MARK, strlen(MLN_MARK)) != 0)
		abort();
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *p = line + strspn(line, " \t");
		if ((size_t)(p - line) + 13 < len && strncmp(p, "service_host", 12) == 0 &&
		    (p[12] == ' ' || p[12] == '\t')) {
			if (strncmp(p + 13, host, strlen(host)) != 0 || p + 13 + strlen(host) != line + len)
				abort();
			n++;
		}
		line += len + (line[len] == '\n');
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), host[16];

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	char *text = mln_project_text(in, "/etc/vmmanage/nii1.mln", "2", "mln2.example.org");
	if (text != NULL) {
		if (mln_has_service_host(in) != (check_project(text, "mln2.example.org") > 0))
			abort();
	}
	free(text);
	mln_locate_answer(in, host, sizeof(host));
	for (const char *c = host; *c; c++)
		if (!isgraph((unsigned char)*c))
			abort();
	free(in);
	return 0;
}
