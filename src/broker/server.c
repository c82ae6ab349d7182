/* SPDX-License-Identifier: ISC */
/* Agents over TCP: the broker protocol's handshake (the VM proves its key before anything
 * is said about it), then MAC'd requests with rising sequence numbers, so that nothing
 * recorded on another connection or earlier on this one is taken again. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <sodium.h>

#include "broker/broker.h"
#include "common/ev.h"
#include "common/log.h"

#define CONN_IN_MAX (WIRE_MAX_LINE + WIRE_BROKER_MAX_PAYLOAD)
#define CONN_OUT_MAX (4 * (WIRE_MAX_LINE + WIRE_BROKER_MAX_PAYLOAD))

enum conn_state { CONN_HELLO, CONN_AUTH, CONN_READY, CONN_BUSY };

struct broker_conn {
	struct broker *b;
	struct broker_conn *next, **prevp;  /* b->conns */
	int fd;
	enum conn_state state;
	char peer[80];
	struct wire_session ss;
	struct broker_vm *vm;        /* once HELLO named a keyed VM */
	uint64_t last_seq;
	char in[CONN_IN_MAX];
	size_t inlen;
	char out[CONN_OUT_MAX];
	size_t outlen;
	struct ev_timer *timer;
	int closing;                 /* close once out is written */
};

static void conn_io(int fd, int revents, void *arg);

/* Refused peers (a wrong key, a replay, garbage, max_clients) are logged once per
 * episode: the first in full, then counted until BROKER_QUIET seconds pass without one,
 * when the count and the last are logged. A hostile guest cannot flood the log. */
#define BROKER_QUIET 10.0
static struct {
	struct ev_timer *timer;
	unsigned long more;
	char last[200];
} refusals;

static double
refusals_end(void *arg)
{
	(void)arg;
	if (refusals.more > 0)
		log_warnx("broker: %lu more refused in the last episode; the last: %s", refusals.more,
		    refusals.last);
	refusals.more = 0;
	refusals.timer = NULL;
	return -1;
}

static void __attribute__((format(printf, 2, 3)))
refused(struct broker *b, const char *fmt, ...)
{
	va_list ap;

	b->st.peers_refused++;
	va_start(ap, fmt);
	vsnprintf(refusals.last, sizeof(refusals.last), fmt, ap);
	va_end(ap);
	if (refusals.timer == NULL) {
		log_warnx("broker: %s", refusals.last);
		refusals.timer = ev_timer_add(b->loop, BROKER_QUIET, refusals_end, NULL);
	} else {
		refusals.more++;
		ev_timer_set(refusals.timer, BROKER_QUIET);
	}
}

static void
conn_close(struct broker_conn *c)
{
	if (c->vm != NULL && c->vm->waiting == c)
		c->vm->waiting = NULL;
	ev_fd_del(c->b->loop, c->fd);
	if (c->timer != NULL)
		ev_timer_del(c->timer);
	close(c->fd);
	c->b->nclients--;
	if (c->next != NULL)
		c->next->prevp = c->prevp;
	*c->prevp = c->next;
	sodium_memzero(&c->ss, sizeof(c->ss));
	free(c);
}

void
broker_conn_detach(struct broker_conn *c)
{
	conn_close(c);
}

static void
conn_flush(struct broker_conn *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen == 0 && c->closing) {
		conn_close(c);
		return;
	}
	ev_fd_mod(c->b->loop, c->fd, (short)(c->outlen > 0 ? POLLOUT : (c->closing ? 0 : POLLIN)));
}

static int
conn_put(struct broker_conn *c, const char *s, size_t n)
{
	if (n > sizeof(c->out) - c->outlen)
		return -1;
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
	return 0;
}

/* Says why and closes once it is written. */
static void
conn_refuse(struct broker_conn *c, const char *why)
{
	char line[WIRE_MAX_LINE];
	size_t n = wire_berr_format(line, sizeof(line), why);

	refused(c->b, "%s%s%s: %s", c->peer, c->vm ? " as " : "", c->vm ? c->vm->name : "", why);
	conn_put(c, line, n);
	c->closing = 1;
	c->state = CONN_BUSY;
}

static void
conn_hello(struct broker_conn *c, const char *line, size_t len)
{
	char err[128], folded[WIRE_MAX_HOST + 1], out[WIRE_MAX_LINE];

	if (wire_bhello_parse(line, len, &c->ss, err, sizeof(err)) < 0)
		return conn_refuse(c, err);
	wire_host_fold(c->ss.host, strlen(c->ss.host), folded);
	c->vm = broker_vm_find(c->b, folded);
	if (c->vm != NULL && !c->vm->has_key)
		c->vm = NULL;
	/* a challenge whatever the name: nothing is said about a VM before its key */
	randombytes_buf(c->ss.snonce, sizeof(c->ss.snonce));
	conn_put(c, out, wire_bchallenge_format(out, sizeof(out), c->ss.snonce));
	c->state = CONN_AUTH;
}

static void
conn_auth(struct broker_conn *c, const char *line, size_t len)
{
	uint8_t mac[WIRE_MAC_BYTES];
	char err[128], out[WIRE_MAX_LINE];

	if (wire_auth_parse(line, len, mac, err, sizeof(err)) < 0)
		return conn_refuse(c, err);
	/* an unknown name costs the same check as a wrong key, against a key no one has */
	static uint8_t nokey[WIRE_KEY_BYTES];
	if (c->vm == NULL)
		randombytes_buf(nokey, sizeof(nokey));
	int good = wire_bmac_check(mac, c->vm ? c->vm->key : nokey, WIRE_BMAC_AUTH, &c->ss, 0,
	    NULL, 0);
	if (c->vm == NULL || !good) {
		refused(c->b, "%s: authentication as %s failed", c->peer, c->ss.host);
		c->vm = NULL;
		conn_put(c, out, wire_berr_format(out, sizeof(out), "authentication failed"));
		c->closing = 1;
		c->state = CONN_BUSY;
		return;
	}
	wire_bmac(mac, c->vm->key, WIRE_BMAC_OK, &c->ss, 0, NULL, 0);
	conn_put(c, out, wire_bok_format(out, sizeof(out), mac));
	c->state = CONN_READY;
	log_debug("broker: %s: authenticated as %s", c->peer, c->vm->name);
}

void
broker_conn_answer(struct broker *b, struct broker_conn *c, uint64_t seq, const char *payload,
    size_t len)
{
	char hdr[WIRE_MAX_LINE];
	uint8_t mac[WIRE_MAC_BYTES];

	(void)b;
	wire_bmac(mac, c->vm->key, WIRE_BMAC_REP, &c->ss, seq, payload, len);
	size_t n = wire_bframe_format(hdr, sizeof(hdr), 'R', seq, len, mac);
	if (conn_put(c, hdr, n) < 0 || conn_put(c, payload, len) < 0) {
		conn_close(c);
		return;
	}
	c->state = CONN_READY;
	if (c->timer != NULL)
		ev_timer_set(c->timer, c->b->client_timeout);
	conn_flush(c);
}

/* A whole request (header line and payload) at c->in: 1 when consumed, 0 to wait. */
static int
conn_request(struct broker_conn *c, const char *nl)
{
	struct wire_bframe f;
	struct wire_breq rq;
	char err[128];
	size_t hlen = (size_t)(nl - c->in);

	if (wire_bframe_parse(c->in, hlen, 'Q', &f, err, sizeof(err)) < 0)
		return conn_refuse(c, err), 1;
	if (c->inlen < hlen + 1 + f.len)
		return 0;
	const char *payload = nl + 1;
	if (!wire_bmac_check(f.mac, c->vm->key, WIRE_BMAC_REQ, &c->ss, f.seq, payload, f.len))
		return conn_refuse(c, "bad request MAC"), 1;
	if (f.seq != c->last_seq + 1) {
		snprintf(err, sizeof(err), "request %llu replayed or out of order (expected %llu)",
		    (unsigned long long)f.seq, (unsigned long long)c->last_seq + 1);
		return conn_refuse(c, err), 1;
	}
	c->last_seq = f.seq;
	if (wire_breq_parse(payload, f.len, &rq, err, sizeof(err)) < 0)
		return conn_refuse(c, err), 1;
	c->state = CONN_BUSY;
	/* nothing is read while a request runs (the answer turns input on again): a
	 * client that closed during a long move must not wake the loop without end */
	ev_fd_mod(c->b->loop, c->fd, 0);
	memmove(c->in, payload + f.len, c->inlen - (hlen + 1 + f.len));
	c->inlen -= hlen + 1 + f.len;
	broker_vm_request(c->b, c->vm, c, f.seq, &rq, c->peer);
	return 2;
}

/* Handles what is buffered; returns -1 once c is gone or waits for a job. */
static int
conn_input(struct broker_conn *c)
{
	while (c->state != CONN_BUSY) {
		char *nl = memchr(c->in, '\n', c->inlen < WIRE_MAX_LINE ? c->inlen : WIRE_MAX_LINE);
		if (nl == NULL) {
			if (c->inlen >= WIRE_MAX_LINE)
				conn_refuse(c, "line too long");
			return 0;
		}
		size_t len = (size_t)(nl - c->in);
		if (c->state == CONN_READY) {
			int r = conn_request(c, nl);
			if (r == 0)
				return 0;
			if (r == 2)
				return -1;
			continue;
		}
		if (c->state == CONN_HELLO)
			conn_hello(c, c->in, len);
		else
			conn_auth(c, c->in, len);
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
	}
	return 0;
}

static void
conn_io(int fd, int revents, void *arg)
{
	struct broker_conn *c = arg;

	if ((revents & (POLLERR | POLLHUP)) && !(revents & POLLIN)) {
		conn_close(c);  /* gone, even in the middle of a move: that goes on */
		return;
	}
	if (revents & POLLOUT) {
		conn_flush(c);
		return;
	}
	if (c->closing || c->state == CONN_BUSY) {
		ev_fd_mod(c->b->loop, fd, 0);
		return;
	}
	ssize_t n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	/* the handshake must end within client_timeout of the connect, however slowly its
	 * bytes trickle in: an unauthenticated peer cannot hold a slot for long */
	if (c->timer != NULL && c->state == CONN_READY)
		ev_timer_set(c->timer, c->b->client_timeout);
	if (conn_input(c) < 0)
		return;
	conn_flush(c);
}

static double
conn_timeout(void *arg)
{
	struct broker_conn *c = arg;

	if (c->state == CONN_BUSY && !c->closing)
		return c->b->client_timeout;  /* a move in progress: its answer will come */
	log_warnx("broker: %s: no request within %.0f s; closed", c->peer, c->b->client_timeout);
	c->timer = NULL;
	conn_close(c);
	return -1;
}

static void
broker_accept(int lfd, int revents, void *arg)
{
	struct broker *b = arg;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	char host[64], serv[16];
	int fd;

	(void)revents;
	if ((fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	if ((int64_t)b->nclients >= b->max_clients) {
		refused(b, "max_clients (%lld) reached; a connection refused", (long long)b->max_clients);
		close(fd);
		return;
	}
	struct broker_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || ev_fd_add(b->loop, fd, POLLIN, conn_io, c) < 0) {
		free(c);
		close(fd);
		return;
	}
	b->nclients++;
	c->next = b->conns;
	if (c->next != NULL)
		c->next->prevp = &c->next;
	c->prevp = &b->conns;
	b->conns = c;
	c->b = b;
	c->fd = fd;
	/* a line is a whole message, answered before the next: no coalescing */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (getnameinfo((struct sockaddr *)&sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof(host), "?");
	snprintf(c->peer, sizeof(c->peer), "%s", host);
	c->timer = ev_timer_add(b->loop, b->client_timeout, conn_timeout, c);
}

int
broker_listen(struct broker *b, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res;
	int one = 1, rc;

	if ((rc = getaddrinfo(b->listen_host, b->listen_port, &hints, &res)) != 0)
		return snprintf(err, errlen, "listen %s:%s: %s", b->listen_host, b->listen_port,
		    gai_strerror(rc)), -1;
	b->listen_fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->listen_fd < 0 ||
	    setsockopt(b->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(b->listen_fd, res->ai_addr, res->ai_addrlen) < 0 || listen(b->listen_fd, 64) < 0) {
		snprintf(err, errlen, "listen %s:%s: %s", b->listen_host, b->listen_port, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

void
broker_server_stop(struct broker *b)
{
	while (b->conns != NULL)
		conn_close(b->conns);
	if (refusals.timer != NULL) {
		ev_timer_del(refusals.timer);
		refusals_end(NULL);
	}
	if (b->listen_fd >= 0) {
		ev_fd_del(b->loop, b->listen_fd);
		close(b->listen_fd);
		b->listen_fd = -1;
	}
}

void
broker_server_start(struct broker *b)
{
	if (ev_fd_add(b->loop, b->listen_fd, POLLIN, broker_accept, b) < 0)
		fatalx("out of memory");
}
