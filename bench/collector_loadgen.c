/* SPDX-License-Identifier: ISC */
/* collector_loadgen: K concurrent TCP connections against a log receiver.
 *   thesis | syslog : each sends N lines ("hostK: ..." or RFC 3164) and closes;
 *   agent           : each speaks the acknowledged agent protocol, N frames, waits for the last ack;
 *   stall | idle    : each sends a partial line (stall) or nothing (idle) and holds for -S s.
 * With -w FILE -e COUNT it waits until FILE holds COUNT lines (end to end). Prints
 * "lines=… seconds=… rate=…" on stdout. Test and benchmark tool, not part of the product. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/wire.h"

enum mode { M_THESIS, M_SYSLOG, M_AGENT, M_STALL, M_IDLE };

struct lg_conn {
	int fd, id, done;
	long sent, acked;
	char *out;
	size_t outlen, outoff;
	char in[256];
	size_t inlen;
	int hello_ok;
};

static enum mode mode = M_THESIS;
static long nlines = 100;
static int kconns = 4, msgsize = 60;
static long window = 2000;
static double hold = 5;

static double
lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends line i of connection c to its output buffer. */
static void
lg_line(struct lg_conn *c, long i)
{
	char body[512];
	int bl = snprintf(body, sizeof(body), "line %ld of connection %d ", i, c->id);
	while (bl < msgsize && bl < (int)sizeof(body) - 1)
		body[bl++] = 'x';
	body[bl] = '\0';
	if (c->outlen + 1024 > (size_t)64 * 1024 * 1024)
		return;
	if (mode == M_THESIS)
		c->outlen += (size_t)sprintf(c->out + c->outlen, "lg%d: %s\n", c->id, body);
	else if (mode == M_SYSLOG)
		c->outlen += (size_t)sprintf(c->out + c->outlen, "<13>May  6 14:44:23 lg%d bench: %s\n", c->id, body);
	else {
		c->outlen += wire_msghdr_format(c->out + c->outlen, 1024, (uint64_t)i,
		    (int64_t)time(NULL), (size_t)bl, NULL);
		c->outlen += (size_t)sprintf(c->out + c->outlen, "%s\n", body);
	}
}

/* The greeting of connection i: VMM1, so that no key is needed. */
static size_t
lg_hello(char *out, size_t cap, int i)
{
	struct wire_session ss = { .version = WIRE_V1 };

	snprintf(ss.host, sizeof(ss.host), "lg%d", i);
	snprintf(ss.boot, sizeof(ss.boot), "b%lx%d", (long)time(NULL), (int)getpid());
	return wire_hello_format(out, cap, &ss);
}

static int
lg_connect(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fills what the connection should send next. */
static void
lg_fill(struct lg_conn *c)
{
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (mode == M_THESIS || mode == M_SYSLOG) {
		while (c->sent < nlines && c->outlen < 256 * 1024)
			lg_line(c, ++c->sent);
	} else if (mode == M_AGENT && c->hello_ok) {
		while (c->sent < nlines && c->sent - c->acked < window && c->outlen < 256 * 1024)
			lg_line(c, ++c->sent);
	}
}

static void
lg_read(struct lg_conn *c, int *live)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	char *p, *lf;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		if (!c->done) {
			c->done = 1;
			(*live)--;
		}
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	for (p = c->in; (lf = strchr(p, '\n')) != NULL; p = lf + 1) {
		struct wire_reply r;
		char err[128];
		if (wire_reply_parse(p, (size_t)(lf - p), WIRE_V1, &r, err, sizeof(err)) < 0)
			continue;
		if (r.kind == WIRE_REPLY_OK)
			c->hello_ok = 1;
		else if (r.kind == WIRE_REPLY_ACK)
			c->acked = (long)r.seq;
	}
	c->inlen -= (size_t)(p - c->in);
	memmove(c->in, p, c->inlen);
	if (mode == M_AGENT && c->acked >= nlines && !c->done) {
		c->done = 1;
		(*live)--;
	}
}

static void
lg_write(int ep, struct lg_conn *c)
{
	lg_fill(c);
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	int finished = c->outoff == c->outlen && c->sent >= nlines;
	if (finished && (mode == M_THESIS || mode == M_SYSLOG))
		shutdown(c->fd, SHUT_WR);
	struct epoll_event ev = { .events = EPOLLIN | (finished || (mode == M_AGENT && c->outoff == c->outlen) ? 0 : EPOLLOUT),
	    .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Lines in FILE, counted incrementally. */
static long
lg_count_lines(const char *file, off_t *off, long *count)
{
	char buf[1 << 16];
	int fd = open(file, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return *count;
	while ((n = pread(fd, buf, sizeof(buf), *off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			*count += buf[i] == '\n';
		*off += n;
	}
	close(fd);
	return *count;
}

#define LG_WAVE 500

/* Wait (up to 10 s) until the last wave's connects have completed or failed; a
 * connection that is up sends at once (a client that waited would meet idle_timeout). */
static void
lg_wait_connected(int ep, struct lg_conn *cs, int n)
{
	struct pollfd p[LG_WAVE];
	double end = lg_now() + 10;

	int left = 0;

	for (int i = 0; i < n; i++) {
		p[i] = (struct pollfd){ .fd = cs[i].fd, .events = POLLOUT };
		left += cs[i].fd >= 0;
	}
	while (left > 0 && lg_now() < end) {
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (p[i].fd >= 0 && p[i].revents) {
				if ((p[i].revents & POLLOUT) && mode != M_STALL && mode != M_IDLE)
					lg_write(ep, &cs[i]);
				p[i].fd = -1;
				left--;
			}
	}
}

/* Free everything, so the sanitizers' leak check speaks only of real leaks. */
static void
lg_free(struct lg_conn *cs, int n, int ep)
{
	for (int i = 0; i < n; i++) {
		if (cs[i].fd >= 0 && !cs[i].done)
			close(cs[i].fd);
		free(cs[i].out);
	}
	free(cs);
	close(ep);
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *waitfile = NULL;
	int port = 31000, ch;
	long expect = 0;

	while ((ch = getopt(argc, argv, "a:c:e:m:n:p:s:S:w:W:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'c': kconns = atoi(optarg); break;
		case 'e': expect = atol(optarg); break;
		case 'm':
			mode = !strcmp(optarg, "syslog") ? M_SYSLOG : !strcmp(optarg, "agent") ? M_AGENT :
			    !strcmp(optarg, "stall") ? M_STALL : !strcmp(optarg, "idle") ? M_IDLE : M_THESIS;
			break;
		case 'n': nlines = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 's': msgsize = atoi(optarg); break;
		case 'S': hold = atof(optarg); break;
		case 'w': waitfile = optarg; break;
		case 'W': window = atol(optarg); break;
		default:
			fprintf(stderr, "usage: collector_loadgen [-m thesis|syslog|agent|stall|idle] [-a ADDR] "
			    "[-p PORT] [-c CONNS] [-n LINES] [-s SIZE] [-S HOLD] [-W WINDOW] [-w FILE -e COUNT]\n");
			return 2;
		}
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, addr, &sa.sin_addr);
	int ep = epoll_create1(0), live = 0, failed = 0;
	struct lg_conn *cs = calloc((size_t)kconns, sizeof(*cs));
	long base_count = 0, count = 0;
	off_t off = 0;

	if (waitfile != NULL)
		base_count = lg_count_lines(waitfile, &off, &count);
	double t0 = lg_now();
	for (int i = 0; i < kconns; i++) {
		struct lg_conn *c = &cs[i];
		/* connect in waves: a burst of thousands of SYNs overflows the kernel's accept
		 * queue, and the dropped handshakes then take minutes of retransmission */
		if (i > 0 && i % LG_WAVE == 0)
			lg_wait_connected(ep, cs + i - LG_WAVE, LG_WAVE);
		c->id = i;
		c->fd = lg_connect(&sa);
		if (c->fd < 0) {
			failed++;
			c->done = 1;
			continue;
		}
		c->out = malloc(512 * 1024);
		if (mode == M_AGENT)
			c->outlen = lg_hello(c->out, 512 * 1024, i);
		else if (mode == M_STALL)
			c->outlen = (size_t)sprintf(c->out, "stall%d: this line never ends", i);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		live++;
	}
	if (mode == M_STALL || mode == M_IDLE) {
		/* send the partial lines, then hold everything open */
		double end = lg_now() + hold;
		struct epoll_event evs[256];
		/* until the hold ends, or sooner once the peer has closed every connection */
		while (lg_now() < end && live > 0) {
			int n = epoll_wait(ep, evs, 256, 100);
			for (int i = 0; i < n; i++) {
				struct lg_conn *c = evs[i].data.ptr;
				if (evs[i].events & EPOLLOUT) {
					if (c->outoff < c->outlen) {
						ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
						if (w > 0)
							c->outoff += (size_t)w;
					}
					struct epoll_event e2 = { .events = EPOLLIN, .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e2);
				}
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					lg_read(c, &live);
			}
		}
		printf("conns=%d failed=%d closed_by_peer=%d\n", kconns, failed, kconns - failed - live);
		lg_free(cs, kconns, ep);
		return 0;
	}
	struct epoll_event evs[256];
	while (live > 0) {
		int n = epoll_wait(ep, evs, 256, 1000);
		for (int i = 0; i < n; i++) {
			struct lg_conn *c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				lg_read(c, &live);
			if (!c->done && (evs[i].events & EPOLLOUT))
				lg_write(ep, c);
			else if (!c->done && mode == M_AGENT)
				lg_write(ep, c);
			if (c->done && c->fd >= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	if (waitfile != NULL)
		while (lg_count_lines(waitfile, &off, &count) - base_count < expect && lg_now() - t0 < 120)
			usleep(2000);
	double dt = lg_now() - t0;
	long total = (long)(kconns - failed) * nlines;
	printf("lines=%ld seconds=%.3f rate=%.0f failed_conns=%d\n", total, dt, (double)total / dt, failed);
	lg_free(cs, kconns, ep);
	return failed ? 1 : 0;
}
