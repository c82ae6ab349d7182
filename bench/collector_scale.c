/* SPDX-License-Identifier: ISC */
/* collector_scale: many agents at once against vmmanage-collector, as issue 17 sizes them.
 * C connections, each from a source address of 127.0.0.0/8 (-A per address), each
 * authenticated as its own host with the VMM2 handshake and key (HELLO, CHALLENGE, AUTH,
 * OK), then signed frames at a steady pace: one cycle line per connection per -r
 * minutes' worth, plus -E events per cycle line, spread evenly over time (-F N: the
 * frames of a fleet of N agents, over fewer connections when the open files limit
 * does not allow N). Measures each
 * frame's acknowledgement latency (write to the ack that covers it) and reads the
 * collector's VmRSS and VmHWM (-P PID) once all are connected and after the run.
 *   collector_scale -K FILE -c C                 writes the keys_file for C hosts
 *   collector_scale -p PORT -c C -P PID [-d S]   the run; "key=value ..." on stdout
 * Keys are derived from the host's number, so the two calls agree. Test and benchmark
 * tool, not part of the product. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/wire.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* Frames sent and not yet acknowledged, per connection, whose send times are kept. */
#define SC_OUTSTANDING 4
/* Handshakes under way at once: a burst of SYNs past the accept queue costs seconds. */
#define SC_INFLIGHT 1000

enum sc_state { SC_CONNECTING, SC_HELLO, SC_AUTH, SC_READY, SC_DEAD };

struct sc_conn {
	int fd;
	enum sc_state state;
	uint64_t seq;
	struct wire_session ss;
	double sent_at[SC_OUTSTANDING];
	uint64_t sent_seq[SC_OUTSTANDING];
	int nout;
	char in[128];
	size_t inlen;
};

static struct sc_conn *conns;
static int nconns = 100000, per_addr = 250, ready, dead, inflight;
static uint64_t acked, skipped, write_fail;
static double *lat;
static size_t nlat, caplat;
static int measuring;

static double
sc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sc_key(int i, uint8_t key[WIRE_KEY_BYTES])
{
	char seed[64];
	int n = snprintf(seed, sizeof(seed), "vmmanage collector_scale key %d", i);

	crypto_generichash(key, WIRE_KEY_BYTES, (const unsigned char *)seed, (size_t)n, NULL, 0);
}

static int
sc_write_keys(const char *file, int n)
{
	FILE *f;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		perror(file);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		uint8_t key[WIRE_KEY_BYTES];
		char hex[2 * WIRE_KEY_BYTES + 1];
		sc_key(i, key);
		fprintf(f, "sc%d %s\n", i, sodium_bin2hex(hex, sizeof(hex), key, sizeof(key)));
	}
	return fclose(f) == 0 ? 0 : 2;
}

/* VmRSS and VmHWM of pid, in KiB. */
static void
sc_rss(int pid, long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	*rss = *hwm = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "VmRSS: %ld", rss);
		sscanf(line, "VmHWM: %ld", hwm);
	}
	fclose(f);
}

static void
sc_kill(int ep, struct sc_conn *c)
{
	if (c->state == SC_DEAD)
		return;
	if (c->state == SC_READY)
		ready--;
	else
		inflight--;
	c->state = SC_DEAD;
	dead++;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static int
sc_send(int ep, struct sc_conn *c, const char *buf, size_t len)
{
	ssize_t n = write(c->fd, buf, len);

	if (n == (ssize_t)len)
		return 0;
	/* a frame a minute never fills a socket buffer: a short write means trouble */
	write_fail++;
	sc_kill(ep, c);
	return -1;
}

/* Connection i: from 127.1.X.Y, per_addr connections per source address. */
static int
sc_connect(int ep, int i, const struct sockaddr_in *dst)
{
	struct sc_conn *c = &conns[i];
	int a = i / per_addr, one = 1;
	struct sockaddr_in src = { .sin_family = AF_INET };

	src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((unsigned)(a / 250) << 8) |
	    (unsigned)(a % 250 + 1));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* the port is chosen at connect, per (source, destination): 127/8 multiplies them */
	setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(c->fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 && errno != EINPROGRESS)) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i };
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->state = SC_CONNECTING;
	inflight++;
	return 0;
}

static void
sc_connected(int ep, int i)
{
	struct sc_conn *c = &conns[i];
	char line[WIRE_MAX_LINE];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

	c->ss.version = WIRE_V2;
	snprintf(c->ss.host, sizeof(c->ss.host), "sc%d", i);
	snprintf(c->ss.boot, sizeof(c->ss.boot), "b%lx", (long)getpid());
	randombytes_buf(c->ss.cnonce, sizeof(c->ss.cnonce));
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->state = SC_HELLO;
	sc_send(ep, c, line, wire_hello_format(line, sizeof(line), &c->ss));
}

static void
sc_acked(struct sc_conn *c, uint64_t seq, double now)
{
	int k = 0;

	for (int j = 0; j < c->nout; j++) {
		if (c->sent_seq[j] > seq) {
			c->sent_seq[k] = c->sent_seq[j];
			c->sent_at[k++] = c->sent_at[j];
			continue;
		}
		acked++;
		if (!measuring)
			continue;
		if (nlat == caplat) {
			caplat = caplat ? caplat * 2 : 65536;
			lat = realloc(lat, caplat * sizeof(*lat));
			if (lat == NULL)
				abort();
		}
		lat[nlat++] = now - c->sent_at[j];
	}
	c->nout = k;
}

static void
sc_reply(int ep, int i, const char *p, size_t len, double now)
{
	struct sc_conn *c = &conns[i];
	struct wire_reply r;
	char err[128], line[WIRE_MAX_LINE];
	uint8_t key[WIRE_KEY_BYTES], mac[WIRE_MAC_BYTES];

	if (wire_reply_parse(p, len, WIRE_V2, &r, err, sizeof(err)) < 0 || r.kind == WIRE_REPLY_ERR) {
		if (dead < 5)
			fprintf(stderr, "collector_scale: sc%d: %.*s\n", i, (int)len, p);
		sc_kill(ep, c);
		return;
	}
	if (r.kind == WIRE_REPLY_CHALLENGE && c->state == SC_HELLO) {
		memcpy(c->ss.snonce, r.snonce, sizeof(c->ss.snonce));
		sc_key(i, key);
		wire_mac(mac, key, WIRE_MAC_AUTH, &c->ss, 0, 0, NULL, 0);
		c->state = SC_AUTH;
		sc_send(ep, c, line, wire_auth_format(line, sizeof(line), mac));
	} else if (r.kind == WIRE_REPLY_OK && c->state == SC_AUTH) {
		c->seq = r.seq;
		c->state = SC_READY;
		inflight--;
		ready++;
	} else if (r.kind == WIRE_REPLY_ACK && c->state == SC_READY)
		sc_acked(c, r.seq, now);
}

static void
sc_input(int ep, int i, double now)
{
	struct sc_conn *c = &conns[i];
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	char *p, *lf;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		sc_kill(ep, c);
		return;
	}
	c->inlen += (size_t)n;
	for (p = c->in; c->state != SC_DEAD && (lf = memchr(p, '\n', c->inlen - (size_t)(p - c->in))) != NULL;
	    p = lf + 1)
		sc_reply(ep, i, p, (size_t)(lf - p), now);
	if (c->state == SC_DEAD)
		return;
	c->inlen -= (size_t)(p - c->in);
	memmove(c->in, p, c->inlen);
	if (c->inlen == sizeof(c->in))
		sc_kill(ep, c);
}

static void
sc_events(int ep, int timeout_ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(ep, evs, 512, timeout_ms);
	double now = sc_now();

	for (int k = 0; k < n; k++) {
		int i = (int)evs[k].data.u32;
		struct sc_conn *c = &conns[i];
		if (c->state == SC_DEAD)
			continue;
		if (c->state == SC_CONNECTING && (evs[k].events & (EPOLLERR | EPOLLHUP))) {
			sc_kill(ep, c);
			continue;
		}
		if (c->state == SC_CONNECTING && (evs[k].events & EPOLLOUT))
			sc_connected(ep, i);
		if (c->state != SC_DEAD && (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			sc_input(ep, i, now);
	}
}

/* One signed frame on connection c: a cycle line, or an event. */
static void
sc_frame(int ep, int i, int event, double now)
{
	struct sc_conn *c = &conns[i];
	char buf[WIRE_MAX_LINE + 512], payload[400];
	uint8_t key[WIRE_KEY_BYTES], mac[WIRE_MAC_BYTES];
	int64_t epoch = (int64_t)time(NULL);
	int pl;

	if (c->nout == SC_OUTSTANDING) {
		skipped++;
		return;
	}
	if (event)
		pl = snprintf(payload, sizeof(payload), "vmmanage[%d]: event: request move to host%d "
		    "(indicator 0.93 above 0.80 for 3 cycles), policy threshold", 1000 + i % 1000, i % 7);
	else
		pl = snprintf(payload, sizeof(payload), "vmmanage[%d]: cycle: indicator 0.%02d unknown 0 "
		    "state normal location host%d", 1000 + i % 1000, i % 100, i % 7);
	c->seq++;
	sc_key(i, key);
	wire_mac(mac, key, WIRE_MAC_FRAME, &c->ss, c->seq, epoch, payload, (size_t)pl);
	size_t hl = wire_msghdr_format(buf, WIRE_MAX_LINE, c->seq, epoch, (size_t)pl, mac);
	memcpy(buf + hl, payload, (size_t)pl);
	buf[hl + (size_t)pl] = '\n';
	c->sent_seq[c->nout] = c->seq;
	c->sent_at[c->nout++] = now;
	sc_send(ep, c, buf, hl + (size_t)pl + 1);
}

static int
sc_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
sc_pct(double p)
{
	if (nlat == 0)
		return -1;
	size_t k = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat[k] * 1000;
}

/* Connects and authenticates every connection; the seconds it took. */
static double
sc_connect_all(int ep, const struct sockaddr_in *dst, double limit)
{
	double t0 = sc_now();
	int next = 0;

	while (ready + dead < nconns && sc_now() - t0 < limit) {
		while (next < nconns && inflight < SC_INFLIGHT) {
			if (sc_connect(ep, next, dst) < 0) {
				conns[next].state = SC_DEAD;
				dead++;
			}
			next++;
		}
		sc_events(ep, 100);
	}
	return sc_now() - t0;
}

/* The paced run: frames at rate per second in total, round robin over the connections. */
static void
sc_run(int ep, double seconds, double rate, double events)
{
	double t0 = sc_now(), end = t0 + seconds;
	uint64_t sent = 0;
	int rr = 0;

	measuring = 1;
	for (double now = t0; now < end; now = sc_now()) {
		uint64_t due = (uint64_t)((now - t0) * rate);
		for (; sent < due; sent++) {
			for (int tries = 0; tries < nconns && conns[rr].state != SC_READY; tries++)
				rr = (rr + 1) % nconns;
			if (conns[rr].state != SC_READY)
				return;
			/* the events' share of the frames, spread evenly among them */
			int event = (uint64_t)((double)(sent + 1) * events / (1 + events)) >
			    (uint64_t)((double)sent * events / (1 + events));
			sc_frame(ep, rr, event, now);
			rr = (rr + 1) % nconns;
		}
		double wait = ((double)(sent + 1) / rate - (now - t0)) * 1000;
		sc_events(ep, wait < 1 ? 0 : wait > 50 ? 50 : (int)wait);
	}
	/* the last frames' acks (a loaded machine may take a while) */
	for (double t = sc_now(); sc_now() - t < 30;) {
		int out = 0;
		for (int i = 0; i < nconns && !out; i++)
			out = conns[i].state == SC_READY && conns[i].nout > 0;
		if (!out)
			break;
		sc_events(ep, 50);
	}
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *keys = NULL;
	int port = 31000, pid = 0, ch;
	double seconds = 60, per_min = 1, events = 0.1, settle = 2;
	long fleet = 0;

	while ((ch = getopt(argc, argv, "a:A:c:d:E:F:K:p:P:r:s:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'A': per_addr = atoi(optarg); break;
		case 'c': nconns = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'E': events = atof(optarg); break;
		case 'F': fleet = atol(optarg); break;
		case 'K': keys = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': pid = atoi(optarg); break;
		case 'r': per_min = atof(optarg); break;
		case 's': settle = atof(optarg); break;
		default:
			fprintf(stderr, "usage: collector_scale -K KEYSFILE -c CONNS\n"
			    "       collector_scale [-a ADDR] -p PORT -c CONNS -P COLLECTOR_PID [-A PER_ADDR] "
			    "[-d SECONDS] [-r CYCLES_PER_MIN] [-E EVENTS_PER_CYCLE] [-F FLEET] [-s SETTLE]\n");
			return 2;
		}
	}
	if (sodium_init() < 0 || nconns < 1 || per_addr < 1)
		return 2;
	if (keys != NULL)
		return sc_write_keys(keys, nconns);
	struct rlimit rl = { (rlim_t)nconns + 64, (rlim_t)nconns + 64 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("collector_scale: setrlimit(RLIMIT_NOFILE)");
		return 2;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, addr, &dst.sin_addr);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long rss0, hwm0, rss1, hwm1, rss2, hwm2;

	conns = calloc((size_t)nconns, sizeof(*conns));
	if (ep < 0 || conns == NULL)
		return 2;
	for (int i = 0; i < nconns; i++)
		conns[i].fd = -1;
	sc_rss(pid, &rss0, &hwm0);
	double tc = sc_connect_all(ep, &dst, 600);
	/* let the collector settle (its first seq.state write, the accept backlog) */
	for (double t = sc_now(); sc_now() - t < settle;)
		sc_events(ep, 100);
	sc_rss(pid, &rss1, &hwm1);
	int held = ready;
	/* -F: the frames a fleet of that many agents sends, over the connections held */
	double rate = (double)(fleet > 0 ? fleet : ready) * per_min / 60 * (1 + events), t0 = sc_now();
	sc_run(ep, seconds, rate, events);
	double dt = sc_now() - t0;
	sc_rss(pid, &rss2, &hwm2);
	qsort(lat, nlat, sizeof(*lat), sc_cmp);
	printf("conns=%d held=%d held_end=%d failed=%d connect_s=%.1f rss_base_kib=%ld "
	    "rss_conn_kib=%ld hwm_conn_kib=%ld rss_end_kib=%ld hwm_end_kib=%ld frames=%zu "
	    "rate=%.0f skipped=%" PRIu64 " write_fail=%" PRIu64 " p50_ms=%.2f p99_ms=%.2f "
	    "max_ms=%.2f\n", nconns, held, ready, dead, tc, rss0, rss1, hwm1, rss2, hwm2, nlat,
	    (double)nlat / dt, skipped, write_fail, sc_pct(0.5), sc_pct(0.99), sc_pct(1));
	for (int i = 0; i < nconns; i++)
		if (conns[i].fd >= 0 && conns[i].state != SC_DEAD)
			close(conns[i].fd);
	free(conns);
	free(lat);
	close(ep);
	return held == nconns && ready == held ? 0 : 1;
}
