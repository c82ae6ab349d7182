/* SPDX-License-Identifier: ISC */
/* Endpoint `broker`: asks vmmanage-broker, the provider's side, to move this VM, where
 * it runs and what its hosts offer. No hypervisor credential in the guest: only this VM's
 * key (broker_key_file), proven per connection (the broker protocol in common/wire.h).
 * Every wait has a deadline: a dead broker costs a timeout and a log line. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <vmmanage/endpoint.h>

#include "common/keyfile.h"
#include "common/clock.h"
#include "common/wire.h"

#define BK_MAX_HOSTS 64

struct bk_hint {
	char name[WIRE_MAX_HOST + 1];
	int64_t free_memory;
	double cpu_idle;
	int draining;
	double leave_in;             /* the host the VM runs on, draining: as HERE said */
};

struct bk_endpoint {
	const struct vmm_host *host;
	char *node, *service;        /* broker_address split */
	uint8_t key[WIRE_KEY_BYTES];
	double timeout;              /* endpoint_timeout: a move's answer */
	double connect_timeout;      /* broker_connect_timeout: connect, handshake, WHERE */
	struct bk_hint hints[BK_MAX_HOSTS];
	size_t nhints;
};

/* One connection: the session, the socket and what has been read but not used. */
struct bk_conn {
	struct bk_endpoint *e;
	int fd;
	struct wire_session ss;
	uint64_t seq;
	char in[WIRE_MAX_LINE + WIRE_BROKER_MAX_PAYLOAD];
	size_t inlen;
	enum vmm_failure fail;       /* why the last step failed */
};

/* A failed read or write: the deadline passed, or the broker went away. */
static int
bk_io_failed(struct bk_conn *c)
{
	c->fail = errno == ETIMEDOUT ? VMM_FAIL_TIMEOUT : VMM_FAIL_UNREACHABLE;
	return -1;
}

static const char *const bk_keys[] = { "broker_address", "broker_key_file",
	"broker_connect_timeout", "endpoint_timeout", NULL };

static int
bk_load_key(struct bk_endpoint *e, const char *file, char *err, size_t errlen)
{
	return keyfile_read_one(file, "broker_key_file", e->key, err, errlen);
}

/* "host:port", "[v6]:port" or "host" (port 31100). */
static int
bk_split(struct bk_endpoint *e, const char *addr, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return snprintf(err, errlen, "broker_address '%s': expected HOST[:PORT]", addr), -1;
		e->node = strndup(addr + 1, (size_t)(close - addr - 1));
		e->service = strdup(close[1] == ':' ? close + 2 : "31100");
	} else if (colon != NULL && strchr(addr, ':') == colon) {
		e->node = strndup(addr, (size_t)(colon - addr));
		e->service = strdup(colon + 1);
	} else {
		e->node = strdup(addr);
		e->service = strdup("31100");
	}
	if (e->node == NULL || e->service == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

static void bk_fini(void *state);

static int
bk_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct bk_endpoint *e = calloc(1, sizeof(*e));
	const char *addr = NULL, *keyfile = NULL;
	char where[512];

	if (e == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->host = host;
	e->timeout = 600;
	e->connect_timeout = 5;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		goto fail;
	}
	if (host->conf_string(conf, "broker_address", &addr, err, errlen) < 0 ||
	    host->conf_string(conf, "broker_key_file", &keyfile, err, errlen) < 0 ||
	    host->conf_number(conf, "endpoint_timeout", &e->timeout, err, errlen) < 0 ||
	    host->conf_number(conf, "broker_connect_timeout", &e->connect_timeout, err, errlen) < 0)
		goto fail;
	if (addr == NULL || keyfile == NULL) {
		snprintf(err, errlen, "%s: the broker endpoint needs broker_address (e.g. \"broker.example:31100\") and broker_key_file (this VM's key)",
		    host->conf_where(conf, addr == NULL ? "broker_address" : "broker_key_file", where, sizeof(where)));
		goto fail;
	}
	if (e->connect_timeout <= 0 || e->timeout <= 0) {
		snprintf(err, errlen, "%s: broker_connect_timeout and endpoint_timeout must be above 0",
		    host->conf_where(conf, "broker_connect_timeout", where, sizeof(where)));
		goto fail;
	}
	if (bk_split(e, addr, err, errlen) < 0 || bk_load_key(e, keyfile, err, errlen) < 0)
		goto fail;
	*state = e;
	return 0;
fail:
	bk_fini(e);
	return -1;
}

static void
bk_fini(void *state)
{
	struct bk_endpoint *e = state;

	if (e == NULL)
		return;
	sodium_memzero(e->key, sizeof(e->key));
	free(e->node);
	free(e->service);
	free(e);
}

/* ---- the connection, every step with a deadline (vmm_mono_now() time) ---- */

static int
bk_wait(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left = deadline - vmm_mono_now();

	if (left <= 0)
		return 0;
	int r = poll(&p, 1, (int)(left * 1000) + 1);
	return r < 0 && errno == EINTR ? 1 : r;
}

static int
bk_connect(struct bk_conn *c, double deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(c->e->node, c->e->service, &hints, &res), last = 0;

	c->fail = VMM_FAIL_UNREACHABLE;
	if (rc != 0)
		return snprintf(err, errlen, "%s: %s", c->e->node, gai_strerror(rc)), -1;
	snprintf(err, errlen, "no address");
	for (ai = res, c->fd = -1; ai != NULL && c->fd < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
			soerr = errno;
		else if (bk_wait(fd, POLLOUT, deadline) <= 0)
			soerr = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			last = soerr;
			snprintf(err, errlen, "%s", soerr == ETIMEDOUT ? "no answer (timeout)" : strerror(soerr));
			close(fd);
			continue;
		}
		c->fd = fd;
		/* each line is a whole message, answered before the next: no coalescing */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	}
	freeaddrinfo(res);
	c->fail = last == ETIMEDOUT ? VMM_FAIL_TIMEOUT : VMM_FAIL_UNREACHABLE;
	return c->fd < 0 ? -1 : 0;
}

static int
bk_send(struct bk_conn *c, const char *buf, size_t len, double deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (bk_wait(c->fd, POLLOUT, deadline) <= 0)
				return errno = ETIMEDOUT, -1;
		} else
			return -1;
	}
	return 0;
}

/* Until `need` bytes are in, or a LF within the first WIRE_MAX_LINE when need is 0.
 * Returns the line's length (need 0) or need; -1 on timeout, close or overlong line;
 * errno ETIMEDOUT for the timeout. */
static ssize_t
bk_fill(struct bk_conn *c, size_t need, double deadline)
{
	for (;;) {
		if (need == 0) {
			char *nl = memchr(c->in, '\n', c->inlen);
			if (nl != NULL)
				return nl - c->in;
			if (c->inlen >= WIRE_MAX_LINE)
				return errno = EPROTO, -1;
		} else if (c->inlen >= need)
			return (ssize_t)need;
		int w = bk_wait(c->fd, POLLIN, deadline);
		if (w <= 0)
			return errno = w == 0 ? ETIMEDOUT : errno, -1;
		ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n == 0)
			return errno = ECONNRESET, -1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			c->inlen += (size_t)n;
	}
}

static void
bk_consume(struct bk_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

/* HELLO, CHALLENGE, AUTH, OK: both sides have proven the key. */
static int
bk_handshake(struct bk_conn *c, double deadline, char *err, size_t errlen)
{
	char line[WIRE_MAX_LINE], e2[128];
	struct wire_breply r;
	uint8_t mac[WIRE_MAC_BYTES];
	ssize_t n;

	memset(&c->ss, 0, sizeof(c->ss));
	c->ss.version = WIRE_V2;
	snprintf(c->ss.host, sizeof(c->ss.host), "%s", c->e->host->hostname());
	snprintf(c->ss.boot, sizeof(c->ss.boot), "b%u", (unsigned)randombytes_uniform(1000000000));
	randombytes_buf(c->ss.cnonce, sizeof(c->ss.cnonce));
	if (bk_send(c, line, wire_bhello_format(line, sizeof(line), &c->ss), deadline) < 0 ||
	    (n = bk_fill(c, 0, deadline)) < 0)
		return snprintf(err, errlen, "no challenge: %s", strerror(errno)), bk_io_failed(c);
	c->fail = VMM_FAIL_OTHER;
	if (wire_breply_parse(c->in, (size_t)n, &r, e2, sizeof(e2)) < 0 || r.kind != WIRE_REPLY_CHALLENGE)
		return snprintf(err, errlen, "%.*s", r.kind == WIRE_REPLY_ERR ? (int)r.whylen : (int)sizeof(e2),
		    r.kind == WIRE_REPLY_ERR ? r.why : e2), -1;
	memcpy(c->ss.snonce, r.snonce, sizeof(r.snonce));
	bk_consume(c, (size_t)n + 1);
	wire_bmac(mac, c->e->key, WIRE_BMAC_AUTH, &c->ss, 0, NULL, 0);
	if (bk_send(c, line, wire_auth_format(line, sizeof(line), mac), deadline) < 0 ||
	    (n = bk_fill(c, 0, deadline)) < 0)
		return snprintf(err, errlen, "no answer to AUTH: %s", strerror(errno)), bk_io_failed(c);
	/* a broker that refuses this VM's key will refuse it next time too */
	c->fail = VMM_FAIL_CONFIG;
	if (wire_breply_parse(c->in, (size_t)n, &r, e2, sizeof(e2)) < 0 || r.kind != WIRE_REPLY_OK) {
		return snprintf(err, errlen, "%.*s", r.kind == WIRE_REPLY_ERR ? (int)r.whylen : (int)sizeof(e2),
		    r.kind == WIRE_REPLY_ERR ? r.why : e2), -1;
	}
	if (!wire_bmac_check(r.mac, c->e->key, WIRE_BMAC_OK, &c->ss, 0, NULL, 0))
		return snprintf(err, errlen, "the broker does not know this VM's key (bad OK MAC)"), -1;
	bk_consume(c, (size_t)n + 1);
	return 0;
}

static int
bk_open(struct bk_endpoint *e, struct bk_conn *c, char *err, size_t errlen)
{
	double deadline = vmm_mono_now() + e->connect_timeout;
	char why[256];

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->fd = -1;
	if (bk_connect(c, deadline, why, sizeof(why)) < 0 ||
	    bk_handshake(c, deadline, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "broker %s:%s: %s", e->node, e->service, why);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void
bk_close(struct bk_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	sodium_memzero(&c->ss, sizeof(c->ss));
}

/* Sends rq, waits for its answer: the payload (NUL-terminated, LFs kept) in out. */
static int
bk_ask(struct bk_conn *c, const struct wire_breq *rq, double wait, char *out, size_t cap,
    char *err, size_t errlen)
{
	double deadline = vmm_mono_now() + wait;
	char payload[WIRE_MAX_LINE], frame[2 * WIRE_MAX_LINE], e2[128];
	uint8_t mac[WIRE_MAC_BYTES];
	struct wire_bframe f;
	struct wire_breply r;
	size_t plen = wire_breq_format(payload, sizeof(payload), rq), hlen;
	ssize_t n;

	c->seq++;
	wire_bmac(mac, c->e->key, WIRE_BMAC_REQ, &c->ss, c->seq, payload, plen);
	/* header and payload in one segment: sent apart, Nagle held the payload back for
	 * the broker's delayed ACK, some 40 ms of every request */
	hlen = wire_bframe_format(frame, sizeof(frame), 'Q', c->seq, plen, mac);
	memcpy(frame + hlen, payload, plen);
	if (bk_send(c, frame, hlen + plen, deadline) < 0 || (n = bk_fill(c, 0, deadline)) < 0)
		return snprintf(err, errlen, "broker %s:%s: no answer: %s", c->e->node, c->e->service,
		    errno == ETIMEDOUT ? "timeout" : strerror(errno)), bk_io_failed(c);
	c->fail = VMM_FAIL_OTHER;
	if (wire_breply_parse(c->in, (size_t)n, &r, e2, sizeof(e2)) == 0 && r.kind == WIRE_REPLY_ERR)
		return snprintf(err, errlen, "broker %s:%s: %.*s", c->e->node, c->e->service,
		    (int)r.whylen, r.why), -1;
	if (wire_bframe_parse(c->in, (size_t)n, 'R', &f, e2, sizeof(e2)) < 0 || f.seq != c->seq ||
	    f.len >= cap)
		return snprintf(err, errlen, "broker %s:%s: bad answer: %s", c->e->node, c->e->service, e2), -1;
	bk_consume(c, (size_t)n + 1);
	if (bk_fill(c, f.len, deadline) < 0)
		return snprintf(err, errlen, "broker %s:%s: answer cut short", c->e->node, c->e->service),
		    bk_io_failed(c);
	if (!wire_bmac_check(f.mac, c->e->key, WIRE_BMAC_REP, &c->ss, f.seq, c->in, f.len))
		return snprintf(err, errlen, "broker %s:%s: bad answer MAC", c->e->node, c->e->service), -1;
	memcpy(out, c->in, f.len);
	out[f.len] = '\0';
	bk_consume(c, f.len);
	return 0;
}

/* The first line of an answer. */
static int
bk_answer(const char *payload, struct wire_bans *a, char *err, size_t errlen)
{
	size_t n = strcspn(payload, "\n");

	if (wire_bans_parse(payload, n, a, err, errlen) < 0)
		return snprintf(err, errlen, "bad answer \"%.*s\"", (int)(n < 60 ? n : 60), payload), -1;
	return 0;
}

/* The answer to a MOVE (or OUTCOME) as the agent's result. */
static void
bk_result(const struct wire_bans *a, struct vmm_move_result *res)
{
	if (a->kind == WIRE_BANS_DONE) {
		res->outcome = (enum vmm_move_outcome)a->outcome;
		res->failure = (enum vmm_failure)a->failure;
		res->permanent = a->permanent;
		res->duration = a->duration;
		snprintf(res->location, sizeof(res->location), "%s", a->host);
		snprintf(res->detail, sizeof(res->detail), "through the broker: %s", a->text);
	} else if (a->kind == WIRE_BANS_REFUSED) {
		/* not admitted: nothing was tried, no host is at fault (the agent's journal
		 * says so, and its guard waits retry_after) */
		res->outcome = VMM_MOVE_REFUSED;
		res->retry_after = a->retry_after;
		snprintf(res->detail, sizeof(res->detail), "%s", a->text);
	} else if (a->kind == WIRE_BANS_UNKNOWN) {
		/* it was never admitted, so it never ran: safe to ask again later */
		res->failure = VMM_FAIL_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "the broker has no record of the request: it did not run");
	} else {
		res->failure = VMM_FAIL_OTHER;
		snprintf(res->detail, sizeof(res->detail), "the broker: %s", a->kind == WIRE_BANS_ERR ? a->text : "unexpected answer");
	}
}

/* The connection broke with the move asked: the broker may have taken it (and may have
 * restarted since). Reconnect and ask for the outcome of request `id` until `deadline`,
 * never the move again: the broker answers from its record, or when the move ends. */
static int
bk_outcome(struct bk_endpoint *e, uint64_t id, double deadline, struct wire_bans *a, char *err,
    size_t errlen)
{
	struct wire_breq rq = { .kind = WIRE_BREQ_OUTCOME, .id = id };
	char out[WIRE_BROKER_MAX_PAYLOAD + 1], why[512];
	struct bk_conn c;

	while (vmm_mono_now() < deadline) {
		nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
		if (bk_open(e, &c, why, sizeof(why)) < 0)
			continue;
		int rc = bk_ask(&c, &rq, deadline - vmm_mono_now(), out, sizeof(out), why, sizeof(why));
		bk_close(&c);
		if (rc == 0 && bk_answer(out, a, why, sizeof(why)) == 0)
			return 0;
		if (rc == 0 || c.fail == VMM_FAIL_CONFIG)
			break;
	}
	snprintf(err, errlen, "request %016" PRIx64 ": no outcome by the deadline: %s", id, why);
	return -1;
}

static void
bk_move(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct bk_endpoint *e = state;
	struct wire_breq rq = { .kind = WIRE_BREQ_MOVE, .action = (int)req->action,
		.cross_site = req->cross_site };
	char out[WIRE_BROKER_MAX_PAYLOAD + 1], err[512];
	/* the broker's own deadline is the migration's; the margin covers its reply */
	double deadline = vmm_mono_now() + e->timeout + e->connect_timeout;
	struct wire_bans a;
	struct bk_conn c;
	int asked;

	memset(res, 0, sizeof(*res));
	res->outcome = VMM_MOVE_FAILED;
	snprintf(rq.target, sizeof(rq.target), "%s", req->target);
	/* the caller's name for it, which it keeps across its restarts (bk_recover) */
	if ((rq.id = req->id) == 0) {
		randombytes_buf(&rq.id, sizeof(rq.id));
		rq.id += rq.id == 0;
	}
	asked = bk_open(e, &c, err, sizeof(err)) == 0;
	if (!asked || bk_ask(&c, &rq, deadline - vmm_mono_now(), out, sizeof(out), err, sizeof(err)) < 0 ||
	    bk_answer(out, &a, err, sizeof(err)) < 0) {
		bk_close(&c);
		int lost = asked && (c.fail == VMM_FAIL_UNREACHABLE || c.fail == VMM_FAIL_TIMEOUT);
		if (lost)
			e->host->log(VMM_LOG_WARNING, "broker: %s; asking for the outcome of request %016" PRIx64 " until it comes",
			    err, rq.id);
		if (!lost || bk_outcome(e, rq.id, deadline, &a, err, sizeof(err)) < 0) {
			e->host->log(VMM_LOG_WARNING, "broker: %s", err);
			res->failure = lost ? VMM_FAIL_TIMEOUT : c.fail;
			res->permanent = c.fail == VMM_FAIL_CONFIG;
			snprintf(res->detail, sizeof(res->detail), "%s", err);
			return;
		}
		e->host->log(VMM_LOG_INFO, "broker: request %016" PRIx64 ": the outcome, asked again: %s",
		    rq.id, a.kind == WIRE_BANS_DONE ? "done" : a.kind == WIRE_BANS_UNKNOWN ? "never taken" : "refused");
	} else
		bk_close(&c);
	bk_result(&a, res);
}

/* The agent restarted with request req->id unanswered: the broker answers from its
 * record, or when the move ends (OUTCOME never runs one); UNKNOWN: it never took it. */
static void
bk_recover(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct bk_endpoint *e = state;
	double deadline = vmm_mono_now() + e->timeout + e->connect_timeout;
	struct wire_bans a;
	char err[512];

	memset(res, 0, sizeof(*res));
	res->outcome = VMM_MOVE_FAILED;
	if (req->id == 0) {
		res->failure = VMM_FAIL_OTHER;
		snprintf(res->detail, sizeof(res->detail), "no request ID to ask the broker about");
		return;
	}
	if (bk_outcome(e, req->id, deadline, &a, err, sizeof(err)) < 0) {
		e->host->log(VMM_LOG_WARNING, "broker: %s", err);
		res->failure = VMM_FAIL_TIMEOUT;
		snprintf(res->detail, sizeof(res->detail), "%s", err);
		return;
	}
	if (a.kind == WIRE_BANS_UNKNOWN) {
		/* the agent stopped before its MOVE reached the broker: no host is at fault */
		res->outcome = VMM_MOVE_NOT_MADE;
		snprintf(res->detail, sizeof(res->detail), "the broker has no record of it: it never took it, nothing ran");
		return;
	}
	bk_result(&a, res);
}

/* HOSTS answer: "HOSTS N" then N "HOST" lines, kept for bk_hints. */
static void
bk_keep_hosts(struct bk_endpoint *e, const char *payload)
{
	struct wire_bans a;
	char err[64];

	e->nhints = 0;
	for (const char *p = strchr(payload, '\n'); p != NULL && p[1] != '\0'; p = strchr(p + 1, '\n')) {
		size_t n = strcspn(p + 1, "\n");
		if (wire_bans_parse(p + 1, n, &a, err, sizeof(err)) < 0 || a.kind != WIRE_BANS_HOST ||
		    e->nhints >= BK_MAX_HOSTS)
			continue;
		struct bk_hint *h = &e->hints[e->nhints++];
		snprintf(h->name, sizeof(h->name), "%s", a.host);
		h->free_memory = a.free_memory;
		h->cpu_idle = a.cpu_idle;
		h->draining = a.draining;
		h->leave_in = -1;
	}
}

/* HERE's word on the host the VM runs on, into its hint (one made when HOSTS had none). */
static void
bk_keep_here(struct bk_endpoint *e, const struct wire_bans *here)
{
	struct bk_hint *h = NULL;

	for (size_t i = 0; i < e->nhints && h == NULL; i++)
		if (strcmp(e->hints[i].name, here->host) == 0)
			h = &e->hints[i];
	if (h == NULL && e->nhints < BK_MAX_HOSTS) {
		h = &e->hints[e->nhints++];
		*h = (struct bk_hint){ .free_memory = -1, .cpu_idle = -1 };
		snprintf(h->name, sizeof(h->name), "%s", here->host);
	}
	if (h != NULL) {
		h->draining = here->draining;
		h->leave_in = here->draining ? here->leave_in : -1;
	}
}

/* WHERE, then HOSTS on the same connection (its second request). */
static int
bk_locate(void *state, char *host, size_t hostlen, char *err, size_t errlen)
{
	struct bk_endpoint *e = state;
	struct wire_breq where = { .kind = WIRE_BREQ_WHERE }, hosts = { .kind = WIRE_BREQ_HOSTS };
	char out[WIRE_BROKER_MAX_PAYLOAD + 1];
	struct wire_bans a;
	struct bk_conn c;

	if (bk_open(e, &c, err, errlen) < 0 ||
	    bk_ask(&c, &where, e->connect_timeout * 4, out, sizeof(out), err, errlen) < 0 ||
	    bk_answer(out, &a, err, errlen) < 0) {
		bk_close(&c);
		return -1;
	}
	if (a.kind != WIRE_BANS_HERE || a.host[0] == '\0') {
		bk_close(&c);
		return snprintf(err, errlen, "the broker cannot tell: %s", a.kind == WIRE_BANS_HERE ? "unknown" : a.text), -1;
	}
	snprintf(host, hostlen, "%s", a.host);
	struct wire_bans here = a;
	if (bk_ask(&c, &hosts, e->connect_timeout * 4, out, sizeof(out), err, errlen) == 0 &&
	    bk_answer(out, &a, err, errlen) == 0 && a.kind == WIRE_BANS_HOSTS)
		bk_keep_hosts(e, out);
	bk_keep_here(e, &here);
	bk_close(&c);
	return 0;
}

static size_t
bk_hints(void *state, struct vmm_host_hint *out, size_t max)
{
	struct bk_endpoint *e = state;
	size_t n = 0;

	for (; n < e->nhints && n < max; n++)
		out[n] = (struct vmm_host_hint){ .host = e->hints[n].name,
			.free_memory = e->hints[n].free_memory, .cpu_idle = e->hints[n].cpu_idle,
			.incoming = -1, .draining = e->hints[n].draining,
			.leave_in = e->hints[n].leave_in };
	return n;
}

static const struct vmm_endpoint_ops bk_ops = {
	.abi = VMM_ENDPOINT_ABI,
	.size = sizeof(struct vmm_endpoint_ops),
	.name = "broker",
	.summary = "asks vmmanage-broker, authenticated by this VM's key; no hypervisor credential here",
	.keys = bk_keys,
	.init = bk_init,
	.move = bk_move,
	.locate = bk_locate,
	.fini = bk_fini,
	.hints = bk_hints,
	.recover = bk_recover,
};

const struct vmm_endpoint_ops *
vmm_endpoint_entry(void)
{
	return &bk_ops;
}
