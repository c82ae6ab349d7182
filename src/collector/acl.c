/* SPDX-License-Identifier: ISC */
/* The allow list: who may write, as CIDR blocks (like MLN's daemon_allow). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

int
collector_cidr_parse(const char *s, struct collector_cidr *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "\"%s\": not an address or CIDR block", s);
		return -1;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", s, addr);
		return -1;
	}
	int max = out->family == AF_INET ? 32 : 128;
	out->prefix = max;
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p < 0 || p > max) {
			snprintf(err, errlen, "\"%s\": prefix length must be 0..%d", s, max);
			return -1;
		}
		out->prefix = (int)p;
	}
	return 0;
}

int
collector_acl_add(struct collector_acl *acl, const char *s, char *err, size_t errlen)
{
	struct collector_cidr c;

	if (collector_cidr_parse(s, &c, err, errlen) < 0)
		return -1;
	struct collector_cidr *n = realloc(acl->v, (acl->n + 1) * sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	acl->v = n;
	acl->v[acl->n++] = c;
	return 0;
}

static int
collector_prefix_match(const uint8_t *a, const uint8_t *b, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int
collector_acl_allows(const struct collector_acl *acl, const struct sockaddr *sa)
{
	const uint8_t *v4 = NULL, *v6 = NULL;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET)
		v4 = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6) {
		v6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		/* a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d */
		if (memcmp(v6, mapped, sizeof(mapped)) == 0)
			v4 = v6 + 12;
	} else
		return 0;
	for (size_t i = 0; i < acl->n; i++) {
		const struct collector_cidr *c = &acl->v[i];
		if (c->family == AF_INET && v4 != NULL && collector_prefix_match(v4, c->addr, c->prefix))
			return 1;
		if (c->family == AF_INET6 && v6 != NULL && collector_prefix_match(v6, c->addr, c->prefix))
			return 1;
	}
	return 0;
}

void
collector_acl_free(struct collector_acl *acl)
{
	free(acl->v);
	acl->v = NULL;
	acl->n = 0;
}
