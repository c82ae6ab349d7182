/* SPDX-License-Identifier: ISC */
/* vmmanage-collector: the private header, prototypes grouped by the file defining them. */
#ifndef VMM_COLLECTOR_H
#define VMM_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/wire.h"

#define COLLECTOR_DEFAULT_PORT 31000
#define COLLECTOR_MAX_HOST WIRE_MAX_HOST
#define COLLECTOR_MAX_BOOT WIRE_MAX_BOOT
#define COLLECTOR_MAX_LISTEN 16
/* An agent frame header or HELLO line never needs more than this. */
#define COLLECTOR_MAX_HEADER WIRE_MAX_LINE
/* Agent frames are held whole (their MAC covers the whole payload); bigger is an error. */
#define COLLECTOR_MAX_AGENT_FRAME WIRE_MAX_FRAME
/* Lines waiting to be written, per output buffer: a bound, not a working limit (what
 * one turn of the loop reads is far less, and nothing is read while writes fail). */
#define COLLECTOR_OUTPUT_PENDING_MAX ((size_t)4 << 30)
#define COLLECTOR_TRUNC_MARK " [truncated]"

/* logging: common/log.h (log_warn, fatal, ...; ident "vmmanage-collector") */

/* ---- acl.c: the allow list, CIDR blocks of IPv4 and IPv6 ---- */
struct collector_cidr {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int prefix;
};
struct collector_acl {
	struct collector_cidr *v;
	size_t n;
};
int collector_cidr_parse(const char *s, struct collector_cidr *out, char *err, size_t errlen);
int collector_acl_add(struct collector_acl *acl, const char *s, char *err, size_t errlen);
/* 1 when the address is allowed; an IPv4-mapped IPv6 address matches IPv4 blocks. */
int collector_acl_allows(const struct collector_acl *acl, const struct sockaddr *sa);
void collector_acl_free(struct collector_acl *acl);

/* ---- config.c: libconfig file -> struct collector_conf ---- */
struct collector_conf {
	char *listen[COLLECTOR_MAX_LISTEN];
	size_t nlisten;
	char *output;
	char *json_output;
	char *state_dir;
	char *user;
	char *pid_file;
	char *keys_file;
	struct collector_acl acl;
	size_t max_line;
	long max_clients;
	double idle_timeout;
	double agent_idle_timeout;
	double max_clock_skew;       /* seconds an agent's clock may be off; 0: not checked */
	double rate_limit;    /* lines per second per host; 0 = no limit */
	double rate_burst;
	/* bounds on what unauthenticated peers can make the collector hold */
	size_t max_agent_hosts;  /* hosts kept in seq.state, least recently seen forgotten */
	size_t max_partial;      /* bytes held in unfinished frames, all connections */
	/* forwarding to rsyslog over RELP (forward.c); off when forward_relp is NULL */
	char *forward_relp;
	double forward_timeout;
	double forward_retry_max;
	/* the fleet view, status and metrics */
	char *control_socket;    /* default STATE_DIR/control */
	char *metrics_listen;    /* "ADDRESS:PORT", NULL: no /metrics */
	double silent_after;     /* seconds without a word before a VM is silent; 0: never */
	char **alert_command;    /* argv, NULL: none */
	size_t nalert_command;
	double alert_timeout;
};
void collector_conf_defaults(struct collector_conf *c);
/* Loads FILE over the defaults; err names the file, the line and the key. */
int collector_conf_load(struct collector_conf *c, const char *file, char *err, size_t errlen);
void collector_conf_free(struct collector_conf *c);

/* ---- escape.c: make any bytes safe for a one-line log and a terminal ---- */
/* Length of the longest prefix of s, at most max bytes, that does not end inside a
 * UTF-8 sequence. */
size_t collector_utf8_cut(const char *s, size_t len, size_t max);
/* Appends the escaped form of s to out (which has room for cap bytes, at least 4*len+1
 * is always enough); returns the escaped length. Control characters, DEL, C1 controls,
 * bytes that are not valid UTF-8, the invisible format characters that reorder or hide
 * text (bidi controls, zero-width characters, BOM) and backslash become \n \r \t \e \\
 * or \xHH (one per byte). */
size_t collector_escape(const char *s, size_t len, char *out, size_t cap);
/* JSON string body of s (no quotes); same sizing rule, 6*len+1. The JSON file gets text
 * collector_escape already made safe, so both files show the same. */
size_t collector_json_escape(const char *s, size_t len, char *out, size_t cap);

/* ---- frame.c: pure parsers, no I/O (what the unit tests and fuzzers call) ---- */
enum collector_proto {
	COLLECTOR_PROTO_UNKNOWN = 0,
	COLLECTOR_PROTO_THESIS,
	COLLECTOR_PROTO_SYSLOG,
	COLLECTOR_PROTO_AGENT,
};
enum { COLLECTOR_NEED_MORE = 0, COLLECTOR_BAD = -1 };
/* Which protocol a connection speaks from its first bytes; UNKNOWN = need more. */
enum collector_proto collector_frame_detect(const char *buf, size_t len);
/* A thesis line "host: message". 0 and host/msg set, or -1 when it has no valid host
 * part (the caller then uses the peer's address and the whole line). */
int collector_thesis_parse(const char *line, size_t len, const char **host, size_t *hostlen,
    const char **msg, size_t *msglen);
/* RFC 6587 octet counting: "LEN SP". Returns the header length (>0), NEED_MORE, or BAD;
 * *framelen gets LEN. */
int collector_octet_header(const char *buf, size_t len, size_t *framelen);
struct collector_syslog {
	int pri;               /* -1 when absent */
	const char *host; size_t hostlen;
	const char *tag; size_t taglen;    /* RFC 3164 TAG or RFC 5424 APP-NAME[PROCID] */
	const char *procid; size_t procidlen;
	const char *msg; size_t msglen;
	time_t stamp;          /* RFC 5424 TIMESTAMP when full, else 0 */
};
/* RFC 5424 or RFC 3164 message; a missing piece leaves its field empty. Never fails: a
 * message that is neither is all msg. */
void collector_syslog_parse(const char *buf, size_t len, struct collector_syslog *out);
/* The agent protocol's lines are parsed by common/wire.c. */
/* 1 if s is a usable host name: 1..255 of [A-Za-z0-9._-]. */
#define collector_host_valid wire_host_valid

/* ---- htab.c: a string-keyed hash table of fixed-size entries ---- */
struct collector_htab;
struct collector_htab *collector_htab_new(size_t valsize);
/* The entry of key, created zeroed when create is set; NULL when absent or on ENOMEM. */
void *collector_htab_get(struct collector_htab *h, const char *key, int create);
void collector_htab_del(struct collector_htab *h, const char *key);
/* The key of an entry that collector_htab_get returned, valid while the entry is. */
const char *collector_htab_key(const void *val);
size_t collector_htab_count(const struct collector_htab *h);
/* Calls fn for each entry; fn returns 1 to delete the entry. */
void collector_htab_each(struct collector_htab *h,
    int (*fn)(const char *key, void *val, void *arg), void *arg);
void collector_htab_free(struct collector_htab *h);

/* ---- output.c: the OUTPUT (thesis format) and JSON files, grouped writes ---- */
struct collector_meta {
	const char *proto;    /* "thesis", "syslog", "agent", "collector" */
	const char *src;      /* the peer's address */
	uint64_t seq;         /* 0 when none */
	const char *boot;
	int truncated;
	int64_t received;     /* the collector's clock when it came (epoch seconds) */
};
struct collector_output;
struct collector_output *collector_output_open(const char *path, const char *json_path,
    char *err, size_t errlen);
/* "EPOCH DATE" as the thesis wrote it, DATE as date(1) prints it in local time. */
size_t collector_format_stamp(time_t t, char *out, size_t cap);
int collector_output_add(struct collector_output *o, time_t t, const char *host, size_t hostlen,
    const char *msg, size_t msglen, const struct collector_meta *meta);
size_t collector_output_pending(const struct collector_output *o);
/* Offset where the pending bytes of OUTPUT will start, and the file's identity. */
int collector_output_position(struct collector_output *o, uint64_t *dev, uint64_t *ino,
    uint64_t *size);
/* The pending lines of agent frames (meta->seq set), which go first. */
size_t collector_output_pending_acked(const struct collector_output *o);
/* Writes the pending agent lines; with durable, fdatasync()s before returning. */
int collector_output_commit_acked(struct collector_output *o, int durable, char *err,
    size_t errlen);
/* Then the other lines and the JSON copy (whose failures are logged, not returned). */
int collector_output_commit_rest(struct collector_output *o, int durable, char *err,
    size_t errlen);
int collector_output_reopen(struct collector_output *o, char *err, size_t errlen);
int collector_output_fd(const struct collector_output *o);
/* fn is told OUTPUT's identity and end each time lines are in it for good (written, and
 * synced when they were to be), and at once; forward.c reads up to there. */
typedef void (*collector_output_watch_fn)(void *arg, uint64_t dev, uint64_t ino, uint64_t end);
void collector_output_watch(struct collector_output *o, collector_output_watch_fn fn, void *arg);
/* Bytes written to OUTPUT and to the JSON copy, and JSON bytes dropped, since the start. */
void collector_output_counts(const struct collector_output *o, uint64_t *written,
    uint64_t *json_written, uint64_t *json_dropped);
void collector_output_close(struct collector_output *o);

/* ---- seqdb.c: last (boot, seq) per agent host, persisted atomically ---- */
struct collector_seqdb;
struct collector_seqdb *collector_seqdb_open(const char *state_dir, size_t max_hosts,
    char *err, size_t errlen);
/* Reconciles the last batch with OUTPUT after a crash (see seqdb.c). */
int collector_seqdb_recover(struct collector_seqdb *db, struct collector_output *o,
    char *err, size_t errlen);
/* The last seq written for (host, boot); 0 if none or another boot. */
uint64_t collector_seqdb_last(struct collector_seqdb *db, const char *host, const char *boot);
/* 1 when (host, boot, seq) is new (and records it as pending), 0 for a duplicate, -1 ENOMEM. */
int collector_seqdb_accept(struct collector_seqdb *db, const char *host, const char *boot,
    uint64_t seq, uint64_t *gap);
int collector_seqdb_dirty(const struct collector_seqdb *db);
/* Before the batch is written: persist the pending state with the batch's place. */
int collector_seqdb_prepare(struct collector_seqdb *db, uint64_t dev, uint64_t ino,
    uint64_t start, uint64_t end, char *err, size_t errlen);
/* After the batch is durable. */
void collector_seqdb_commit(struct collector_seqdb *db);
void collector_seqdb_free(struct collector_seqdb *db);

/* ---- auth.c: per-host keys (libsodium crypto_auth, HMAC-SHA-512-256) ---- */
struct collector_keys;
/* Host names are folded (wire_host_fold) when loaded: two that fold alike are an error. */
struct collector_keys *collector_keys_load(const char *file, char *err, size_t errlen);
/* The key of the host that name folds to (so "VM1." finds vm1's), NULL if none; the
 * folded name goes to canon (WIRE_MAX_HOST + 1 bytes) when not NULL. */
const uint8_t *collector_keys_find(const struct collector_keys *k, const char *name,
    size_t namelen, char *canon);
/* 1 if name, folded, has a key. */
int collector_keys_has(const struct collector_keys *k, const char *name, size_t namelen);
void collector_keys_free(struct collector_keys *k);

/* ---- rate.c: per-host token buckets ---- */
struct collector_rate;
struct collector_rate *collector_rate_new(double rate, double burst);
/* 1 if host may write one line now. */
int collector_rate_take(struct collector_rate *r, const char *host, double now);
void collector_rate_free(struct collector_rate *r);

/* ---- listen.c: "host:port" / "[v6]:port" -> listening sockets ---- */
int collector_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen);
int collector_listen(const char *spec, char *err, size_t errlen);

/* ---- fwdpos.c: the pure parts of RELP forwarding ---- */
#define COLLECTOR_FWD_DEFAULT_PORT "2514"
/* "HOST:PORT", "[V6]:PORT" or "HOST" (port 2514) -> host and port strings. */
int collector_fwd_addr_parse(const char *s, char *host, size_t hostcap, char *port,
    size_t portcap, char *err, size_t errlen);
/* Where forwarding stands: OUTPUT's file (st_dev, st_ino) and the offset up to which
 * every line has been acknowledged by rsyslog. */
struct collector_fwdpos {
	uint64_t dev, ino, off;
};
int collector_fwdpos_parse(const char *buf, size_t len, struct collector_fwdpos *pos);
/* The file's text; its length, or -1 when cap is too small. */
int collector_fwdpos_format(const struct collector_fwdpos *pos, char *out, size_t cap);

/* ---- forward.c: every line of OUTPUT to rsyslog over RELP, from a thread ---- */
struct collector_forward;
/* Starts forwarding from where state_dir's relp.pos says; NULL and err on failure. */
struct collector_forward *collector_forward_start(const struct collector_conf *conf,
    struct collector_output *out, char *err, size_t errlen);
/* Stops the thread; what it had not had acknowledged is sent again at the next start. */
void collector_forward_stop(struct collector_forward *f);

/* ---- server.c / conn.c: the server ---- */
struct collector;
/* Takes SIGHUP (reopen the outputs), SIGTERM and SIGINT (stop) on its event loop. */
struct collector *collector_new(struct collector_conf *conf, struct collector_output *out,
    struct collector_seqdb *db, struct collector_keys *keys, char *err, size_t errlen);
int collector_add_listener(struct collector *s, int fd, char *err, size_t errlen);
/* Runs until SIGTERM or SIGINT; 0, or -1 when lines were left unwritten. */
int collector_run(struct collector *s);
void collector_free(struct collector *s);
double collector_now(void);
/* The CLI: line to the control socket, the answer to stdout. Exit status. */
int collector_control_client(const char *path, const char *line);

#endif
