/* SPDX-License-Identifier: ISC */
/* The agent protocol between logship (the agent's side) and vmmanage-collector, said once:
 * every line either side formats or parses, and the exact bytes each MAC covers. Pure
 * functions, no I/O and no allocation, so both sides, the unit tests and the fuzzers call
 * the same code. The protocol is documented in vmmanage-collector(8), AGENT PROTOCOL.
 *
 * VMM2 (a session bound to the collector):
 *   agent      VMM2 HELLO HOST BOOT CNONCE
 *   collector  VMM2 CHALLENGE SNONCE              (with keys_file)
 *   agent      AUTH MAC(AUTH)
 *   collector  VMM2 OK LAST MAC(OK)               (without keys_file: VMM2 OK LAST)
 *   agent      M SEQ EPOCH LEN MAC(M)\n PAYLOAD\n ...
 *   collector  A SEQ MAC(A)                       (without keys_file: A SEQ)
 * VMM1 (no session binding; only a collector without keys_file takes it):
 *   VMM1 HELLO HOST BOOT / VMM1 OK LAST / M SEQ EPOCH LEN [MAC] / A SEQ */
#ifndef VMM_WIRE_H
#define VMM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_KEY_BYTES 32          /* crypto_auth_hmacsha512256_KEYBYTES */
#define WIRE_MAC_BYTES 32          /* crypto_auth_hmacsha512256_BYTES */
#define WIRE_NONCE_BYTES 32        /* a fresh random value per connection and side */
#define WIRE_MAX_HOST 255
#define WIRE_MAX_BOOT 64
/* Any handshake line, reply or frame header fits in this, LF included. */
#define WIRE_MAX_LINE 512
#define WIRE_MAX_FRAME (1024 * 1024)

enum wire_version { WIRE_V1 = 1, WIRE_V2 = 2 };

/* What both ends know of one connection once HELLO (and CHALLENGE) went by. */
struct wire_session {
	enum wire_version version;
	char host[WIRE_MAX_HOST + 1];
	char boot[WIRE_MAX_BOOT + 1];
	uint8_t cnonce[WIRE_NONCE_BYTES];  /* the agent's */
	uint8_t snonce[WIRE_NONCE_BYTES];  /* the collector's */
};

/* ---- names ---- */
/* 1 if s is a usable host name: 1..255 of [A-Za-z0-9._-]. */
int wire_host_valid(const char *s, size_t len);
/* The next SP-delimited token of [*p, end); advances past the SP. 0, or -1 when there is
 * none or it is empty. The syslog parser uses it too. */
int wire_token(const char **p, const char *end, const char **tok, size_t *toklen);
/* The name a host is known by: lower case, trailing dots removed ("VM1." -> "vm1"), so
 * that look-alikes of a keyed name are that name. out has room for WIRE_MAX_HOST + 1;
 * returns the folded length (0 when nothing is left). */
size_t wire_host_fold(const char *s, size_t len, char *out);
/* 1 if the (3 or more) first bytes of buf can still begin an agent greeting, "VMM1 " or
 * "VMM2 "; 2 when the whole magic is there. 0: not the agent protocol. */
int wire_magic(const char *buf, size_t len);

/* ---- the agent's lines ---- */
/* "VMM2 HELLO host boot cnonce\n" ("VMM1 HELLO host boot\n" when ss->version is
 * WIRE_V1: test and bench peers); returns its length (0 when it does not fit). */
size_t wire_hello_format(char *out, size_t cap, const struct wire_session *ss);
/* "VMM1 HELLO host boot" or "VMM2 HELLO host boot cnonce" (without the LF): sets
 * version, host, boot and cnonce. 0, or -1 with err. */
int wire_hello_parse(const char *line, size_t len, struct wire_session *ss, char *err,
    size_t errlen);
size_t wire_auth_format(char *out, size_t cap, const uint8_t mac[WIRE_MAC_BYTES]);
/* "AUTH mac" (without the LF). 0, or -1 with err. */
int wire_auth_parse(const char *line, size_t len, uint8_t mac[WIRE_MAC_BYTES], char *err,
    size_t errlen);
struct wire_msghdr {
	uint64_t seq;
	int64_t epoch;
	size_t len;
	int has_mac;
	uint8_t mac[WIRE_MAC_BYTES];
};
/* "M seq epoch len[ mac]\n"; mac may be NULL. */
size_t wire_msghdr_format(char *out, size_t cap, uint64_t seq, int64_t epoch, size_t len,
    const uint8_t *mac);
/* "M seq epoch len [mac]" (without the LF): seq 1..2^63-1, len up to WIRE_MAX_FRAME.
 * 0, or -1 with err. */
int wire_msghdr_parse(const char *line, size_t len, struct wire_msghdr *m, char *err,
    size_t errlen);

/* ---- the collector's lines ---- */
size_t wire_challenge_format(char *out, size_t cap, const uint8_t snonce[WIRE_NONCE_BYTES]);
/* "VERSION OK last[ mac]\n"; mac may be NULL. */
size_t wire_ok_format(char *out, size_t cap, enum wire_version v, uint64_t last,
    const uint8_t *mac);
/* "A seq[ mac]\n"; mac may be NULL. */
size_t wire_ack_format(char *out, size_t cap, uint64_t seq, const uint8_t *mac);
/* "VERSION ERR why\n", why cut to fit. */
size_t wire_err_format(char *out, size_t cap, enum wire_version v, const char *why);
enum wire_reply_kind { WIRE_REPLY_CHALLENGE = 1, WIRE_REPLY_OK, WIRE_REPLY_ACK, WIRE_REPLY_ERR };
struct wire_reply {
	enum wire_reply_kind kind;
	uint64_t seq;                      /* OK: LAST; A: SEQ */
	int has_mac;
	uint8_t mac[WIRE_MAC_BYTES];
	uint8_t snonce[WIRE_NONCE_BYTES];  /* CHALLENGE */
	const char *why;                   /* ERR: into line */
	size_t whylen;
};
/* One reply line of a collector speaking version v (without the LF). 0, or -1 with err
 * when it is none of the above. */
int wire_reply_parse(const char *line, size_t len, enum wire_version v, struct wire_reply *r,
    char *err, size_t errlen);

/* ---- MACs: HMAC-SHA-512-256 with the host's key over
 *   "VMM2 KIND HOST BOOT CNONCE SNONCE[ ARGS]\n"[ PAYLOAD]
 * with KIND AUTH (no args), OK (LAST), A (SEQ) or M (SEQ EPOCH LEN, then the payload);
 * the nonces in lower-case hex. The nonces tie every MAC to one connection, the KIND to
 * one direction and one place in the protocol. ---- */
enum wire_mac_kind { WIRE_MAC_AUTH, WIRE_MAC_OK, WIRE_MAC_ACK, WIRE_MAC_FRAME };
/* The text the MAC covers before any payload; args are LAST, SEQ or SEQ EPOCH LEN. */
size_t wire_mac_input(char *out, size_t cap, enum wire_mac_kind kind,
    const struct wire_session *ss, uint64_t seq, int64_t epoch, size_t len);
void wire_mac(uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_mac_kind kind, const struct wire_session *ss, uint64_t seq, int64_t epoch,
    const char *payload, size_t len);
/* 1 when mac is the right one (compared in constant time). */
int wire_mac_check(const uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_mac_kind kind, const struct wire_session *ss, uint64_t seq, int64_t epoch,
    const char *payload, size_t len);

/* ---- the broker protocol (vmmanage-broker(8), BROKER PROTOCOL): the agent's `broker`
 * endpoint asks vmmanage-broker to move its VM. The same session binding as VMM2, with
 * its own magic and MAC inputs, so that no MAC of one protocol is valid in the other:
 *   agent   VMB1 HELLO VM BOOT CNONCE
 *   broker  VMB1 CHALLENGE SNONCE
 *   agent   AUTH MAC(AUTH)
 *   broker  VMB1 OK MAC(OK)                (the broker knows the key too)
 *   agent   Q SEQ LEN MAC(Q)\n PAYLOAD       (SEQ rises by one per request: 1, 2, ...)
 *   broker  R SEQ LEN MAC(R)\n PAYLOAD       (the answer to request SEQ)
 *   either  VMB1 ERR why                   (then the connection closes)
 * MACs: HMAC-SHA-512-256 with the VM's key over
 *   "VMB1 KIND VM BOOT CNONCE SNONCE[ SEQ LEN]\n"[ PAYLOAD], KIND AUTH, OK, Q or R.
 * Requests: "MOVE ACTION TARGET CROSS [ID]" (CROSS 0 or 1; ID, 16 hex digits, names the
 *   move across connections and restarts: a MOVE with an ID the broker has seen is
 *   answered from its record, never run again), "OUTCOME ID" (the answer to that move,
 *   waiting for its end if it runs), "WHERE", "HOSTS".
 * Answers: "DONE OUTCOME FAILURE PERMANENT DURATION LOCATION DETAIL",
 *   "UNKNOWN" (OUTCOME: no move with that ID was admitted, so none ran),
 *   "REFUSED RETRY_AFTER REASON", "HERE HOST DRAINING[ LEAVE_IN]",
 *   "HOST NAME FREE_BYTES CPU_IDLE[ DRAINING]"
 *   lines (one per host, none at all possible; HOSTS answers "HOSTS N" first),
 *   "ERR REASON". ---- */
#define WIRE_BROKER_MAX_PAYLOAD 8192
enum wire_bmac_kind { WIRE_BMAC_AUTH, WIRE_BMAC_OK, WIRE_BMAC_REQ, WIRE_BMAC_REP };
size_t wire_bhello_format(char *out, size_t cap, const struct wire_session *ss);
/* "VMB1 HELLO vm boot cnonce" (without the LF). 0, or -1 with err. */
int wire_bhello_parse(const char *line, size_t len, struct wire_session *ss, char *err,
    size_t errlen);
size_t wire_bchallenge_format(char *out, size_t cap, const uint8_t snonce[WIRE_NONCE_BYTES]);
size_t wire_bok_format(char *out, size_t cap, const uint8_t mac[WIRE_MAC_BYTES]);
size_t wire_berr_format(char *out, size_t cap, const char *why);
/* A broker's handshake line: CHALLENGE (snonce), OK (mac) or ERR (why, into line). */
struct wire_breply {
	enum wire_reply_kind kind;
	uint8_t mac[WIRE_MAC_BYTES];
	uint8_t snonce[WIRE_NONCE_BYTES];
	const char *why;
	size_t whylen;
};
int wire_breply_parse(const char *line, size_t len, struct wire_breply *r, char *err,
    size_t errlen);
/* "Q seq len mac\n" (kind 'Q') or "R seq len mac\n" (kind 'R'). */
size_t wire_bframe_format(char *out, size_t cap, char kind, uint64_t seq, size_t len,
    const uint8_t mac[WIRE_MAC_BYTES]);
struct wire_bframe {
	uint64_t seq;
	size_t len;                /* up to WIRE_BROKER_MAX_PAYLOAD */
	uint8_t mac[WIRE_MAC_BYTES];
};
/* A frame header of that kind (without the LF). 0, or -1 with err. */
int wire_bframe_parse(const char *line, size_t len, char kind, struct wire_bframe *f,
    char *err, size_t errlen);
void wire_bmac(uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_bmac_kind kind, const struct wire_session *ss, uint64_t seq,
    const char *payload, size_t len);
int wire_bmac_check(const uint8_t mac[WIRE_MAC_BYTES], const uint8_t key[WIRE_KEY_BYTES],
    enum wire_bmac_kind kind, const struct wire_session *ss, uint64_t seq,
    const char *payload, size_t len);

enum wire_breq_kind { WIRE_BREQ_MOVE = 1, WIRE_BREQ_WHERE, WIRE_BREQ_HOSTS, WIRE_BREQ_OUTCOME };
struct wire_breq {
	enum wire_breq_kind kind;
	int action;                      /* enum vmm_action, 1.. (MOVE) */
	char target[WIRE_MAX_HOST + 1];  /* MOVE */
	int cross_site;
	uint64_t id;                     /* MOVE (0: none given), OUTCOME (never 0) */
};
/* A request payload. action names are vmm_action_name's. 0, or -1 with err. */
int wire_breq_parse(const char *p, size_t len, struct wire_breq *rq, char *err, size_t errlen);
size_t wire_breq_format(char *out, size_t cap, const struct wire_breq *rq);
/* One answer line (the first line of a payload). */
enum wire_bans_kind { WIRE_BANS_DONE = 1, WIRE_BANS_REFUSED, WIRE_BANS_HERE, WIRE_BANS_HOSTS,
	WIRE_BANS_HOST, WIRE_BANS_ERR, WIRE_BANS_UNKNOWN };
struct wire_bans {
	enum wire_bans_kind kind;
	int outcome;                     /* DONE: enum vmm_move_outcome */
	int failure;                     /* DONE: enum vmm_failure */
	int permanent;
	double duration;                 /* DONE, seconds; -1 unknown */
	double retry_after;              /* REFUSED, seconds */
	char host[WIRE_MAX_HOST + 1];    /* DONE location ("" unknown), HERE, HOST */
	int draining;                    /* HERE, HOST */
	double leave_in;                 /* HERE draining: seconds until the provider moves
	                                  * the VM itself; -1 no deadline */
	uint64_t count;                  /* HOSTS */
	int64_t free_memory;             /* HOST, -1 unknown */
	double cpu_idle;                 /* HOST, -1 unknown */
	char text[512];                  /* DONE detail, REFUSED and ERR reason */
};
/* Parses the line [p, p+len) (no LF). 0, or -1 with err. */
int wire_bans_parse(const char *p, size_t len, struct wire_bans *a, char *err, size_t errlen);
/* Formats one answer line, LF included; text is cut to fit and its LFs become spaces. */
size_t wire_bans_format(char *out, size_t cap, const struct wire_bans *a);

#endif
