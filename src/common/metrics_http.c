/* SPDX-License-Identifier: ISC */
/* /metrics over HTTP with libmicrohttpd, on the daemon's own event loop (common/ev.c):
 * MHD runs with MHD_USE_EPOLL and no thread of its own; its epoll descriptor sits in
 * our loop and a timer serves its timeouts, so the render function runs on the loop's
 * thread between events and reads the daemon's counters with no lock and no atomics.
 * Scrapers are bounded: connections in all and per address, an idle timeout, and the
 * size of one answer. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/metrics_http.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *d;
	struct ev_loop *loop;
	struct ev_timer *timer;
	int epfd, lfd;
	metrics_render_fn fn;
	void *arg;
	unsigned long scrapes;
};

/* "HOST:PORT" or "[HOST]:PORT" into its parts; 0 or -1 with err. */
static int
metrics_split(const char *spec, char *host, size_t hostcap, const char **port, char *err,
    size_t errlen)
{
	const char *colon;
	size_t hl;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return snprintf(err, errlen, "metrics_listen \"%s\": expected [ADDRESS]:PORT", spec), -1;
		hl = (size_t)(close - spec - 1);
		spec++;
		colon = close + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL || strchr(spec, ':') != colon)
			return snprintf(err, errlen, "metrics_listen \"%s\": expected ADDRESS:PORT", spec), -1;
		hl = (size_t)(colon - spec);
	}
	if (hl == 0 || hl >= hostcap)
		return snprintf(err, errlen, "metrics_listen \"%s\": no address", spec), -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	*port = colon + 1;
	char *end;
	long p = strtol(*port, &end, 10);
	if (**port == '\0' || *end != '\0' || p < 1 || p > 65535)
		return snprintf(err, errlen, "metrics_listen \"%s\": the port must be 1..65535", spec), -1;
	return 0;
}

static int
metrics_resolve(const char *spec, struct addrinfo **ai, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	char host[128];
	const char *port;
	int r;

	if (metrics_split(spec, host, sizeof(host), &port, err, errlen) < 0)
		return -1;
	if ((r = getaddrinfo(host, port, &hints, ai)) != 0)
		return snprintf(err, errlen, "metrics_listen \"%s\": %s (a numeric address is needed)",
		    spec, gai_strerror(r)), -1;
	return 0;
}

int
metrics_http_parse(const char *spec, char *err, size_t errlen)
{
	struct addrinfo *ai;

	if (metrics_resolve(spec, &ai, err, errlen) < 0)
		return -1;
	freeaddrinfo(ai);
	return 0;
}

int
metrics_http_bind(const char *spec, char *err, size_t errlen)
{
	struct addrinfo *ai;
	int fd, one = 1;

	if (metrics_resolve(spec, &ai, err, errlen) < 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "metrics_listen %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static enum MHD_Result
metrics_reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
	    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
metrics_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *uplen, void **state)
{
	struct metrics_http *m = cls;
	struct vmm_buf b;

	(void)version;
	(void)upload;
	(void)uplen;
	/* answered at the first call, before any body is read: none is wanted, and a
	 * refused request with a body is closed rather than drained */
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	vmm_buf_init(&b, 16384, METRICS_HTTP_MAX_BODY);
	if (m->fn(&b, m->arg) < 0 || vmm_buf_reserve(&b, 0) < 0) {
		vmm_buf_free(&b);
		return metrics_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
	}
	size_t len = b.len;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, vmm_buf_take(&b),
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	m->scrapes++;
	return rc;
}

static void
metrics_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_info("metrics_listen: %s", msg);
}

/* MHD's work and its next deadline (at most a second away). */
static double
metrics_run(struct metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(m->d);
	if (MHD_get_timeout(m->d, &ms) == MHD_YES && ms < 1000)
		return ms < 1 ? 0.001 : (double)ms / 1000;
	return 1;
}

static void
metrics_on_epoll(int fd, int revents, void *arg)
{
	struct metrics_http *m = arg;

	(void)fd;
	(void)revents;
	ev_timer_set(m->timer, metrics_run(m));
}

static double
metrics_on_timer(void *arg)
{
	return metrics_run(arg);
}

struct metrics_http *
metrics_http_start(struct ev_loop *loop, int fd, metrics_render_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct metrics_http *m = calloc(1, sizeof(*m));
	const union MHD_DaemonInfo *info;

	if (m == NULL) {
		close(fd);
		return snprintf(err, errlen, "out of memory"), NULL;
	}
	m->loop = loop;
	m->fn = fn;
	m->arg = arg;
	m->lfd = fd;
	m->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    metrics_handler, m,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_logger, NULL,   /* first, or MHD says so */
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT,
	    MHD_OPTION_END);
	if (m->d == NULL || (info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		snprintf(err, errlen, "metrics_listen: cannot start the HTTP server");
		metrics_http_stop(m);
		return NULL;
	}
	m->epfd = info->epoll_fd;
	if ((m->timer = ev_timer_add(loop, 1, metrics_on_timer, m)) == NULL ||
	    ev_fd_add(loop, m->epfd, POLLIN, metrics_on_epoll, m) < 0) {
		snprintf(err, errlen, "metrics_listen: event loop: %s", strerror(errno));
		metrics_http_stop(m);
		return NULL;
	}
	return m;
}

void
metrics_http_stop(struct metrics_http *m)
{
	if (m == NULL)
		return;
	if (m->timer != NULL) {
		ev_fd_del(m->loop, m->epfd);
		ev_timer_del(m->timer);
	}
	/* MHD closes the listening socket it was given; without MHD it is ours to close */
	if (m->d != NULL)
		MHD_stop_daemon(m->d);
	else
		close(m->lfd);
	free(m);
}

unsigned long
metrics_http_scrapes(const struct metrics_http *m)
{
	return m != NULL ? m->scrapes : 0;
}

/* ---- the text format ---- */

void
metrics_family(struct vmm_buf *b, const char *name, const char *type, const char *help)
{
	vmm_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_value(struct vmm_buf *b, double v)
{
	if (v == (double)(long long)v && v > -1e15 && v < 1e15)
		vmm_buf_printf(b, " %lld\n", (long long)v);
	else
		vmm_buf_printf(b, " %.9g\n", v);
}

void
metrics_sample(struct vmm_buf *b, const char *name, double v)
{
	vmm_buf_printf(b, "%s", name);
	metrics_value(b, v);
}

void
metrics_sample1(struct vmm_buf *b, const char *name, const char *label, const char *lval, double v)
{
	vmm_buf_printf(b, "%s{%s=\"", name, label);
	for (const char *p = lval; *p != '\0'; p++) {
		const char *e = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		if (e != NULL)
			vmm_buf_append(b, e, 2);
		else
			vmm_buf_append(b, p, 1);
	}
	vmm_buf_printf(b, "\"}");
	metrics_value(b, v);
}
