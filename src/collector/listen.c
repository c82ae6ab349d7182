/* SPDX-License-Identifier: ISC */
/* Listening sockets from "host:port" and "[v6]:port" specifications. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector.h"

int
collector_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
    size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *hend;
	long p = COLLECTOR_DEFAULT_PORT;

	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (hend == NULL) {
			snprintf(err, errlen, "\"%s\": missing ']'", s);
			return -1;
		}
		port = hend[1] == ':' ? hend + 2 : hend[1] == '\0' ? NULL : hend + 1;
		s++;
	} else {
		hend = strrchr(s, ':');
		port = hend ? hend + 1 : NULL;
		if (hend == NULL)
			hend = s + strlen(s);
	}
	if ((size_t)(hend - s) >= sizeof(host) || hend == s) {
		snprintf(err, errlen, "\"%s\": expected ADDRESS:PORT or [IPV6]:PORT", s);
		return -1;
	}
	memcpy(host, s, (size_t)(hend - s));
	host[hend - s] = '\0';
	if (port != NULL) {
		char *end;
		p = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || p < 1 || p > 65535) {
			snprintf(err, errlen, "\"%s\": port must be 1..65535", s);
			return -1;
		}
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*v6);
	} else {
		snprintf(err, errlen, "\"%s\": \"%s\" is not a numeric IPv4 or IPv6 address", s, host);
		return -1;
	}
	return 0;
}

int
collector_listen(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1;

	if (collector_addr_parse(spec, &ss, &sslen, err, errlen) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]:port" and "0.0.0.0:port" may both be listed: keep the families apart */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 4096) < 0) {
		snprintf(err, errlen, "%s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
