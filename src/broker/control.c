/* SPDX-License-Identifier: ISC */
/* The broker's control socket (a line in, lines out, then the broker closes) and the
 * CLI's side of it: status, drain HOST [--deadline DURATION], undrain HOST. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/ev.h"
#include "common/log.h"

#define CONTROL_TIMEOUT_MS 2000
/* status --json of BROKER_MAX_VMS VMs and BROKER_MAX_HOSTS hosts fits */
#define CONTROL_MAX_ANSWER (2u << 20)

static size_t
control_status(struct broker *b, char *out, size_t cap)
{
	size_t o = 0;
	double now = ev_now();

	for (size_t i = 0; i < b->nvms && o < cap; i++) {
		const struct broker_vm *vm = &b->vms[i];
		size_t recent = 0;
		for (size_t j = 0; j < vm->nstarts; j++)
			recent += vm->starts[j] > now - 3600;
		o += (size_t)snprintf(out + o, cap - o, "vm %s: on %s, moves in the last hour %zu/%lld, in flight: %s\n",
		    vm->name, vm->location[0] ? vm->location : "unknown", recent, (long long)vm->budget,
		    vm->target[0] ? vm->target : "none");
	}
	for (size_t i = 0; i < b->nhosts && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "host %s: incoming %d/%lld, %s\n", b->hosts[i].name,
		    b->hosts[i].incoming, (long long)b->max_incoming, b->hosts[i].draining ? "draining" : "open");
	return o < cap ? o : cap - 1;
}

static size_t
control_dispatch(struct broker *b, char *line, char *out, size_t cap)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "status") == 0)
		return control_status(b, out, cap);
	if (strcmp(line, "status --json") == 0)
		return broker_status_json(b, out, cap);
	int drain = strncmp(line, "drain ", 6) == 0;
	if (drain || strncmp(line, "undrain ", 8) == 0)
		return broker_drain(b, drain, line + (drain ? 6 : 8), out, cap);
	return (size_t)snprintf(out, cap,
	    "error: unknown command (status [--json], drain HOST [--deadline DURATION], undrain HOST)\n");
}

/* The whole answer, however long; a CLI that stops reading costs CONTROL_TIMEOUT_MS. */
static void
control_send(int fd, const char *p, size_t len)
{
	struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_MS / 1000 };
	size_t off = 0;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t r = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_warn("broker: control socket");
			return;
		}
		off += (size_t)r;
	}
}

static void
control_accept(int lfd, int revents, void *arg)
{
	struct broker *b = arg;
	char line[512], *out;
	struct pollfd p;
	size_t n = 0;
	int fd;

	(void)revents;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	p.fd = fd;
	p.events = POLLIN;
	/* a short wait for the line: the CLI writes it at once */
	while (n < sizeof(line) - 1 && poll(&p, 1, CONTROL_TIMEOUT_MS) == 1) {
		ssize_t r = recv(fd, line + n, sizeof(line) - 1 - n, MSG_DONTWAIT);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n) != NULL)
			break;
	}
	line[n] = '\0';
	if (memchr(line, '\n', n) != NULL && (out = malloc(CONTROL_MAX_ANSWER)) != NULL) {
		size_t len = control_dispatch(b, line, out, CONTROL_MAX_ANSWER);
		control_send(fd, out, len);
		free(out);
	}
	close(fd);
}

int
broker_control_open(struct broker *b, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(b->control_socket) >= sizeof(sa.sun_path))
		return snprintf(err, errlen, "control_socket %s: path too long", b->control_socket), -1;
	strcpy(sa.sun_path, b->control_socket);
	unlink(b->control_socket);
	mode_t old = umask(0117);
	if ((b->control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(b->control_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(b->control_fd, 8) < 0) {
		umask(old);
		return snprintf(err, errlen, "control_socket %s: %s", b->control_socket, strerror(errno)), -1;
	}
	umask(old);
	if (ev_fd_add(b->loop, b->control_fd, POLLIN, control_accept, b) < 0)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

void
broker_control_close(struct broker *b)
{
	if (b->control_fd >= 0) {
		ev_fd_del(b->loop, b->control_fd);
		close(b->control_fd);
		unlink(b->control_socket);
	}
}

int
broker_control_client(const char *path, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int fd, failed = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vmmanage-broker: control_socket %s: %s (is the broker running?)\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (strncmp(buf, "error:", 6) == 0)
			failed = 1;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return failed || n < 0;
}
