/* SPDX-License-Identifier: ISC */
/* vmmanage-collector: the server's state, shared by server.c and conn.c only. */
#ifndef VMM_COLLECTOR_SERVER_H
#define VMM_COLLECTOR_SERVER_H

#include <arpa/inet.h>
#include <stdint.h>

#include "collector.h"
#include "common/alertq.h"
#include "common/ev.h"

struct metrics_http;

enum { COLLECTOR_LRU_SHORT, COLLECTOR_LRU_LONG, COLLECTOR_LRU_N };

/* What a connection's frames say of its agent's clock: over a window of receipt time,
 * the least lag (receipt minus the agent's stamp) and the most lead. */
struct collector_skew {
	double start;              /* the window's first receipt (monotonic) */
	int64_t first, last;       /* the agent's stamps in the window */
	int64_t lag_min, lead_max;
	int64_t prev_lag;          /* the last frame's */
	unsigned n;
	int off;                   /* an episode is on: said once, and once when it ends */
};

struct collector_conn {
	struct collector *s;
	int fd;
	enum collector_proto proto;
	char peer[INET6_ADDRSTRLEN];
	char *buf;                 /* bytes read but not yet a whole frame */
	size_t len;
	size_t skip;               /* bytes of an oversized frame still to throw away */
	int discard;               /* LF framing: throwing away the rest of a cut line */
	double last;               /* last activity, for the idle timeouts */
	int lru, in_lru;
	struct collector_conn *prev, *next;
	/* the agent protocol; a collector holds many idle agents, so what each costs is
	 * kept small: names are sized to fit, the reply buffer exists only while needed */
	int hello;                 /* 1 once frames may come (after AUTH, with keys) */
	int challenged;            /* VMM2 with keys: CHALLENGE sent, AUTH awaited */
	enum wire_version version; /* of the greeting, for ERR replies and MACs */
	char *names;               /* one allocation that said, host and boot point into */
	const char *said;          /* the host as the agent said it: what MACs cover */
	const char *host;          /* the name written (folded when keyed); "" before HELLO */
	const char *boot;
	uint8_t cnonce[WIRE_NONCE_BYTES], snonce[WIRE_NONCE_BYTES];
	const uint8_t *key;        /* the host's, with keys_file */
	struct collector_skew skew;  /* its agent's clock against ours */
	uint64_t ack_want, ack_sent;
	int in_ackq;
	struct collector_conn *ack_next;
	char *out;                 /* a reply not yet written whole (COLLECTOR_REPLY_MAX) */
	size_t outlen;
	int want_out;              /* POLLOUT is on */
	/* the rate limit */
	int paused;
	struct collector_conn *pause_next;
};

struct collector_listener {
	struct collector *s;
	int fd;
};

struct collector_lru {
	struct collector_conn *head, *tail;
};

struct collector_stats {
	uint64_t accepted, refused_acl, refused_full, lines, truncated, dups, bad, idle_closed,
	    unauth, gaps, skewed;
	/* for /metrics */
	uint64_t lines_by_proto[COLLECTOR_PROTO_AGENT + 1], acks, blocked_episodes,
	    rate_paused, syncs;
	uint64_t sync_buckets[8];   /* fdatasync latency, by COLLECTOR_SYNC_BUCKETS */
	uint64_t agent_kinds[32];   /* new agent messages by enum journal_kind (< 32) */
	double sync_seconds;
};
#define COLLECTOR_SYNC_BUCKETS { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1 }

/* ---- fleet.c: the VMs heard from ---- */
#define FLEET_MOVES 16     /* confirmed moves remembered per VM, for "last hour/day" */
struct collector_vm {
	const char *host;                /* its key in the table */
	struct collector_vm *older, *newer;  /* heard from: the least recently first */
	char peer[INET6_ADDRSTRLEN];     /* the address it last spoke from */
	char location[64];               /* as its last cycle, location or move said */
	char last_target[64], last_outcome[16];
	int64_t last_seen, last_cycle;   /* receipt times (our wall clock) */
	int64_t moves[FLEET_MOVES];      /* receipt times of its last confirmed moves */
	unsigned nmoves;
	int connections, silent;
	uint64_t messages;               /* new messages since the collector started */
};
struct collector_fleet {
	struct collector_htab *t;        /* host -> struct collector_vm */
	struct collector_vm *oldest, *newest;
	int dirty;                       /* FLEET_TIMES: only times changed; FLEET_CHANGED */
	int evicting, save_failed;
	double saved;
	uint64_t evicted, silent_episodes;
	size_t nsilent;
};

struct collector {
	struct collector_conf *conf;
	struct collector_output *out;
	struct collector_seqdb *db;
	struct collector_keys *keys;
	struct collector_rate *rate;
	struct ev_loop *loop;
	int conns;                 /* the connections' group in loop, muted while blocked */
	struct collector_listener listeners[COLLECTOR_MAX_LISTEN];
	size_t nlisteners;
	long nconns;
	struct collector_lru lru[COLLECTOR_LRU_N];
	struct collector_conn *ackq, *paused;
	char *scratch;             /* one read's worth plus the largest leftover */
	size_t scratch_cap;
	char *compose;             /* a syslog line rebuilt as "tag[pid]: msg" */
	size_t frame_max;          /* the largest agent frame or syslog header we hold */
	double now;                /* read once a turn */
	time_t wall;
	double last_sweep, last_resume;
	double last_refusal_log;
	struct collector_stats st;
	/* out of descriptors: the listeners are off until accept_resume_at */
	int spare_fd;              /* given up to accept-and-close one waiting client */
	int accept_paused, fd_episode;
	double accept_resume_at, fd_since, fd_last_fail;
	uint64_t fd_pauses, fd_closed;
	/* bytes held in unfinished frames, all connections (max_partial_bytes) */
	size_t partial;
	int partial_episode;
	uint64_t partial_closed;
	struct collector_fleet fleet;
	/* the control socket and /metrics (status.c) */
	int control_fd;
	struct metrics_http *metrics;
	/* alert_command (alert.c) */
	struct alertq *alerts;           /* made at the first alert */
	int alert_failing;
	/* cannot write (disk full...): conns is muted, nothing is read, retried on a timer */
	int blocked;
	double blocked_since, retry_at;
	uint64_t write_fails, write_fails_total;
	double started;
};

/* fleet_file.c: the lines of fleet.state */
#define FLEET_MAGIC "vmmanage-collector fleet 1"
struct vmm_buf;
void fleet_format_vm(struct vmm_buf *b, const struct collector_vm *vm);
/* line (modified) into vm: 0, or -1 when it is not a line fleet_format_vm writes. */
int fleet_parse_line(char *line, struct collector_vm *vm, char host[COLLECTOR_MAX_HOST + 1]);
/* fleet.c */
struct collector_vm *fleet_heard(struct collector *s, const char *host, const char *peer);
void fleet_message(struct collector *s, const char *host, const char *peer, const char *msg,
    size_t len);
void fleet_connected(struct collector *s, const char *host, int delta);
unsigned fleet_moves_within(const struct collector *s, const struct collector_vm *vm,
    int64_t within);
void fleet_tick(struct collector *s);
void fleet_save(struct collector *s);
void fleet_load(struct collector *s);

/* status.c: the control socket (status, status --json) and /metrics */
int collector_control_open(struct collector *s, char *err, size_t errlen);
void collector_control_close(struct collector *s);
int collector_metrics_start(struct collector *s, int fd, char *err, size_t errlen);
/* alert.c: alert_command, KIND STATE HOST MESSAGE */
void collector_alert(struct collector *s, const char *kind, int firing, const char *host,
    const char *msg);

/* skew.c */
void collector_skew_note(struct collector *s, struct collector_conn *c, int64_t epoch);

/* conn.c */
void collector_conn_accept(int fd, int revents, void *listener);
void collector_conn_event(int fd, int revents, void *conn);
void collector_conn_close(struct collector *s, struct collector_conn *c, const char *why);
void collector_conn_send_ack(struct collector *s, struct collector_conn *c);
void collector_conn_resume(struct collector *s, struct collector_conn *c);
void collector_lru_remove(struct collector *s, struct collector_conn *c);
/* server.c */
void collector_accept_failed(struct collector *s, struct collector_listener *l, int err);

#endif
