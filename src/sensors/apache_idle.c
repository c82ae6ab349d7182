/* SPDX-License-Identifier: ISC */
/* Sensor apache_idle: IdleWorkers from mod_status `server-status?auto`, over libcurl. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/sensor.h>

#include "sensors/apache_parse.h"
#include "sensors/http.h"

#define APACHE_DEFAULT_URL "http://localhost/server-status?auto"

struct apache_state {
	const struct vmm_host *host;
	char *url;
	struct http *http;
};

static const char *const apache_keys[] = {
	"apache_status_url", "http_timeout", "http_max_bytes", "tls_verify", NULL
};

static int
apache_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state,
    char *err, size_t errlen)
{
	const char *url = APACHE_DEFAULT_URL;
	struct http_opts o;
	struct apache_state *st;

	if (host->conf_string(conf, "apache_status_url", &url, err, errlen) < 0 ||
	    http_conf(host, conf, &o, err, errlen) < 0)
		return -1;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "apache_status_url \"%s\": not an http:// or https:// URL", url);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->url = strdup(url)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->host = host;
	/* a handle only: nothing connects before the first sample */
	if ((st->http = http_new(&o, err, errlen)) == NULL) {
		free(st->url);
		free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static void
apache_extra(struct vmm_sensor_reading *out, const char *key, const struct apache_field *f)
{
	if (f->state != APACHE_OK || out->nextra >= VMM_SENSOR_MAX_EXTRA)
		return;
	snprintf(out->extra[out->nextra].key, sizeof(out->extra[0].key), "%s", key);
	out->extra[out->nextra].value = f->value;
	out->nextra++;
}

/* What is wrong with an answer that is not ?auto output; NULL when it looks right. */
static const char *
apache_check_answer(const struct http_resp *r, char *buf, size_t len)
{
	if (r->status >= 300 && r->status < 400) {
		snprintf(buf, len, "HTTP %ld redirect to %.120s, not followed: set apache_status_url to "
		    "the final URL", r->status, r->location[0] ? r->location : "(no Location)");
		return buf;
	}
	if (r->status != 200) {
		snprintf(buf, len, "HTTP %ld", r->status);
		return buf;
	}
	if (!http_ctype_is(r->ctype, "text/plain")) {
		snprintf(buf, len, "Content-Type %s, not text/plain: is ?auto missing from the URL?",
		    r->ctype[0] ? r->ctype : "missing");
		return buf;
	}
	return NULL;
}

static void
apache_sample(void *state, struct vmm_sensor_reading *out)
{
	struct apache_state *st = state;
	struct apache_status ps;
	struct http_resp r;
	char what[200];

	out->known = 0;
	out->nextra = 0;
	if (http_get(st->http, st->url, &r, what, sizeof(what)) < 0) {
		snprintf(out->why, sizeof(out->why), "apache: %s: %s", st->url, what);
		return;
	}
	if (apache_check_answer(&r, what, sizeof(what)) != NULL) {
		snprintf(out->why, sizeof(out->why), "apache: %s: %s", st->url, what);
		http_resp_free(&r);
		return;
	}
	int rc = sensor_apache_parse(r.body, r.len, &ps);
	http_resp_free(&r);
	if (rc < 0) {
		snprintf(out->why, sizeof(out->why), "apache: %s: %s", st->url,
		    sensor_apache_why(&ps, what, sizeof(what)));
		return;
	}
	out->known = 1;
	out->value = ps.idle.value;
	out->why[0] = '\0';
	apache_extra(out, "BusyWorkers", &ps.busy);
	apache_extra(out, "ReqPerSec", &ps.rps);
}

static void
apache_fini(void *state)
{
	struct apache_state *st = state;

	if (st == NULL)
		return;
	http_free(st->http);
	free(st->url);
	free(st);
}

static const struct vmm_sensor_ops apache_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "apache_idle",
	.summary = "idle Apache workers (IdleWorkers of mod_status server-status?auto)",
	.keys = apache_keys,
	.direction = VMM_LOWER_IS_WORSE,
	.label = "idle workers",
	.init = apache_init,
	.sample = apache_sample,
	.fini = apache_fini,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &apache_ops;
}
