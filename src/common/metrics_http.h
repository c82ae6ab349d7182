/* SPDX-License-Identifier: ISC */
/* The daemons' /metrics over HTTP (libmicrohttpd), in Prometheus's text exposition
 * format 0.0.4, and the helpers that write that format. One server for the collector
 * and the broker: each gives a function that renders its metrics when scraped. */
#ifndef VMM_COMMON_METRICS_HTTP_H
#define VMM_COMMON_METRICS_HTTP_H

#include <stddef.h>

struct ev_loop;
struct vmm_buf;
struct metrics_http;

/* Bounds on what scrapers can make the server hold. */
#define METRICS_HTTP_MAX_CONNS 16
#define METRICS_HTTP_MAX_PER_IP 4
#define METRICS_HTTP_TIMEOUT 10       /* seconds a connection may idle */
#define METRICS_HTTP_MAX_BODY (16u << 20)   /* bytes of one exposition */

/* Renders the whole exposition into out: 0, or -1 (the scrape gets a 500). Called on
 * the loop's thread, between its events: it may read the daemon's state freely. */
typedef int (*metrics_render_fn)(struct vmm_buf *out, void *arg);

/* "ADDRESS:PORT" or "[IPV6]:PORT", numeric. 0 when spec is a valid address, else -1 with
 * err: for config checks. */
int metrics_http_parse(const char *spec, char *err, size_t errlen);
/* The listening socket, bound while the daemon may still be root (so a port below 1024
 * works); nothing reads from it until metrics_http_start. The fd, or -1 with err. */
int metrics_http_bind(const char *spec, char *err, size_t errlen);
/* After the privilege drop: libmicrohttpd on fd (which it then owns), driven by loop.
 * NULL with err on failure (fd closed). */
struct metrics_http *metrics_http_start(struct ev_loop *loop, int fd, metrics_render_fn fn,
    void *arg, char *err, size_t errlen);
void metrics_http_stop(struct metrics_http *m);
/* The number of scrapes answered, for the tests' and the daemons' own counters. */
unsigned long metrics_http_scrapes(const struct metrics_http *m);

/* ---- the text format ---- */
/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram, summary). */
void metrics_family(struct vmm_buf *b, const char *name, const char *type, const char *help);
/* "name value" */
void metrics_sample(struct vmm_buf *b, const char *name, double v);
/* "name{label="value"} v", the label's value escaped (\\, \", \n) */
void metrics_sample1(struct vmm_buf *b, const char *name, const char *label, const char *lval,
    double v);

#endif
