/* SPDX-License-Identifier: ISC */
/* logship's handshake and the collector's replies (OK, CHALLENGE, acks), proven with the key. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logship/logship_priv.h"

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

void
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
