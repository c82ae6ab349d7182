/* SPDX-License-Identifier: ISC */
/* The pure parts of RELP forwarding (forward.c): the forward_relp address and the
 * position file, which says how far into which OUTPUT file rsyslog has acknowledged:
 *
 *	vmmanage-collector relp 1
 *	DEV INO OFFSET
 *
 * It is the service user's file in state_dir, rewritten whole (write, sync, rename). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

#define FWDPOS_MAGIC "vmmanage-collector relp 1\n"

int
collector_fwd_addr_parse(const char *s, char *host, size_t hostcap, char *port, size_t portcap,
    char *err, size_t errlen)
{
	const char *h = s, *hend, *p = NULL;

	if (*s == '[') {
		h = s + 1;
		if ((hend = strchr(h, ']')) == NULL || (hend[1] != '\0' && hend[1] != ':')) {
			snprintf(err, errlen, "\"%s\": an IPv6 address is written [ADDRESS]:PORT", s);
			return -1;
		}
		p = hend[1] == ':' ? hend + 2 : NULL;
	} else if ((hend = strrchr(s, ':')) != NULL) {
		if (strchr(s, ':') != hend) {
			snprintf(err, errlen, "\"%s\": an IPv6 address is written [ADDRESS]:PORT", s);
			return -1;
		}
		p = hend + 1;
	} else
		hend = s + strlen(s);
	if (hend == h || (size_t)(hend - h) >= hostcap) {
		snprintf(err, errlen, "\"%s\": no host, or a host name too long", s);
		return -1;
	}
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	if (p == NULL)
		p = COLLECTOR_FWD_DEFAULT_PORT;
	char *end;
	errno = 0;
	unsigned long n = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 || n < 1 || n > 65535 ||
	    strlen(p) >= portcap) {
		snprintf(err, errlen, "\"%s\": the port must be a number 1..65535", s);
		return -1;
	}
	snprintf(port, portcap, "%lu", n);
	return 0;
}

/* One decimal number of at most 20 digits followed by sep; the end of it in *next. */
static int
fwdpos_num(const char *p, const char *end, char sep, uint64_t *v, const char **next)
{
	uint64_t n = 0;
	const char *q = p;

	while (q < end && *q >= '0' && *q <= '9') {
		unsigned d = (unsigned)(*q - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
		q++;
	}
	if (q == p || q == end || *q != sep)
		return -1;
	*v = n;
	*next = q + 1;
	return 0;
}

int
collector_fwdpos_parse(const char *buf, size_t len, struct collector_fwdpos *pos)
{
	size_t ml = strlen(FWDPOS_MAGIC);
	const char *p = buf + ml, *end = buf + len;
	struct collector_fwdpos v;

	if (len < ml || memcmp(buf, FWDPOS_MAGIC, ml) != 0)
		return -1;
	if (fwdpos_num(p, end, ' ', &v.dev, &p) < 0 || fwdpos_num(p, end, ' ', &v.ino, &p) < 0 ||
	    fwdpos_num(p, end, '\n', &v.off, &p) < 0 || p != end)
		return -1;
	*pos = v;
	return 0;
}

int
collector_fwdpos_format(const struct collector_fwdpos *pos, char *out, size_t cap)
{
	int n = snprintf(out, cap, FWDPOS_MAGIC "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    pos->dev, pos->ino, pos->off);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}
