/* SPDX-License-Identifier: ISC */
/* logship's way to the collector: c-ares on the event loop, then each address in turn. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "logship/logship_priv.h"

/* ---- c-ares on the event loop: its sockets through ARES_OPT_SOCK_STATE_CB, its
 * timeouts through a timer that calls ares_process_fd(BAD, BAD) ---- */

static void
ls_ares_io(int fd, int revents, void *arg)
{
	struct logship *ls = arg;

	ares_process_fd(ls->ch, revents & (POLLIN | POLLERR | POLLHUP) ? fd : ARES_SOCKET_BAD,
	    revents & POLLOUT ? fd : ARES_SOCKET_BAD);
}

static void
ls_ares_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct logship *ls = data;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	if (ev == 0)
		ev_fd_del(ls->loop, fd);
	else if (ev_fd_add(ls->loop, fd, ev, ls_ares_io, ls) < 0)
		ev_fd_mod(ls->loop, fd, ev);
}

static double
ls_ares_tick(void *arg)
{
	struct logship *ls = arg;
	struct timeval tv, max = { 1, 0 }, *t;

	if (ls->state != LS_RESOLVING) {
		ls->ares_timer = NULL;
		return -1;
	}
	ares_process_fd(ls->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	t = ares_timeout(ls->ch, &max, &tv);
	return t->tv_sec + t->tv_usec / 1e6 + 0.001;
}

static void
ls_resolved(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct logship *ls = arg;

	(void)timeouts;
	if (ls->destroying || ls->state != LS_RESOLVING) {
		if (res != NULL)
			ares_freeaddrinfo(res);
		return;
	}
	if (status != ARES_SUCCESS) {
		ls_fail(ls, "resolve %s: %s", ls->host, ares_strerror(status));
		return;
	}
	if (ls->ai != NULL)
		ares_freeaddrinfo(ls->ai);
	ls->ai = res;
	ls->ai_next = res->nodes;
	ls_connect_next(ls);
}

/* A fresh channel per attempt: resolv.conf is read again (c-ares#324). Called from the
 * timer only, never from inside a c-ares callback (c-ares#347). */
void
ls_resolve(struct logship *ls)
{
	struct ares_options o = { .sock_state_cb = ls_ares_sock_state, .sock_state_cb_data = ls,
	    .timeout = 1000, .tries = 2 };
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	int rc;

	if (ls->ch_ok) {
		ares_destroy(ls->ch);
		ls->ch_ok = 0;
	}
	if ((rc = ares_init_options(&ls->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES)) != ARES_SUCCESS) {
		ls_fail(ls, "c-ares: %s", ares_strerror(rc));
		return;
	}
	ls->ch_ok = 1;
	ls->state = LS_RESOLVING;
	ls_set_timer(ls, LS_RESOLVE_TIMEOUT);
	ares_getaddrinfo(ls->ch, ls->host, ls->port, &hints, ls_resolved, ls);
	if (ls->state == LS_RESOLVING && ls->ares_timer == NULL)
		ls->ares_timer = ev_timer_add(ls->loop, 0.05, ls_ares_tick, ls);
}

static void
ls_io(int fd, int revents, void *arg);

void
ls_connect_next(struct logship *ls)
{
	int one = 1;

	ls_close(ls);
	while (ls->ai_next != NULL) {
		struct ares_addrinfo_node *n = ls->ai_next;
		ls->ai_next = n->ai_next;
		int fd = socket(n->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		/* a cut link shows as unacked data: give up on it after ack_timeout */
		unsigned int uto = (unsigned int)(ls->ack_timeout * 1000);
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		if ((connect(fd, n->ai_addr, n->ai_addrlen) == 0 || errno == EINPROGRESS) &&
		    ev_fd_add(ls->loop, fd, POLLOUT, ls_io, ls) == 0) {
			ls->fd = fd;
			ls->state = LS_CONNECTING;
			ls_set_timer(ls, LS_CONNECT_TIMEOUT);
			return;
		}
		snprintf(ls->last_error, sizeof(ls->last_error), "connect %s: %s", ls->host, strerror(errno));
		close(fd);
	}
	ls_fail(ls, "%s", ls->last_error[0] ? ls->last_error : "no address to connect to");
}

static void
ls_on_connect(struct logship *ls)
{
	char line[WIRE_MAX_LINE];
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(ls->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		snprintf(ls->last_error, sizeof(ls->last_error), "connect %s port %s: %s", ls->host,
		    ls->port, strerror(err ? err : errno));
		ls_connect_next(ls);
		return;
	}
	ev_fd_mod(ls->loop, ls->fd, POLLIN);
	if (ls->proto == LOGSHIP_SYSLOG) {
		ls_connected(ls);
		return;
	}
	ls->state = LS_HELLO;
	ls_set_timer(ls, ls->ack_timeout);
	memset(&ls->ss, 0, sizeof(ls->ss));
	ls->ss.version = WIRE_V2;
	snprintf(ls->ss.host, sizeof(ls->ss.host), "%s", ls->hostname);
	snprintf(ls->ss.boot, sizeof(ls->ss.boot), "%s", lspool_boot(ls->sp));
	randombytes_buf(ls->ss.cnonce, sizeof(ls->ss.cnonce));
	ls_send_line(ls, line, wire_hello_format(line, sizeof(line), &ls->ss));
}

static void
ls_io(int fd, int revents, void *arg)
{
	struct logship *ls = arg;

	(void)fd;
	if (ls->state == LS_CONNECTING) {
		ls_on_connect(ls);
		return;
	}
	if (revents & POLLOUT) {
		if (ls_flush(ls) < 0)
			return;
		if (ls->proto == LOGSHIP_SYSLOG)
			ls_syslog_delivered(ls);
		ls_pump(ls);
	}
	if (ls->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		ls_read(ls);
}
