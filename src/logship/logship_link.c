/* SPDX-License-Identifier: ISC */
/* logship's socket: what is queued for it, sent, and dropped with a backoff on failure. */
#include "config.h"

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "logship/logship_priv.h"

/* What the log path has to say, to the agent's log (or stderr without one). */
void
ls_warn(struct logship *ls, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ls->warn != NULL)
		ls->warn(msg);
	else
		fprintf(stderr, "logship: %s\n", msg);
}

void
ls_set_timer(struct logship *ls, double d)
{
	ls->timer_delay = d;
	ev_timer_set(ls->timer, d);
}

void
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

void
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
	if (ls_failover(ls)) {
		ls_set_timer(ls, 0.01);
		return;
	}
	ls_set_timer(ls, ls->backoff * jitter);
	ls->backoff = ls->backoff * 2 < LS_BACKOFF_MAX ? ls->backoff * 2 : LS_BACKOFF_MAX;
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
int
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
void
ls_syslog_delivered(struct logship *ls)
{
	int unacked = 0;

	if (ls->out.len == 0 && ioctl(ls->fd, SIOCOUTQ, &unacked) == 0 && unacked == 0)
		lspool_ack(ls->sp, ls->sent_seq);
}

/* Queues a handshake line (HELLO, AUTH) and sends it. */
void
ls_send_line(struct logship *ls, const char *line, size_t len)
{
	if (len == 0 || vmm_buf_append(&ls->out, line, len) < 0) {
		ls_fail(ls, "cannot queue the handshake");
		return;
	}
	ls_flush(ls);
}
