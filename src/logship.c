/* logship: spool, then send over one persistent connection; see logship.h. The connection
 * is a small state machine driven by the event loop: BACKOFF -> RESOLVING (c-ares, a new
 * channel at every attempt, since a VM that moved may have a new resolver and the name a
 * new address) -> CONNECTING (each address in turn) -> HELLO -> (with a key: AUTH) ->
 * STREAMING. With a key, only what the collector proves with that key (a MAC over this
 * connection's nonces) trims the spool: anyone else posing as the collector trims nothing. */
#include "config.h"

#include <ares.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/secret.h"
#include "common/wire.h"
#include "ev.h"
#include "logship.h"
#include "logship_spool.h"

#define LS_RESOLVE_TIMEOUT 5.0
#define LS_CONNECT_TIMEOUT 5.0
#define LS_BACKOFF_MIN 0.5
#define LS_BACKOFF_MAX 30.0
#define LS_WINDOW_FRAMES 4096      /* frames in flight without an ack */
#define LS_OUT_MAX (256 * 1024)    /* bytes queued for the socket */
#define LS_TICK 0.2
#define LS_REC_CAP (LOGSHIP_MAX_MSG + 1024)
/* a frame is queued only below LS_OUT_MAX, with room for its header and payload */
#define LS_OUT_CAP (LS_OUT_MAX + LS_REC_CAP + 1024)

enum ls_state { LS_BACKOFF, LS_RESOLVING, LS_CONNECTING, LS_HELLO, LS_AUTH, LS_STREAMING };

struct logship {
	struct ev_loop *loop;
	char *host, *port, hostname[256];
	enum logship_protocol proto;
	double ack_timeout;
	int has_key;
	uint8_t key[WIRE_KEY_BYTES];
	struct wire_session ss;     /* this connection's: what every MAC covers */
	uint64_t untrusted;         /* replies refused as unauthenticated since the last good one */
	void (*warn)(const char *msg);
	struct lspool *sp;
	enum ls_state state;
	struct ev_timer *timer, *ares_timer;
	double timer_delay, backoff, last_progress;
	ares_channel ch;
	int ch_ok, destroying;
	struct ares_addrinfo *ai;
	struct ares_addrinfo_node *ai_next;
	int fd, want_out;
	char in[512];
	size_t inlen;
	struct vmm_buf out;         /* bytes queued for the socket */
	struct lspool_cursor cur;
	uint64_t sent_seq;          /* the highest seq queued on this connection */
	char *rec;                  /* one spooled payload */
	char last_error[160];
};

static void ls_fail(struct logship *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ls_connect_next(struct logship *ls);
static void ls_pump(struct logship *ls);

static void
ls_set_timer(struct logship *ls, double d)
{
	ls->timer_delay = d;
	ev_timer_set(ls->timer, d);
}

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

/* ---- the connection ---- */

static void
ls_close(struct logship *ls)
{
	if (ls->fd >= 0) {
		ev_fd_del(ls->loop, ls->fd);
		close(ls->fd);
		ls->fd = -1;
	}
	ls->inlen = 0;
	vmm_buf_reset(&ls->out);
	ls->want_out = 0;
}

static void
ls_fail(struct logship *ls, const char *fmt, ...)
{
	va_list ap;
	double jitter = 0.8 + 0.4 * (double)(randombytes_uniform(1000)) / 1000.0;

	char why[sizeof(ls->last_error)];

	/* fmt may take ls->last_error itself as an argument */
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memcpy(ls->last_error, why, sizeof(why));
	ls_close(ls);
	ls->state = LS_BACKOFF;
	ls_set_timer(ls, ls->backoff * jitter);
	ls->backoff = ls->backoff * 2 < LS_BACKOFF_MAX ? ls->backoff * 2 : LS_BACKOFF_MAX;
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
static void
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

static void
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
ls_want_out(struct logship *ls, int on)
{
	if (ls->want_out != on) {
		ls->want_out = on;
		ev_fd_mod(ls->loop, ls->fd, (short)(POLLIN | (on ? POLLOUT : 0)));
	}
}

/* Writes what is queued; -1 when the connection failed (and is closed). */
static int
ls_flush(struct logship *ls)
{
	size_t off = 0;

	while (off < ls->out.len) {
		ssize_t n = send(ls->fd, ls->out.p + off, ls->out.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			ls_fail(ls, "send: %s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	vmm_buf_consume(&ls->out, off);
	ls_want_out(ls, ls->out.len > 0);
	return 0;
}

/* Plain syslog has no acks: a record counts as delivered once the peer's TCP has
 * acknowledged every byte we sent (nothing left in SIOCOUTQ). */
static void
ls_syslog_delivered(struct logship *ls)
{
	int unacked = 0;

	if (ls->out.len == 0 && ioctl(ls->fd, SIOCOUTQ, &unacked) == 0 && unacked == 0)
		lspool_ack(ls->sp, ls->sent_seq);
}

static void
ls_connected(struct logship *ls)
{
	ls->state = LS_STREAMING;
	ls->backoff = LS_BACKOFF_MIN;
	ls->last_error[0] = '\0';
	ls->cur = (struct lspool_cursor){ .seq = lspool_acked(ls->sp) + 1 };
	ls->sent_seq = lspool_acked(ls->sp);
	ls->last_progress = ev_now();
	ls_set_timer(ls, LS_TICK);
	ls_pump(ls);
}

/* Queues a handshake line (HELLO, AUTH) and sends it. */
static void
ls_send_line(struct logship *ls, const char *line, size_t len)
{
	if (len == 0 || vmm_buf_append(&ls->out, line, len) < 0) {
		ls_fail(ls, "cannot queue the handshake");
		return;
	}
	ls_flush(ls);
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
ls_warn(struct logship *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ls_warn(struct logship *ls, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ls->warn != NULL)
		ls->warn(msg);
	else
		fprintf(stderr, "logship: %s\n", msg);
}

/* With a key, a reply that does not prove it trims nothing: the connection is dropped and
 * the spool kept. Said once per episode, which an authenticated collector ends. */
static void
ls_untrusted(struct logship *ls, const char *why)
{
	if (ls->untrusted++ == 0)
		ls_warn(ls, "collector %s: %s: not trusted, the spool is kept (%" PRIu64 " messages)",
		    ls->host, why, lspool_pending(ls->sp));
	ls_fail(ls, "collector not authenticated: %s", why);
}

static void
ls_trusted(struct logship *ls)
{
	if (ls->untrusted > 0)
		ls_warn(ls, "collector %s: authenticated again, after %" PRIu64
		    " unauthenticated replies", ls->host, ls->untrusted);
	ls->untrusted = 0;
}

/* An OK or an ack: with a key its MAC must be the collector's for this connection. */
static int
ls_reply_authentic(struct logship *ls, const struct wire_reply *r, enum wire_mac_kind kind)
{
	if (!ls->has_key)
		return 1;
	if (kind == WIRE_MAC_OK && ls->state != LS_AUTH) {
		ls_untrusted(ls, "it answered HELLO without asking for the key");
		return 0;
	}
	if (!r->has_mac || !wire_mac_check(r->mac, ls->key, kind, &ls->ss, r->seq, 0, NULL, 0)) {
		ls_untrusted(ls, r->has_mac ? "an acknowledgement with a bad MAC" :
		    "an acknowledgement without a MAC");
		return 0;
	}
	return 1;
}

static void
ls_challenged(struct logship *ls, const struct wire_reply *r)
{
	uint8_t mac[WIRE_MAC_BYTES];
	char line[WIRE_MAX_LINE];

	if (!ls->has_key) {
		ls_fail(ls, "collector asks for this host's key (collector_key_file is not set)");
		return;
	}
	memcpy(ls->ss.snonce, r->snonce, sizeof(ls->ss.snonce));
	wire_mac(mac, ls->key, WIRE_MAC_AUTH, &ls->ss, 0, 0, NULL, 0);
	ls->state = LS_AUTH;
	ls_send_line(ls, line, wire_auth_format(line, sizeof(line), mac));
}

/* One reply line from the collector. */
static void
ls_reply(struct logship *ls, const char *line)
{
	struct wire_reply r;
	char err[128];

	if (wire_reply_parse(line, strlen(line), WIRE_V2, &r, err, sizeof(err)) < 0) {
		if (ls->has_key)
			ls_untrusted(ls, err);
		else
			ls_fail(ls, "collector: %s", err);
		return;
	}
	if (r.kind == WIRE_REPLY_ERR)
		ls_fail(ls, "collector refused: %.*s", (int)(r.whylen < 100 ? r.whylen : 100), r.why);
	else if (ls->state == LS_HELLO && r.kind == WIRE_REPLY_CHALLENGE)
		ls_challenged(ls, &r);
	else if ((ls->state == LS_HELLO || ls->state == LS_AUTH) && r.kind == WIRE_REPLY_OK) {
		if (!ls_reply_authentic(ls, &r, WIRE_MAC_OK))
			return;
		lspool_ack(ls->sp, r.seq);
		/* one on the path may relay a true OK and forge the acks: only an ack (or an
		 * OK that leaves nothing to ack) ends the episode */
		if (lspool_pending(ls->sp) == 0)
			ls_trusted(ls);
		ls_connected(ls);
	} else if (ls->state == LS_STREAMING && r.kind == WIRE_REPLY_ACK) {
		if (!ls_reply_authentic(ls, &r, WIRE_MAC_ACK))
			return;
		ls_trusted(ls);
		lspool_ack(ls->sp, r.seq);
		ls->last_progress = ev_now();
		ls_pump(ls);
	} else
		ls_fail(ls, "collector: unexpected reply \"%.60s\"", line);
}

static void
ls_read(struct logship *ls)
{
	ssize_t n = read(ls->fd, ls->in + ls->inlen, sizeof(ls->in) - 1 - ls->inlen);
	char *p, *lf;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ls_fail(ls, n == 0 ? "the collector closed the connection" : "read: %s", strerror(errno));
		return;
	}
	ls->inlen += (size_t)n;
	ls->in[ls->inlen] = '\0';
	p = ls->in;
	while (ls->fd >= 0 && (lf = strchr(p, '\n')) != NULL) {
		*lf = '\0';
		ls_reply(ls, p);
		p = lf + 1;
	}
	if (ls->fd < 0)
		return;
	ls->inlen -= (size_t)(p - ls->in);
	memmove(ls->in, p, ls->inlen);
	if (ls->inlen == sizeof(ls->in) - 1)
		ls_fail(ls, "collector: reply line too long");
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

/* ---- frames ---- */

static void
ls_frame_vmmanage(struct logship *ls, const struct lspool_rec *r)
{
	uint8_t mac[WIRE_MAC_BYTES];

	if (ls->has_key)
		wire_mac(mac, ls->key, WIRE_MAC_FRAME, &ls->ss, r->seq, r->epoch, ls->rec, r->len);
	ls->out.len += wire_msghdr_format(ls->out.p + ls->out.len, WIRE_MAX_LINE, r->seq, r->epoch,
	    r->len, ls->has_key ? mac : NULL);
}

static void
ls_frame_syslog(struct logship *ls, const struct lspool_rec *r)
{
	char head[512], stamp[32];
	struct tm tm;
	time_t t = (time_t)r->epoch;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* <30> = daemon.info; RFC 5424 with no structured data, octet-counted (RFC 6587) */
	int hl = snprintf(head, sizeof(head), "<30>1 %s %s vmmanage - - - ", stamp, ls->hostname);
	ls->out.len += (size_t)snprintf(ls->out.p + ls->out.len, 600, "%zu %s", (size_t)hl + r->len, head);
}

static void
ls_pump(struct logship *ls)
{
	struct lspool_rec r;

	if (ls->state != LS_STREAMING || ls->fd < 0)
		return;
	if (ls->sent_seq == lspool_acked(ls->sp))
		ls->last_progress = ev_now();
	while (ls->out.len < LS_OUT_MAX && ls->sent_seq - lspool_acked(ls->sp) < LS_WINDOW_FRAMES) {
		if (vmm_buf_reserve(&ls->out, LS_REC_CAP + 1024) < 0)
			break;
		int rc = lspool_read(ls->sp, &ls->cur, &r, ls->rec, LS_REC_CAP);
		if (rc < 0) {
			ls_fail(ls, "spool: cannot read seq %" PRIu64, ls->cur.seq);
			return;
		}
		if (rc == 0)
			break;
		if (ls->proto == LOGSHIP_SYSLOG)
			ls_frame_syslog(ls, &r);
		else
			ls_frame_vmmanage(ls, &r);
		memcpy(ls->out.p + ls->out.len, ls->rec, r.len);
		ls->out.len += r.len;
		if (ls->proto == LOGSHIP_VMMANAGE)
			ls->out.p[ls->out.len++] = '\n';
		ls->sent_seq = r.seq;
	}
	if (ls_flush(ls) == 0 && ls->proto == LOGSHIP_SYSLOG)
		ls_syslog_delivered(ls);
}

/* ---- the state timer ---- */

static double
ls_timer(void *arg)
{
	struct logship *ls = arg;

	ls->timer_delay = LS_TICK;
	switch (ls->state) {
	case LS_BACKOFF:
		ls_resolve(ls);
		break;
	case LS_RESOLVING:
		/* ls_resolved runs from inside ares_cancel with ARES_ECANCELLED */
		ares_cancel(ls->ch);
		if (ls->state == LS_RESOLVING)
			ls_fail(ls, "resolve %s: timed out", ls->host);
		break;
	case LS_CONNECTING:
		snprintf(ls->last_error, sizeof(ls->last_error), "connect %s port %s: timed out", ls->host, ls->port);
		ls_connect_next(ls);
		break;
	case LS_HELLO:
	case LS_AUTH:
		ls_fail(ls, "collector %s: no answer to %s", ls->host, ls->state == LS_HELLO ?
		    "HELLO" : "AUTH");
		break;
	case LS_STREAMING:
		if (ls->proto == LOGSHIP_SYSLOG)
			ls_syslog_delivered(ls);
		if (ls->sent_seq > lspool_acked(ls->sp) && ev_now() - ls->last_progress > ls->ack_timeout)
			ls_fail(ls, "no ack for %.0f s: link or collector gone", ls->ack_timeout);
		else
			ls_pump(ls);
		break;
	}
	return ls->timer_delay;
}

/* ---- the API ---- */

static int
ls_parse_target(struct logship *ls, const struct logship_conf *conf, char *err, size_t errlen)
{
	const char *s = conf->collector, *colon;
	const char *defport = conf->protocol == LOGSHIP_SYSLOG ? "514" : "31000";

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "collector: not set (\"host:port\")");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "collector \"%s\": expected [ADDRESS]:PORT", s);
			return -1;
		}
		ls->host = strndup(s + 1, (size_t)(close - s - 1));
		ls->port = strdup(close[1] == ':' ? close + 2 : defport);
	} else if ((colon = strrchr(s, ':')) != NULL && strchr(s, ':') == colon) {
		ls->host = strndup(s, (size_t)(colon - s));
		ls->port = strdup(colon + 1);
	} else {
		ls->host = strdup(s);
		ls->port = strdup(defport);
	}
	char *end;
	long p = strtol(ls->port, &end, 10);
	if (*ls->host == '\0' || *end != '\0' || p < 1 || p > 65535) {
		snprintf(err, errlen, "collector \"%s\": expected HOST:PORT with PORT 1..65535", s);
		return -1;
	}
	return 0;
}

static int
ls_load_key(struct logship *ls, const char *file, char *err, size_t errlen)
{
	char hex[160];
	size_t binlen;
	int fd = secret_open(file, "collector_key_file", err, errlen);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (f == NULL) {
		if (fd >= 0) {
			snprintf(err, errlen, "collector_key_file %s: %s", file, strerror(errno));
			close(fd);
		}
		return -1;
	}
	if (fgets(hex, sizeof(hex), f) == NULL)
		hex[0] = '\0';
	fclose(f);
	hex[strcspn(hex, " \t\r\n")] = '\0';
	if (sodium_hex2bin(ls->key, sizeof(ls->key), hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != sizeof(ls->key)) {
		snprintf(err, errlen, "collector_key_file %s: expected %d hex digits", file,
		    2 * crypto_auth_KEYBYTES);
		return -1;
	}
	sodium_memzero(hex, sizeof(hex));
	ls->has_key = 1;
	return 0;
}

struct logship *
logship_new(const struct logship_conf *conf, char *err, size_t errlen)
{
	struct logship *ls = calloc(1, sizeof(*ls));

	if (ls == NULL || sodium_init() < 0 || ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		snprintf(err, errlen, "logship: cannot initialise");
		free(ls);
		return NULL;
	}
	ls->loop = conf->loop;
	ls->fd = -1;
	vmm_buf_init(&ls->out, 65536, LS_OUT_CAP);
	ls->proto = conf->protocol;
	ls->ack_timeout = conf->ack_timeout > 0 ? conf->ack_timeout : 10;
	ls->backoff = LS_BACKOFF_MIN;
	ls->warn = conf->warn;
	if (conf->hostname != NULL && *conf->hostname)
		snprintf(ls->hostname, sizeof(ls->hostname), "%s", conf->hostname);
	else if (gethostname(ls->hostname, sizeof(ls->hostname) - 1) < 0)
		strcpy(ls->hostname, "localhost");
	if (ls_parse_target(ls, conf, err, errlen) < 0 ||
	    (conf->key_file != NULL && *conf->key_file && ls_load_key(ls, conf->key_file, err, errlen) < 0) ||
	    (ls->rec = malloc(LS_REC_CAP)) == NULL ||
	    (ls->sp = lspool_open(conf->state_dir ? conf->state_dir : ".", conf->spool_max_bytes,
	    !conf->no_sync, err, errlen)) == NULL ||
	    (ls->timer = ev_timer_add(ls->loop, 0, ls_timer, ls)) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "logship: out of memory");
		logship_free(ls);
		return NULL;
	}
	ls->state = LS_BACKOFF;
	return ls;
}

int
logship_submit(struct logship *ls, time_t t, const char *msg)
{
	size_t len = strlen(msg);
	int rc;

	if (len > LOGSHIP_MAX_MSG - 12) {
		/* cut on a UTF-8 boundary and say so */
		size_t cut = LOGSHIP_MAX_MSG - 12;
		while (cut > 0 && ((unsigned char)msg[cut] & 0xc0) == 0x80)
			cut--;
		char *m = malloc(cut + 13);
		if (m == NULL)
			return -1;
		memcpy(m, msg, cut);
		memcpy(m + cut, " [truncated]", 13);
		rc = lspool_append(ls->sp, t, m, cut + 12);
		free(m);
	} else
		rc = lspool_append(ls->sp, t, msg, len);
	if (rc == 0)
		ls_pump(ls);
	return rc;
}

void
logship_status(const struct logship *ls, struct logship_status *st)
{
	memset(st, 0, sizeof(*st));
	st->connected = ls->state == LS_STREAMING;
	st->spooled = lspool_pending(ls->sp);
	st->spool_bytes = lspool_bytes(ls->sp);
	st->dropped = lspool_dropped(ls->sp);
	st->next_seq = lspool_next_seq(ls->sp);
	st->acked_seq = lspool_acked(ls->sp);
	snprintf(st->boot, sizeof(st->boot), "%s", lspool_boot(ls->sp));
	snprintf(st->last_error, sizeof(st->last_error), "%s", ls->last_error);
}

void
logship_free(struct logship *ls)
{
	if (ls == NULL)
		return;
	ls->destroying = 1;
	ls_close(ls);
	if (ls->timer != NULL)
		ev_timer_del(ls->timer);
	if (ls->ares_timer != NULL)
		ev_timer_del(ls->ares_timer);
	if (ls->ch_ok)
		ares_destroy(ls->ch);
	if (ls->ai != NULL)
		ares_freeaddrinfo(ls->ai);
	lspool_close(ls->sp);
	sodium_memzero(ls->key, sizeof(ls->key));
	free(ls->rec);
	vmm_buf_free(&ls->out);
	free(ls->host);
	free(ls->port);
	free(ls);
}
