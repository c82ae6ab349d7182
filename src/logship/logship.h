/* SPDX-License-Identifier: ISC */
/* logship: the agent's side of the central log. Every message is first appended to a
 * spool in state_dir, then sent over one persistent connection; the spool is trimmed only
 * up to what the collector acknowledged (it acks after fsync), so a collector restart, a
 * network cut or a move to another site loses nothing. It runs on the project's event loop
 * (ev.h) and never blocks its caller: DNS (c-ares), connect and I/O are all non-blocking.
 * The wire protocol is documented in vmmanage-collector(8). */
#ifndef VMM_LOGSHIP_H
#define VMM_LOGSHIP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum logship_protocol {
	LOGSHIP_VMMANAGE = 0,   /* acknowledged, deduplicated: vmmanage-collector */
	LOGSHIP_SYSLOG,         /* RFC 5424 over TCP, octet counting: any syslog server */
};

/* Longer messages are cut (on a UTF-8 boundary) and end with " [truncated]". */
#define LOGSHIP_MAX_MSG 8192

struct logship_conf {
	const char *collector;      /* "host:port", "[v6addr]:port"; port 31000 (syslog: 514) if absent */
	const char *const *collectors; /* or several, tried in order (collector is then unused) */
	size_t ncollectors;
	double failback;            /* on a later collector, go back to the first after this many
	                             * seconds connected (when nothing is in flight); 0: 300 */
	enum logship_protocol protocol;
	const char *hostname;       /* NULL: gethostname() */
	const char *state_dir;      /* the spool lives here (created if missing) */
	uint64_t spool_max_bytes;   /* 0: 16 MiB */
	const char *key_file;       /* NULL: unsigned frames; else 64 hex digits (crypto_auth key) */
	double ack_timeout;         /* 0: 10 s without an ack while frames are in flight = dead link */
	int no_sync;                /* 1: do not fdatasync the spool on each message (tests, benches) */
	void (*warn)(const char *msg); /* what the log path has to say; NULL: stderr */
	struct ev_loop *loop;        /* the event loop it runs on */
};

struct logship_status {
	int connected;              /* 1 once the collector answered (syslog: TCP connected) */
	uint64_t spooled;           /* messages in the spool not yet acknowledged */
	uint64_t spool_bytes;
	uint64_t dropped;           /* messages dropped because the spool was full, ever */
	uint64_t next_seq;          /* the seq the next message gets */
	uint64_t acked_seq;         /* every seq up to this one is at the collector */
	char boot[17];              /* this spool's boot id */
	char last_error[160];       /* why the last connection failed, "" if none */
	char current[300];          /* the collector it talks to or tries now, as configured */
	unsigned failovers;         /* times it went on to another collector */
};

struct logship;

/* Opens (or recovers) the spool and starts connecting. NULL with err on failure. */
struct logship *logship_new(const struct logship_conf *conf, char *err, size_t errlen);
/* Appends one message (durably unless no_sync) and sends it when it can. 0, or -1 with
 * errno when it could not be spooled (e.g. ENOSPC); never blocks on the network. */
int logship_submit(struct logship *ls, time_t t, const char *msg);
void logship_status(const struct logship *ls, struct logship_status *st);
/* Closes the connection; the spool stays for the next start. */
void logship_free(struct logship *ls);

#endif
