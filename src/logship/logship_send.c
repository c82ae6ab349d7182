/* SPDX-License-Identifier: ISC */
/* logship streaming: the spool's records framed (vmmanage or syslog) into the socket's queue. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "logship/logship_priv.h"

void
ls_connected(struct logship *ls)
{
	ls->state = LS_STREAMING;
	ls->backoff = LS_BACKOFF_MIN;
	ls_target_works(ls);
	ls->last_error[0] = '\0';
	ls->cur = (struct lspool_cursor){ .seq = lspool_acked(ls->sp) + 1 };
	ls->sent_seq = lspool_acked(ls->sp);
	ls->last_progress = ev_now();
	ls_set_timer(ls, LS_TICK);
	ls_pump(ls);
}

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

void
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
