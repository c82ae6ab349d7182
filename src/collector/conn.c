/* SPDX-License-Identifier: ISC */
/* One client connection: accept, read, cut into frames by protocol, write lines, reply.
 * Every step is bounded, so no client can stall another: one read per wake-up, a frame
 * longer than the limits is cut or refused, replies never queue (acks are cumulative). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "server.h"

/* How much one wake-up reads from one client. */
#define COLLECTOR_READ_CHUNK 65536
/* Replies held for a client whose socket is full: an ERR, or the newest ack (acks are
 * cumulative, so no more than one is ever held). */
#define COLLECTOR_REPLY_MAX 256

enum { FEED_PAUSE = 0, FEED_OK = 1, FEED_CLOSE = -1 };

/* ---- the idle lists: least recently active first ---- */

void
collector_lru_remove(struct collector *s, struct collector_conn *c)
{
	struct collector_lru *l = &s->lru[c->lru];

	if (!c->in_lru)
		return;
	c->in_lru = 0;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* A connection in the middle of a frame, or one that never said who it is, gets the
 * short idle_timeout; an agent or syslog relay that is between frames the long one. */
static void
collector_lru_touch(struct collector *s, struct collector_conn *c)
{
	int which = (c->proto == COLLECTOR_PROTO_SYSLOG || (c->proto == COLLECTOR_PROTO_AGENT && c->hello)) &&
	    c->len == 0 && c->skip == 0 && !c->discard ? COLLECTOR_LRU_LONG : COLLECTOR_LRU_SHORT;

	collector_lru_remove(s, c);
	c->lru = which;
	c->in_lru = 1;
	c->last = s->now;
	struct collector_lru *l = &s->lru[which];
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* ---- accepting ---- */

static void
collector_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)cap);
	else if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, &v6->sin6_addr, out, (socklen_t)cap);
}

/* Refusals are logged at most once a second: a flood must not flood the log too. */
static void
collector_refused(struct collector *s, const char *peer, const char *why)
{
	if (s->now - s->last_refusal_log >= 1) {
		log_warnx("listen: refused %s: %s (%" PRIu64 " refused by allow, %" PRIu64
		    " for max_clients so far)", peer, why, s->st.refused_acl, s->st.refused_full);
		s->last_refusal_log = s->now;
	}
}

static int
collector_conn_new(struct collector *s, int fd, const struct sockaddr_storage *ss)
{
	struct collector_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (c == NULL)
		return -1;
	c->s = s;
	c->fd = fd;
	c->host = c->boot = c->said = "";
	collector_peer_name(ss, c->peer, sizeof(c->peer));
	/* acks are small and must not wait for Nagle; dead agents are found by keepalive */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (ev_fd_add_to(s->loop, s->conns, fd, POLLIN, collector_conn_event, c) < 0) {
		free(c);
		return -1;
	}
	s->nconns++;
	s->st.accepted++;
	collector_lru_touch(s, c);
	return 0;
}

void
collector_conn_accept(int lfd, int revents, void *listener)
{
	struct collector_listener *l = listener;
	struct collector *s = l->s;

	(void)lfd;
	(void)revents;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[INET6_ADDRSTRLEN];
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno != EAGAIN)
				collector_accept_failed(s, l, errno);
			return;
		}
		if (!collector_acl_allows(&s->conf->acl, (struct sockaddr *)&ss)) {
			s->st.refused_acl++;
			collector_peer_name(&ss, peer, sizeof(peer));
			collector_refused(s, peer, "not in allow");
			close(fd);
		} else if (s->nconns >= s->conf->max_clients) {
			s->st.refused_full++;
			collector_peer_name(&ss, peer, sizeof(peer));
			collector_refused(s, peer, "max_clients reached");
			close(fd);
		} else if (collector_conn_new(s, fd, &ss) < 0) {
			log_warn("listen: new connection");
			close(fd);
		}
	}
}

/* ---- replies ---- */

static void
collector_conn_want_out(struct collector *s, struct collector_conn *c, int on)
{
	if (c->want_out == on || c->paused)
		return;
	c->want_out = on;
	ev_fd_mod(s->loop, c->fd, POLLIN | (on ? POLLOUT : 0));
}

/* Writes what is queued; 0 when nothing is left, 1 when the socket is full, -1 on error. */
static int
collector_conn_flush_out(struct collector_conn *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return -1;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	return 0;
}

static int
collector_conn_reply(struct collector *s, struct collector_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
collector_conn_reply(struct collector *s, struct collector_conn *c, const char *fmt, ...)
{
	char line[COLLECTOR_REPLY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - c->outlen)
		return -1;
	/* the reply buffer is made only when the socket takes less than the whole line */
	if (c->out == NULL && (c->out = malloc(COLLECTOR_REPLY_MAX)) == NULL)
		return -1;
	memcpy(c->out + c->outlen, line, (size_t)n);
	c->outlen += (size_t)n;
	int r = collector_conn_flush_out(c);
	if (r > 0)
		collector_conn_want_out(s, c, 1);
	return r < 0 ? -1 : 0;
}

/* The session as the MACs cover it, rebuilt from the connection's compact copy. */
static void
collector_conn_session(const struct collector_conn *c, struct wire_session *ss)
{
	ss->version = c->version;
	snprintf(ss->host, sizeof(ss->host), "%s", c->said);
	snprintf(ss->boot, sizeof(ss->boot), "%s", c->boot);
	memcpy(ss->cnonce, c->cnonce, sizeof(ss->cnonce));
	memcpy(ss->snonce, c->snonce, sizeof(ss->snonce));
}

/* Keeps the names of the greeting in one allocation sized to them: the host as said
 * (for the MACs), the host written (folded when keyed, often the same) and the boot. */
static int
collector_conn_names(struct collector_conn *c, const struct wire_session *ss, const char *host)
{
	size_t sl = strlen(ss->host) + 1, hl = strlen(host) + 1, bl = strlen(ss->boot) + 1;
	int same = strcmp(ss->host, host) == 0;
	char *n = malloc((same ? 0 : sl) + hl + bl);

	if (n == NULL)
		return -1;
	free(c->names);
	c->names = n;
	memcpy(n, host, hl);
	c->host = n;
	n += hl;
	if (!same) {
		memcpy(n, ss->host, sl);
		c->said = n;
		n += sl;
	} else
		c->said = c->host;
	memcpy(n, ss->boot, bl);
	c->boot = n;
	memcpy(c->cnonce, ss->cnonce, sizeof(c->cnonce));
	return 0;
}

/* A client that reads no acks only keeps its own latest ack waiting: acks are
 * cumulative, so a newer one replaces the ones it could not take. */
void
collector_conn_send_ack(struct collector *s, struct collector_conn *c)
{
	if (c->ack_want <= c->ack_sent)
		return;
	if (collector_conn_flush_out(c) != 0) {
		collector_conn_want_out(s, c, 1);
		return;
	}
	c->ack_sent = c->ack_want;
	s->st.acks++;
	char line[WIRE_MAX_LINE];
	uint8_t mac[WIRE_MAC_BYTES];
	struct wire_session ss;
	if (c->key != NULL) {
		collector_conn_session(c, &ss);
		wire_mac(mac, c->key, WIRE_MAC_ACK, &ss, c->ack_want, 0, NULL, 0);
	}
	if (wire_ack_format(line, sizeof(line), c->ack_want, c->key != NULL ? mac : NULL) > 0)
		collector_conn_reply(s, c, "%s", line);
}

static void
collector_conn_queue_ack(struct collector *s, struct collector_conn *c, uint64_t seq)
{
	if (seq > c->ack_want)
		c->ack_want = seq;
	if (!c->in_ackq) {
		c->in_ackq = 1;
		c->ack_next = s->ackq;
		s->ackq = c;
	}
}

static void
collector_conn_error(struct collector *s, struct collector_conn *c, const char *why)
{
	char line[WIRE_MAX_LINE];

	s->st.bad++;
	if (wire_err_format(line, sizeof(line), c->version ? c->version : WIRE_V2, why) > 0)
		collector_conn_reply(s, c, "%s", line);
	log_info("conn %s: %s%s%s", c->peer, c->host[0] ? c->host : "", c->host[0] ? ": " : "", why);
}

/* ---- writing lines ---- */

static void
collector_conn_pause(struct collector *s, struct collector_conn *c)
{
	c->paused = 1;
	c->want_out = 0;
	/* out of the loop altogether: a paused socket's HUP would otherwise wake us forever */
	ev_fd_del(s->loop, c->fd);
	c->pause_next = s->paused;
	s->paused = c;
}

static int
collector_emit(struct collector *s, struct collector_conn *c, time_t t, const char *host,
    size_t hostlen, const char *msg, size_t msglen, struct collector_meta *meta)
{
	char key[COLLECTOR_MAX_HOST + 1];

	snprintf(key, sizeof(key), "%.*s", (int)hostlen, host);
	if (!collector_rate_take(s->rate, key, s->now)) {
		s->st.rate_paused++;
		collector_conn_pause(s, c);
		return FEED_PAUSE;
	}
	if (msglen > s->conf->max_line) {
		msglen = collector_utf8_cut(msg, msglen, s->conf->max_line);
		meta->truncated = 1;
	}
	if (meta->truncated)
		s->st.truncated++;
	meta->src = c->peer;
	meta->received = (int64_t)s->wall;
	if (collector_output_add(s->out, t, host, hostlen, msg, msglen, meta) < 0) {
		log_warnx("output: out of memory, closing %s", c->peer);
		return FEED_CLOSE;
	}
	s->st.lines++;
	s->st.lines_by_proto[c->proto]++;
	return FEED_OK;
}

/* With keys, a host that has a key writes only through the signed agent protocol. */
static int
collector_unauthenticated(struct collector *s, struct collector_conn *c, const char *host,
    size_t hostlen)
{
	char key[COLLECTOR_MAX_HOST + 1];

	/* folded: "VM1:" or "vm1.:" claims vm1 as much as "vm1:" does */
	if (s->keys == NULL || collector_keys_find(s->keys, host, hostlen, key) == NULL)
		return 0;
	s->st.unauth++;
	if (s->now - s->last_refusal_log >= 1) {
		log_warnx("conn %s: refused an unsigned line claiming host %.*s (%s has a key)",
		    c->peer, (int)hostlen, host, key);
		s->last_refusal_log = s->now;
	}
	return 1;
}

static int
collector_thesis_line(struct collector *s, struct collector_conn *c, const char *line, size_t len,
    int truncated)
{
	const char *host, *msg;
	size_t hostlen, msglen;
	struct collector_meta meta = { .proto = "thesis", .truncated = truncated };

	if (len == 0)
		return FEED_OK;
	if (collector_thesis_parse(line, len, &host, &hostlen, &msg, &msglen) < 0) {
		/* no "host:" part: the line is kept whole under the sender's address */
		host = c->peer;
		hostlen = strlen(c->peer);
		msg = line;
		msglen = len;
	}
	if (collector_unauthenticated(s, c, host, hostlen))
		return FEED_OK;
	return collector_emit(s, c, s->wall, host, hostlen, msg, msglen, &meta);
}

static int
collector_syslog_msg(struct collector *s, struct collector_conn *c, const char *buf, size_t len,
    int truncated)
{
	struct collector_syslog sl;
	struct collector_meta meta = { .proto = "syslog", .truncated = truncated };
	const char *host = c->peer;
	size_t hostlen = strlen(c->peer), n = 0;

	if (len == 0)
		return FEED_OK;
	collector_syslog_parse(buf, len, &sl);
	if (sl.host != NULL && collector_host_valid(sl.host, sl.hostlen)) {
		host = sl.host;
		hostlen = sl.hostlen;
	}
	if (collector_unauthenticated(s, c, host, hostlen))
		return FEED_OK;
	/* "tag[pid]: msg", as syslog files show it */
	if (sl.tag != NULL) {
		n = (size_t)snprintf(s->compose, 512, "%.*s", (int)(sl.taglen < 128 ? sl.taglen : 128), sl.tag);
		if (sl.procid != NULL)
			n += (size_t)snprintf(s->compose + n, 512 - n, "[%.*s]",
			    (int)(sl.procidlen < 128 ? sl.procidlen : 128), sl.procid);
		n += (size_t)snprintf(s->compose + n, 512 - n, ": ");
	}
	memcpy(s->compose + n, sl.msg, sl.msglen);
	return collector_emit(s, c, s->wall, host, hostlen, s->compose, n + sl.msglen, &meta);
}

/* ---- framing ---- */

typedef int (*collector_line_fn)(struct collector *, struct collector_conn *, const char *, size_t, int);

/* LF framing with max_line: returns bytes used (>0), 0 for more, or <0 FEED_CLOSE. */
static ssize_t
collector_feed_lf(struct collector *s, struct collector_conn *c, const char *p, size_t len, int eof,
    collector_line_fn fn)
{
	size_t max = s->conf->max_line;
	const char *lf = memchr(p, '\n', len < max + 2 ? len : max + 2);
	int r;

	if (lf != NULL) {
		size_t n = (size_t)(lf - p);
		size_t body = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
		if ((r = fn(s, c, p, body, 0)) != FEED_OK)
			return r;
		return (ssize_t)n + 1;
	}
	if (len > max + 1) {
		size_t cut = collector_utf8_cut(p, len, max);
		if ((r = fn(s, c, p, cut, 1)) != FEED_OK)
			return r;
		c->discard = 1;
		return (ssize_t)(cut ? cut : 1);
	}
	if (eof) {
		if ((r = fn(s, c, p, len, 0)) != FEED_OK)
			return r;
		return (ssize_t)len;
	}
	return 0;
}

static ssize_t
collector_feed_octet(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	size_t framelen, max = s->conf->max_line;
	int h = collector_octet_header(p, len, &framelen);
	int r;

	if (h == COLLECTOR_BAD) {
		s->st.bad++;
		log_info("conn %s: syslog: bad octet-counting header, closing", c->peer);
		return FEED_CLOSE;
	}
	if (h == COLLECTOR_NEED_MORE)
		return 0;
	if (framelen <= max) {
		if (len < (size_t)h + framelen)
			return 0;
		if ((r = collector_syslog_msg(s, c, p + h, framelen, 0)) != FEED_OK)
			return r;
		return h + (ssize_t)framelen;
	}
	if (len < (size_t)h + max)
		return 0;
	size_t cut = collector_utf8_cut(p + h, max + 1, max);
	if ((r = collector_syslog_msg(s, c, p + h, cut, 1)) != FEED_OK)
		return r;
	c->skip = framelen - cut;
	return h + (ssize_t)cut;
}

/* ---- the agent protocol: HELLO, with keys CHALLENGE and AUTH, then OK LAST ---- */

/* The handshake line at p: its length with the LF, 0 for more, or FEED_CLOSE. */
static ssize_t
collector_handshake_line(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	const char *lf = memchr(p, '\n', len < COLLECTOR_MAX_HEADER ? len : COLLECTOR_MAX_HEADER);

	if (lf != NULL)
		return lf - p + 1;
	if (len < COLLECTOR_MAX_HEADER)
		return 0;
	collector_conn_error(s, c, "handshake line too long");
	return FEED_CLOSE;
}

/* The peer is who it says (or no keys are asked for): LAST may now be told. */
static ssize_t
collector_agent_ready(struct collector *s, struct collector_conn *c, ssize_t used)
{
	char line[WIRE_MAX_LINE];
	uint8_t mac[WIRE_MAC_BYTES];
	struct wire_session ss;

	c->hello = 1;
	fleet_heard(s, c->host, c->peer);
	fleet_connected(s, c->host, 1);
	c->challenged = 0;
	uint64_t last = collector_seqdb_last(s->db, c->host, c->boot);
	c->ack_sent = c->ack_want = last;
	log_debug("conn %s: agent %s boot %s (VMM%d%s), last seq %" PRIu64, c->peer, c->host,
	    c->boot, (int)c->version, c->key != NULL ? ", authenticated" : "", last);
	if (c->key != NULL) {
		collector_conn_session(c, &ss);
		wire_mac(mac, c->key, WIRE_MAC_OK, &ss, last, 0, NULL, 0);
	}
	if (wire_ok_format(line, sizeof(line), c->version, last, c->key != NULL ? mac : NULL) == 0 ||
	    collector_conn_reply(s, c, "%s", line) < 0)
		return FEED_CLOSE;
	return used;
}

static ssize_t
collector_feed_hello(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	ssize_t n = collector_handshake_line(s, c, p, len);
	char err[128], line[WIRE_MAX_LINE], folded[COLLECTOR_MAX_HOST + 1];
	struct wire_session ss = { .version = WIRE_V2 };  /* VMM1 leaves the nonce unset */

	if (n <= 0)
		return n;
	c->version = p[3] == '1' ? WIRE_V1 : WIRE_V2;
	if (wire_hello_parse(p, (size_t)n - 1, &ss, err, sizeof(err)) < 0) {
		collector_conn_error(s, c, err);
		return FEED_CLOSE;
	}
	if (s->keys == NULL) {
		if (collector_conn_names(c, &ss, ss.host) < 0)
			return FEED_CLOSE;
		return collector_agent_ready(s, c, n);
	}
	c->key = collector_keys_find(s->keys, ss.host, strlen(ss.host), folded);
	if (collector_conn_names(c, &ss, folded) < 0)
		return FEED_CLOSE;
	if (c->key == NULL) {
		collector_conn_error(s, c, "no key for this host in keys_file");
		return FEED_CLOSE;
	}
	if (c->version == WIRE_V1) {
		/* VMM1 frames verify in any session: a captured one could be replayed */
		s->st.unauth++;
		collector_conn_error(s, c, "VMM1 has no session binding and is refused with keys_file "
		    "(upgrade the agent)");
		return FEED_CLOSE;
	}
	/* nothing about the host (its boot id, its LAST) before it proves the key */
	randombytes_buf(c->snonce, sizeof(c->snonce));
	c->challenged = 1;
	if (wire_challenge_format(line, sizeof(line), c->snonce) == 0 ||
	    collector_conn_reply(s, c, "%s", line) < 0)
		return FEED_CLOSE;
	return n;
}

static ssize_t
collector_feed_auth(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	ssize_t n = collector_handshake_line(s, c, p, len);
	uint8_t mac[WIRE_MAC_BYTES];
	char err[128];
	struct wire_session ss;

	if (n <= 0)
		return n;
	if (wire_auth_parse(p, (size_t)n - 1, mac, err, sizeof(err)) < 0) {
		collector_conn_error(s, c, err);
		return FEED_CLOSE;
	}
	collector_conn_session(c, &ss);
	if (!wire_mac_check(mac, c->key, WIRE_MAC_AUTH, &ss, 0, 0, NULL, 0)) {
		s->st.unauth++;
		collector_conn_error(s, c, "bad AUTH: not signed with this host's key");
		return FEED_CLOSE;
	}
	return collector_agent_ready(s, c, n);
}

static int
collector_agent_frame(struct collector *s, struct collector_conn *c, const struct wire_msghdr *m,
    const char *payload)
{
	struct collector_meta meta = { .proto = "agent", .seq = m->seq, .boot = c->boot };
	struct wire_session ss;
	uint64_t gap;
	int r;

	if (s->keys != NULL)
		collector_conn_session(c, &ss);
	/* the nonces in the MAC: a frame captured on another connection never verifies */
	if (s->keys != NULL && (c->key == NULL || !m->has_mac || !wire_mac_check(m->mac, c->key,
	    WIRE_MAC_FRAME, &ss, m->seq, m->epoch, payload, m->len))) {
		s->st.unauth++;
		collector_conn_error(s, c, m->has_mac ? "bad mac" : "frames must carry a mac");
		return FEED_CLOSE;
	}
	if (collector_seqdb_last(s->db, c->host, c->boot) >= m->seq) {
		s->st.dups++;
		fleet_heard(s, c->host, c->peer);
		collector_conn_queue_ack(s, c, m->seq);
		return FEED_OK;
	}
	if ((r = collector_emit(s, c, (time_t)m->epoch, c->host, strlen(c->host), payload, m->len,
	    &meta)) != FEED_OK)
		return r;
	collector_skew_note(s, c, m->epoch);
	fleet_message(s, c->host, c->peer, payload, m->len);
	if (collector_seqdb_accept(s->db, c->host, c->boot, m->seq, &gap) < 0)
		return FEED_CLOSE;
	if (gap > 0) {
		s->st.gaps++;
		log_warnx("conn %s: agent %s boot %s: %" PRIu64 " sequence numbers missing before %"
		    PRIu64 " (dropped by the agent, or sent to another collector of its list)", c->peer,
		    c->host, c->boot, gap, m->seq);
	}
	collector_conn_queue_ack(s, c, m->seq);
	return FEED_OK;
}

static ssize_t
collector_feed_agent(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	struct wire_msghdr m;
	char err[128];
	int r;

	if (c->challenged)
		return collector_feed_auth(s, c, p, len);
	if (!c->hello)
		return collector_feed_hello(s, c, p, len);
	const char *lf = memchr(p, '\n', len < COLLECTOR_MAX_HEADER ? len : COLLECTOR_MAX_HEADER);
	if (lf == NULL) {
		if (len < COLLECTOR_MAX_HEADER)
			return 0;
		collector_conn_error(s, c, "frame header too long");
		return FEED_CLOSE;
	}
	size_t hl = (size_t)(lf - p) + 1;
	if (hl == 2 && p[0] == 'P') /* "P": a keepalive */
		return 2;
	if (wire_msghdr_parse(p, hl - 1, &m, err, sizeof(err)) < 0) {
		collector_conn_error(s, c, err);
		return FEED_CLOSE;
	}
	if (m.len > s->frame_max) {
		collector_conn_error(s, c, "frame too long");
		return FEED_CLOSE;
	}
	if (len < hl + m.len + 1)
		return 0;
	if (p[hl + m.len] != '\n') {
		collector_conn_error(s, c, "frame does not end with LF");
		return FEED_CLOSE;
	}
	if ((r = collector_agent_frame(s, c, &m, p + hl)) != FEED_OK)
		return r;
	return (ssize_t)(hl + m.len + 1);
}

/* Cuts p into frames and handles them; returns the bytes used, or -1 to close. */
static ssize_t
collector_feed(struct collector *s, struct collector_conn *c, const char *p, size_t len, int eof)
{
	size_t off = 0;

	while (off < len && !c->paused) {
		ssize_t r;
		if (c->skip > 0) {
			size_t k = len - off < c->skip ? len - off : c->skip;
			off += k;
			c->skip -= k;
			continue;
		}
		if (c->discard) {
			const char *lf = memchr(p + off, '\n', len - off);
			off = lf ? (size_t)(lf - p) + 1 : len;
			c->discard = lf == NULL;
			continue;
		}
		if (c->proto == COLLECTOR_PROTO_UNKNOWN) {
			c->proto = collector_frame_detect(p + off, len - off);
			if (c->proto == COLLECTOR_PROTO_UNKNOWN && !eof)
				break;
			if (c->proto == COLLECTOR_PROTO_UNKNOWN)
				c->proto = COLLECTOR_PROTO_THESIS;
		}
		if (c->proto == COLLECTOR_PROTO_AGENT)
			r = collector_feed_agent(s, c, p + off, len - off);
		else if (c->proto == COLLECTOR_PROTO_SYSLOG && p[off] >= '0' && p[off] <= '9')
			r = collector_feed_octet(s, c, p + off, len - off);
		else if (c->proto == COLLECTOR_PROTO_SYSLOG)
			r = collector_feed_lf(s, c, p + off, len - off, eof, collector_syslog_msg);
		else
			r = collector_feed_lf(s, c, p + off, len - off, eof, collector_thesis_line);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	return (ssize_t)off;
}

/* Keeps the unused tail of the scratch buffer as the connection's leftover, counted in
 * s->partial (bounded by max_partial_bytes, see collector_partial_check). */
static int
collector_conn_keep(struct collector *s, struct collector_conn *c, const char *p, size_t len)
{
	s->partial -= c->len;
	if (len == 0) {
		free(c->buf);
		c->buf = NULL;
		c->len = 0;
		return 0;
	}
	char *b = realloc(c->buf, len);
	if (b == NULL) {
		s->partial += c->len;
		return -1;
	}
	memcpy(b, p, len);
	c->buf = b;
	c->len = len;
	s->partial += len;
	return 0;
}

/* Leftover + (if readnew) one read, through the parser. */
static void
collector_conn_input(struct collector *s, struct collector_conn *c, int readnew)
{
	size_t have = c->len, room = s->scratch_cap - have;
	ssize_t n = 0;
	int eof = 0;

	if (have > 0)
		memcpy(s->scratch, c->buf, have);
	if (readnew) {
		n = read(c->fd, s->scratch + have, room < COLLECTOR_READ_CHUNK ? room : COLLECTOR_READ_CHUNK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			collector_conn_close(s, c, "read error");
			return;
		}
		eof = n == 0;
	}
	ssize_t used = collector_feed(s, c, s->scratch, have + (size_t)n, eof);
	if (used < 0 || (eof && !c->paused)) {
		collector_conn_close(s, c, used < 0 ? "protocol error" : NULL);
		return;
	}
	if (collector_conn_keep(s, c, s->scratch + used, have + (size_t)n - (size_t)used) < 0) {
		collector_conn_close(s, c, "out of memory");
		return;
	}
	/* a frame can never grow past the scratch buffer: the parsers cut or refuse first */
	if (c->len >= s->scratch_cap - COLLECTOR_READ_CHUNK && !c->paused) {
		collector_conn_close(s, c, "frame too long");
		return;
	}
	collector_lru_touch(s, c);
}

void
collector_conn_event(int fd, int events, void *conn)
{
	struct collector_conn *c = conn;
	struct collector *s = c->s;

	(void)fd;
	if (events & POLLOUT) {
		int r = collector_conn_flush_out(c);
		if (r < 0) {
			collector_conn_close(s, c, "write error");
			return;
		}
		if (r == 0) {
			collector_conn_want_out(s, c, 0);
			collector_conn_send_ack(s, c);
		}
	}
	if (events & (POLLIN | POLLHUP | POLLERR))
		collector_conn_input(s, c, 1);
}

void
collector_conn_resume(struct collector *s, struct collector_conn *c)
{
	c->paused = 0;
	if (ev_fd_add_to(s->loop, s->conns, c->fd, POLLIN, collector_conn_event, c) < 0) {
		collector_conn_close(s, c, "event loop");
		return;
	}
	collector_conn_input(s, c, 0);
}

void
collector_conn_close(struct collector *s, struct collector_conn *c, const char *why)
{
	if (why != NULL)
		log_debug("conn %s: closing: %s", c->peer, why);
	/* the ack and pause queues drop closed connections when they next run */
	if (!c->paused)
		ev_fd_del(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	collector_lru_remove(s, c);
	if (c->proto == COLLECTOR_PROTO_AGENT && c->hello)
		fleet_connected(s, c->host, -1);
	s->partial -= c->len;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	free(c->out);
	c->out = NULL;
	c->outlen = 0;
	free(c->names);
	c->names = NULL;
	c->host = c->boot = c->said = "";
	s->nconns--;
	if (!c->in_ackq && !c->paused)
		free(c);
}
