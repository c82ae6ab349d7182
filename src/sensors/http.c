/* SPDX-License-Identifier: ISC */
/* A small libcurl wrapper shared by the HTTP sensors (apache_idle, queue). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "sensors/http.h"

#define HTTP_DEFAULT_TIMEOUT 10.0
#define HTTP_DEFAULT_MAX_BYTES (1024 * 1024)

struct http {
	CURL *curl;
	struct http_opts o;
	char curlerr[CURL_ERROR_SIZE];
	struct vmm_buf body; /* the body being received, at most http_max_bytes */
	int too_big;
};

int
http_conf(const struct vmm_host *host, const struct vmm_conf *conf, struct http_opts *o,
    char *err, size_t errlen)
{
	int64_t max = HTTP_DEFAULT_MAX_BYTES;

	o->timeout_s = HTTP_DEFAULT_TIMEOUT;
	o->tls_verify = 1;
	if (host->conf_number(conf, "http_timeout", &o->timeout_s, err, errlen) < 0 ||
	    host->conf_int(conf, "http_max_bytes", 1, (int64_t)1 << 30, &max, err, errlen) < 0 ||
	    host->conf_bool(conf, "tls_verify", &o->tls_verify, err, errlen) < 0)
		return -1;
	if (!(o->timeout_s > 0 && o->timeout_s <= 3600)) {
		snprintf(err, errlen, "http_timeout must be between 0 and 3600 seconds");
		return -1;
	}
	o->max_bytes = (size_t)max;
	return 0;
}

/* Keep the body up to max_bytes; past that abort the transfer (curl then says
 * CURLE_WRITE_ERROR and we say why). */
static size_t
http_write(char *data, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t add = size * n;

	if (vmm_buf_append(&h->body, data, add) < 0) {
		h->too_big = errno == E2BIG;
		return 0;
	}
	return add;
}

/* Options that hold for every request of this handle. */
static int
http_setup(struct http *h)
{
	long ms = (long)(h->o.timeout_s * 1000);
	CURL *c = h->curl;
	CURLcode rc = CURLE_OK;

	/* libcurl's signal-based DNS timeout crashes threaded programs (curl#3996) */
	rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	/* a redirect is reported, never followed silently */
	rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
	rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curlerr);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "vmmanage/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return rc == CURLE_OK ? 0 : -1;
}

struct http *
http_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->o = *o;
	vmm_buf_init(&h->body, 4096, o->max_bytes);
	/* reference counted by libcurl; paired with the cleanup in http_free */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl: global init failed");
		free(h);
		return NULL;
	}
	h->curl = curl_easy_init();
	if (h->curl == NULL || http_setup(h) < 0) {
		snprintf(err, errlen, "libcurl: cannot set up a handle");
		http_free(h);
		return NULL;
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	vmm_buf_free(&h->body);
	free(h);
}

static void
http_copy_info(struct http *h, struct http_resp *r)
{
	char *s = NULL;

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", s);
	s = NULL;
	if (curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s != NULL)
		snprintf(r->location, sizeof(r->location), "%s", s);
}

/* Run the prepared transfer and hand the body over to r. */
static int
http_perform(struct http *h, struct http_resp *r, char *err, size_t errlen)
{
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	vmm_buf_reset(&h->body);
	h->too_big = 0;
	h->curlerr[0] = '\0';
	rc = curl_easy_perform(h->curl);
	if (h->too_big) {
		snprintf(err, errlen, "response longer than %zu bytes (http_max_bytes)",
		    h->o.max_bytes);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", h->curlerr[0] ? h->curlerr : curl_easy_strerror(rc));
		return -1;
	}
	http_copy_info(h, r);
	r->len = h->body.len;
	r->body = vmm_buf_take(&h->body);
	if (r->body == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, struct http_resp *r, char *err, size_t errlen)
{
	struct curl_slist *list = NULL;
	int rc;

	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(list, headers[i]);
		if (n == NULL) {
			curl_slist_free_all(list);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		list = n;
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list);
	rc = http_perform(h, r, err, errlen);
	/* the handle must not keep pointing at the freed list */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	return rc;
}

int
http_get(struct http *h, const char *url, struct http_resp *r, char *err, size_t errlen)
{
	return http_request(h, "GET", url, NULL, r, err, errlen);
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int
http_ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	while (*ctype == ' ')
		ctype++;
	if (strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}
