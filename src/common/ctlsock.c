/* SPDX-License-Identifier: ISC */
/* The daemons' control sockets: one line in, the answer out, then the daemon closes. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctlsock.h"

int
ctlsock_listen(const char *path, mode_t mask, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return snprintf(err, errlen, "control_socket %s: path too long", path), -1;
	strcpy(sa.sun_path, path);
	unlink(path);
	mode_t old = umask(mask);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		umask(old);
		if (fd >= 0)
			close(fd);
		return snprintf(err, errlen, "control_socket %s: %s", path, strerror(e)), -1;
	}
	umask(old);
	return fd;
}

int
ctlsock_read_line(int fd, char *line, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	int whole = 0;

	/* the CLI writes its line at once: a short wait, never the loop held for long */
	while (n < cap - 1 && poll(&p, 1, CTLSOCK_TIMEOUT_MS) == 1) {
		ssize_t r = recv(fd, line + n, cap - 1 - n, MSG_DONTWAIT);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n) != NULL) {
			whole = 1;
			break;
		}
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return whole ? 0 : -1;
}

int
ctlsock_send(int fd, const char *p, size_t len)
{
	struct timeval tv = { .tv_sec = CTLSOCK_TIMEOUT_MS / 1000 };
	size_t off = 0;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t r = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EPIPE;
			return -1;
		}
		off += (size_t)r;
	}
	return 0;
}

int
ctlsock_ask(const char *path, const char *line, const char *who, const char *hint)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int fd, failed = 0, first = 1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "%s: control_socket %s: %s (%s)\n", who, path, strerror(errno), hint);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "%s: control_socket %s: %s\n", who, path, strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (first && strncmp(buf, "error:", 6) == 0)
			failed = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	if (n < 0)
		fprintf(stderr, "%s: control_socket %s: %s\n", who, path, strerror(errno));
	close(fd);
	return failed || n < 0 || first;
}
