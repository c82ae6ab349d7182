/* SPDX-License-Identifier: ISC */
/* A small libcurl wrapper shared by the HTTP sensors: one easy handle, bounded in time
 * and size, redirects never followed, errors said in one line. */
#ifndef VMM_SENSOR_HTTP_H
#define VMM_SENSOR_HTTP_H

#include <stddef.h>

#include <vmmanage/module.h>

struct http_opts {
	double timeout_s;   /* connect and total: the transfer gives up after this */
	size_t max_bytes;   /* a longer body is an error, not a truncated success */
	int tls_verify;     /* verify the peer's certificate and name */
};

struct http_resp {
	long status;
	char *body;         /* NUL-terminated; free with http_resp_free */
	size_t len;
	char ctype[128];    /* Content-Type as sent, "" when none */
	char location[256]; /* Location of a redirect, "" when none */
};

struct http;

/* The helper reads http_timeout, http_max_bytes and tls_verify; 0 or -1 with err. */
int http_conf(const struct vmm_host *host, const struct vmm_conf *conf, struct http_opts *o,
    char *err, size_t errlen);

/* NULL with err when libcurl cannot start. Not shared between threads. */
struct http *http_new(const struct http_opts *o, char *err, size_t errlen);
void http_free(struct http *h);

/* GET url. 0 when an HTTP answer came (any status), -1 with err (no answer, too big). */
int http_get(struct http *h, const char *url, struct http_resp *r, char *err, size_t errlen);

/* A request without a body to send, such as WebDAV MOVE or DELETE; `headers` is
 * NULL-terminated or NULL. Same return as http_get; the body is read and capped too. */
int http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, struct http_resp *r, char *err, size_t errlen);

void http_resp_free(struct http_resp *r);

/* "text/plain; charset=..." is text/plain: compare the media type only, ignoring case. */
int http_ctype_is(const char *ctype, const char *want);

#endif
