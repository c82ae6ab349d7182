/* SPDX-License-Identifier: ISC */
/* The words of `drain HOST [--deadline DURATION]` as the control socket reads them: pure,
 * so that the fuzzer drives it. A duration is a number of seconds, or with s, m or h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"

/* "90", "90s", "10m", "1.5h": 0 with the seconds, or -1. */
int
broker_parse_duration(const char *s, size_t len, double *out)
{
	char buf[32], *end;
	double unit = 1;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	switch (buf[len - 1]) {
	case 's': unit = 1; buf[--len] = '\0'; break;
	case 'm': unit = 60; buf[--len] = '\0'; break;
	case 'h': unit = 3600; buf[--len] = '\0'; break;
	default: break;
	}
	if (len == 0 || !(buf[0] >= '0' && buf[0] <= '9'))
		return -1;
	*out = strtod(buf, &end) * unit;
	return *end == '\0' && *out > 0 && *out <= BROKER_MAX_DRAIN_DEADLINE ? 0 : -1;
}

int
broker_drain_args(const char *args, char *host, size_t hostlen, double *deadline, char *err,
    size_t errlen)
{
	size_t n = strcspn(args, " ");
	const char *rest = args + n;

	*deadline = -1;
	if (n == 0 || n >= hostlen || !wire_host_valid(args, n))
		return snprintf(err, errlen, "expected a host name"), -1;
	memcpy(host, args, n);
	host[n] = '\0';
	if (*rest == '\0')
		return 0;
	if (strncmp(rest, " --deadline ", 12) != 0)
		return snprintf(err, errlen, "expected \"HOST [--deadline DURATION]\""), -1;
	rest += 12;
	if (broker_parse_duration(rest, strlen(rest), deadline) < 0)
		return snprintf(err, errlen, "--deadline: expected seconds, or a number with s, m or h, up to a week"), -1;
	return 0;
}
