/* SPDX-License-Identifier: ISC */
/* The mln endpoint's text: the project file written for a target from its template,
 * and the host a locate command's output names. Pure functions: the fuzzer calls them. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mln.h"

/* The `service_host` keyword of a line, or NULL: what follows the indentation. */
static const char *
mln_service_host_line(const char *line, size_t len)
{
	const char *p = line;

	while (p < line + len && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(line + len - p) > 12 && strncmp(p, "service_host", 12) == 0 &&
	    (p[12] == ' ' || p[12] == '\t'))
		return p;
	return NULL;
}

int
mln_has_service_host(const char *tmpl)
{
	for (const char *line = tmpl; *line;) {
		size_t len = strcspn(line, "\n");
		if (mln_service_host_line(line, len) != NULL)
			return 1;
		line += len + (line[len] == '\n');
	}
	return 0;
}

char *
mln_project_text(const char *tmpl, const char *tmpl_path, const char *target,
    const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return NULL;
	/* a path with a line break would end the comment early: name the file only then */
	fprintf(m, "%sthe project for host %s, from %s; rewritten at each move\n", MLN_MARK,
	    target, strpbrk(tmpl_path, "\r\n") ? "its template" : tmpl_path);
	for (const char *line = tmpl; *line;) {
		size_t n = strcspn(line, "\n");
		const char *kw = mln_service_host_line(line, n);
		if (kw != NULL)
			fprintf(m, "%.*sservice_host %s\n", (int)(kw - line), line, host);
		else
			fprintf(m, "%.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Blank lines and a leading `location=` (as the exec endpoint's commands print it) are
 * skipped; the host ends at the first character that is not printable or is a space,
 * so nothing else of the output reaches a log line. */
void
mln_locate_answer(const char *out, char *host, size_t len)
{
	host[0] = '\0';
	for (const char *p = out; p != NULL && *p; ) {
		p += strspn(p, " \t\r\n");
		if (strncmp(p, "location=", 9) == 0)
			p += 9;
		size_t n = 0;
		while (isgraph((unsigned char)p[n]))
			n++;
		if (n > 0 || (*p != '\0' && strchr(" \t\r\n", *p) == NULL)) {
			snprintf(host, len, "%.*s", (int)n, p);
			return;
		}
	}
}
