/* SPDX-License-Identifier: ISC */
/* Reading what vmmanage and the thesis's scripts logged, a line at a time and without
 * trusting it: the collector's thesis format and JSON lines, the agent's JSON log and its
 * cycle blocks (thesis Listings 4.2/4.3), and the simulator's events.csv. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report/parse.h"

const char *
report_format_name(enum report_format f)
{
	static const char *const names[] = { "unknown", "thesis/collector", "collector JSON",
		"agent JSON", "simulator CSV", "cycle blocks" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

void
report_parser_init(struct report_parser *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < CSV__N; i++)
		p->csv_col[i] = i; /* without a header: the simulator's own order */
	snprintf(p->last_vm, sizeof(p->last_vm), "local");
}

int
report_parse_line(struct report_parser *p, const char *line, size_t len, struct report_rec *out)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	if (len == 0 || *line == '#')
		return 0;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	if (*line == '{')
		return parse_json(p, line, len, out);
	if (isdigit((unsigned char)*line)) {
		size_t i = 0;
		while (i < len && (isdigit((unsigned char)line[i]) || line[i] == '.'))
			i++;
		if (i < len && line[i] == ' ')
			return parse_thesis(p, line, len, out);
		if (i < len && line[i] == ',')
			return parse_csv(p, line, len, out);
		return -1;
	}
	if (len == 9 && memcmp(line, "**-----**", 9) == 0)
		return block_end(p, out);
	if (memchr(line, ',', len) != NULL && memchr(line, ':', len) == NULL)
		return csv_header(p, line, len) < 0 ? -1 : 0;
	return parse_block(p, line, len, out);
}
