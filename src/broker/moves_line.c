/* SPDX-License-Identifier: ISC */
/* One line of the record of moves (moves.c), apart from the files and the loop so that a
 * fuzz target can take it: the record is read back after a crash or a full disk, and a
 * damaged line must be refused, never trusted. Pure. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"

/* "ID ACTION TARGET CROSS STARTED -" (running) or "... DONE ..." (the answer) */
size_t
broker_moves_format(char *out, size_t cap, const struct broker_move *m)
{
	int n = snprintf(out, cap, "%016" PRIx64 " %d %s %d %lld ", m->id, m->action, m->target,
	    m->cross_site, (long long)m->started);

	if (n < 0 || (size_t)n >= cap)
		return 0;
	if (!m->done)
		return (size_t)n + (size_t)snprintf(out + n, cap - (size_t)n, "-\n") < cap ?
		    (size_t)n + 2 : 0;
	size_t a = wire_bans_format(out + n, cap - (size_t)n, &m->ans);
	return a == 0 ? 0 : (size_t)n + a;
}

int
broker_moves_parse(const char *line, size_t len, struct broker_move *m)
{
	char buf[WIRE_MAX_LINE + 700], id[17], target[WIRE_MAX_HOST + 1], err[64], *e;
	long long started;
	int off = 0;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	memset(m, 0, sizeof(*m));
	if (sscanf(buf, "%16s %d %64s %d %lld %n", id, &m->action, target, &m->cross_site, &started,
	    &off) != 5 || off == 0 || strlen(id) != 16 || !wire_host_valid(target, strlen(target)) ||
	    m->action < 1 || m->action >= VMM_ACT__COUNT || (m->cross_site != 0 && m->cross_site != 1))
		return -1;
	m->id = strtoull(id, &e, 16);
	if (*e != '\0')
		return -1;
	snprintf(m->target, sizeof(m->target), "%s", target);
	m->started = started;
	if (strcmp(buf + off, "-") == 0)
		return 0;
	if (wire_bans_parse(buf + off, len - (size_t)off, &m->ans, err, sizeof(err)) < 0 ||
	    m->ans.kind != WIRE_BANS_DONE)
		return -1;
	m->done = 1;
	return 0;
}

