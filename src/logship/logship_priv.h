/* SPDX-License-Identifier: ISC */
/* What the parts of logship (src/logship*.c) share: its state and its layers' calls. */
#ifndef VMM_LOGSHIP_PRIV_H
#define VMM_LOGSHIP_PRIV_H

#include <stdint.h>

#include <ares.h>

#include "common/buf.h"
#include "common/wire.h"
#include "common/ev.h"
#include "logship/logship.h"
#include "logship/logship_spool.h"

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

#define LS_MAX_TARGETS 8

/* One configured collector. */
struct ls_target {
	char *host, *port;
	char *spec;                 /* as configured, for the log and status */
};

struct logship {
	struct ev_loop *loop;
	struct ls_target targets[LS_MAX_TARGETS];
	size_t ntargets, tcur;      /* the one tried or talked to now */
	size_t round_failed;        /* targets failed in a row since the last that worked */
	double failback, on_later_since;
	unsigned failovers;
	int outage_said;            /* the failover was logged: say when one works again */
	int failing_back;           /* trying the first again: back to the others quietly */
	char *host, *port;          /* targets[cur]'s */
	char hostname[256];
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

/* logship_link.c: the socket's queue, and closing it to back off */
void ls_warn(struct logship *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ls_set_timer(struct logship *ls, double d);
void ls_close(struct logship *ls);
void ls_fail(struct logship *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ls_flush(struct logship *ls);
void ls_syslog_delivered(struct logship *ls);
void ls_send_line(struct logship *ls, const char *line, size_t len);

/* logship_send.c: streaming the spool */
void ls_connected(struct logship *ls);
void ls_pump(struct logship *ls);

/* logship_reply.c: the collector's replies */
void ls_read(struct logship *ls);

/* logship.c: the collectors in turn */
int ls_failover(struct logship *ls);
void ls_target_works(struct logship *ls);

/* logship_connect.c: resolving and connecting */
void ls_resolve(struct logship *ls);
void ls_connect_next(struct logship *ls);

#endif
