/* SPDX-License-Identifier: ISC */
/* The libvirt endpoint's settings: which domain is this VM, and which libvirt URI (and
 * migration URI) each configured host has. Read at init; nothing here connects, so
 * `vmmanage -t` checks it all. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt.h"

#define LV_PRODUCT_UUID "/sys/class/dmi/id/product_uuid"

int
lv_looks_like_uuid(const char *s)
{
	size_t hex = 0;

	/* libvirt accepts 32 hex digits, dashes anywhere between pairs; so do we */
	for (; *s; s++) {
		if (isxdigit((unsigned char)*s))
			hex++;
		else if (*s != '-')
			return 0;
	}
	return hex == 32;
}

/* The host part of a libvirt URI: "qemu+tcp://root@10.0.0.1:16509/system" gives
 * "10.0.0.1", an IPv6 literal keeps its brackets. -1 when the URI has none. */
int
lv_uri_address(const char *uri, char *out, size_t len)
{
	const char *p = strstr(uri, "://"), *end;

	if (p == NULL)
		return -1;
	p += 3;
	end = p + strcspn(p, "/?#");
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (close == NULL)
			return -1;
		end = close + 1;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon != NULL)
			end = colon;
	}
	if (end == p || (size_t)(end - p) >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)(end - p), p);
	return 0;
}

int
lv_expand(const char *tmpl, const char *name, const char *addr, char *out, size_t len,
    char *err, size_t errlen)
{
	size_t o = 0;

	for (const char *p = tmpl; *p; p++) {
		const char *put = NULL;
		char one[2] = { *p, '\0' };
		if (*p != '%')
			put = one;
		else if (p[1] == 's')
			put = name;
		else if (p[1] == 'a')
			put = addr;
		else if (p[1] == '%')
			put = "%";
		if (*p == '%' && p[1] == 'a' && addr == NULL) {
			snprintf(err, errlen, "'%s': %%a needs an address in the host's libvirt URI", tmpl);
			return -1;
		}
		if (put == NULL) {
			snprintf(err, errlen, "'%s': only %%s (the host name), %%a (the address in its libvirt URI) and %%%% may follow %%", tmpl);
			return -1;
		}
		p += put != one;
		size_t n = strlen(put);
		if (o + n >= len) {
			snprintf(err, errlen, "'%s': the result is too long", tmpl);
			return -1;
		}
		memcpy(out + o, put, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static int
lv_add_host(struct lv_conf *lc, const char *name, char *err, size_t errlen)
{
	if (name == NULL || lv_conf_host(lc, name) != NULL)
		return 0;
	struct lv_host *h = realloc(lc->hosts, (lc->nhosts + 1) * sizeof(*h));
	if (h == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	lc->hosts = h;
	h = &lc->hosts[lc->nhosts];
	memset(h, 0, sizeof(*h));
	if ((h->name = strdup(name)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	lc->nhosts++;
	return 0;
}

static int
lv_add_list(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    const char *key, char *err, size_t errlen)
{
	const char **list = NULL;
	size_t n = 0;
	int rc = vh->conf_strings(c, key, &list, &n, err, errlen);

	for (size_t i = 0; rc > 0 && i < n; i++)
		if (lv_add_host(lc, list[i], err, errlen) < 0)
			rc = -1;
	free(list);
	return rc < 0 ? -1 : 0;
}

/* Every host the VM may be on, each once: the array (or the thesis's numbered range),
 * the base and both sites. */
static int
lv_read_hosts(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	int64_t lo = 0, hi = -1;
	const char *base = NULL;
	char num[24];

	if (lv_add_list(vh, c, lc, "hosts", err, errlen) < 0 ||
	    vh->conf_int(c, "min_range", 0, 9999, &lo, err, errlen) < 0 ||
	    vh->conf_int(c, "max_range", 0, 9999, &hi, err, errlen) < 0)
		return -1;
	for (int64_t i = lo; i <= hi; i++) {
		snprintf(num, sizeof(num), "%lld", (long long)i);
		if (lv_add_host(lc, num, err, errlen) < 0)
			return -1;
	}
	if (vh->conf_string(c, "base", &base, err, errlen) < 0 ||
	    lv_add_host(lc, base, err, errlen) < 0 ||
	    lv_add_list(vh, c, lc, "home", err, errlen) < 0 ||
	    lv_add_list(vh, c, lc, "away", err, errlen) < 0)
		return -1;
	if (lc->nhosts == 0) {
		snprintf(err, errlen, "no hosts: set hosts = [\"h1\", \"h2\"] (and base, home, away as the policy needs) and how each maps to a libvirt URI");
		return -1;
	}
	return 0;
}

/* libvirt_uris = ["h1=qemu+tls://h1.example/system", ...]: explicit URIs win over
 * the template. */
static int
lv_read_uris(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char **list = NULL;
	size_t n = 0;
	char where[512];
	int rc = vh->conf_strings(c, "libvirt_uris", &list, &n, err, errlen);

	for (size_t i = 0; rc > 0 && i < n; i++) {
		const char *eq = strchr(list[i], '=');
		struct lv_host *h = NULL;
		for (size_t j = 0; eq != NULL && j < lc->nhosts; j++)
			if (strlen(lc->hosts[j].name) == (size_t)(eq - list[i]) &&
			    strncmp(lc->hosts[j].name, list[i], (size_t)(eq - list[i])) == 0)
				h = &lc->hosts[j];
		if (eq == NULL || eq[1] == '\0' || h == NULL) {
			snprintf(err, errlen, "%s: libvirt_uris: '%s' %s",
			    vh->conf_where(c, "libvirt_uris", where, sizeof(where)), list[i],
			    eq == NULL || eq[1] == '\0' ? "is not NAME=URI" : "names none of hosts, base, home or away");
			rc = -1;
		} else if (h->uri == NULL && (h->uri = strdup(eq + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

static int
lv_fill_uris(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char *tmpl = NULL, *mtmpl = NULL;
	char buf[1024], addr[256], msg[512], where[512];

	if (vh->conf_string(c, "libvirt_uri_template", &tmpl, err, errlen) < 0 ||
	    vh->conf_string(c, "libvirt_migrate_uri_template", &mtmpl, err, errlen) < 0 ||
	    lv_read_uris(vh, c, lc, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < lc->nhosts; i++) {
		struct lv_host *h = &lc->hosts[i];
		if (h->uri == NULL && tmpl == NULL) {
			snprintf(err, errlen, "%s: host '%s' has no libvirt URI: set libvirt_uri_template = \"qemu+tls://%%s/system\" or add \"%s=URI\" to libvirt_uris",
			    vh->conf_where(c, "libvirt_uris", where, sizeof(where)), h->name, h->name);
			return -1;
		}
		if (h->uri == NULL) {
			if (lv_expand(tmpl, h->name, NULL, buf, sizeof(buf), msg, sizeof(msg)) < 0)
				return snprintf(err, errlen, "%s: libvirt_uri_template: %s",
				    vh->conf_where(c, "libvirt_uri_template", where, sizeof(where)), msg), -1;
			if ((h->uri = strdup(buf)) == NULL)
				return snprintf(err, errlen, "out of memory"), -1;
		}
		if (mtmpl == NULL)
			continue;
		int has_addr = lv_uri_address(h->uri, addr, sizeof(addr)) == 0;
		if (lv_expand(mtmpl, h->name, has_addr ? addr : NULL, buf, sizeof(buf), msg, sizeof(msg)) < 0)
			return snprintf(err, errlen, "%s: libvirt_migrate_uri_template for host '%s': %s",
			    vh->conf_where(c, "libvirt_migrate_uri_template", where, sizeof(where)), h->name, msg), -1;
		if ((h->migrate_uri = strdup(buf)) == NULL)
			return snprintf(err, errlen, "out of memory"), -1;
	}
	return 0;
}

/* Two names for one libvirtd would be "Attempt to migrate guest to the same host"
 * (harvester#4666) at the first move: say so now. */
static int
lv_check_distinct(const struct vmm_host *vh, const struct vmm_conf *c, const struct lv_conf *lc,
    char *err, size_t errlen)
{
	char where[512];

	for (size_t i = 0; i < lc->nhosts; i++)
		for (size_t j = i + 1; j < lc->nhosts; j++)
			if (strcmp(lc->hosts[i].uri, lc->hosts[j].uri) == 0) {
				snprintf(err, errlen, "%s: hosts '%s' and '%s' have the same libvirt URI %s: a VM cannot migrate to the host it is on",
				    vh->conf_where(c, "libvirt_uris", where, sizeof(where)),
				    lc->hosts[i].name, lc->hosts[j].name, lc->hosts[i].uri);
				return -1;
			}
	return 0;
}

/* libvirt sets the guest's SMBIOS UUID to the domain's UUID. */
static int
lv_read_product_uuid(struct lv_conf *lc, char *err, size_t errlen)
{
	char buf[128];
	FILE *f = fopen(LV_PRODUCT_UUID, "re");

	if (f == NULL) {
		snprintf(err, errlen, "libvirt_domain is not set and %s cannot be read (%s): set libvirt_domain = \"UUID or name\"",
		    LV_PRODUCT_UUID, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, " \t\r\n")] = '\0';
	if (!lv_looks_like_uuid(buf)) {
		snprintf(err, errlen, "libvirt_domain is not set and %s holds no UUID ('%s'): set libvirt_domain = \"UUID or name\"",
		    LV_PRODUCT_UUID, buf);
		return -1;
	}
	if ((lc->domain = strdup(buf)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

static int
lv_read_domain(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char *d = NULL;
	char where[512];

	if (vh->conf_string(c, "libvirt_domain", &d, err, errlen) < 0)
		return -1;
	if (d == NULL) {
		if (lv_read_product_uuid(lc, err, errlen) < 0)
			return -1;
	} else if (*d == '\0') {
		snprintf(err, errlen, "%s: libvirt_domain is empty: give the domain's UUID or name",
		    vh->conf_where(c, "libvirt_domain", where, sizeof(where)));
		return -1;
	} else if ((lc->domain = strdup(d)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	lc->domain_is_uuid = lv_looks_like_uuid(lc->domain);
	return 0;
}

static int
lv_read_cross(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char *mode = "live_copy_storage";
	char where[512];

	if (vh->conf_string(c, "libvirt_cross_site", &mode, err, errlen) < 0)
		return -1;
	if (strcmp(mode, "live_copy_storage") == 0)
		lc->cross = LV_CROSS_LIVE_COPY;
	else if (strcmp(mode, "offline") == 0)
		lc->cross = LV_CROSS_OFFLINE;
	else {
		snprintf(err, errlen, "%s: libvirt_cross_site: '%s' is neither \"live_copy_storage\" nor \"offline\"",
		    vh->conf_where(c, "libvirt_cross_site", where, sizeof(where)), mode);
		return -1;
	}
	return 0;
}

/* "50 300 1000": milliseconds, rising. */
static int
lv_read_steps(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char *steps = NULL;
	char where[512], *end;
	int64_t interval = 10;

	if (vh->conf_string(c, "libvirt_max_downtime_steps", &steps, err, errlen) < 0 ||
	    vh->conf_int(c, "libvirt_max_downtime_step_interval", 1, 86400, &interval, err, errlen) < 0)
		return -1;
	lc->downtime_step_interval = (double)interval;
	for (const char *p = steps; p != NULL && *p != '\0'; p = end) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (end == p || errno != 0 || v <= 0 || v > 3600000 || lc->ndowntime_steps == LV_MAX_DOWNTIME_STEPS ||
		    (lc->ndowntime_steps > 0 && v <= lc->downtime_steps[lc->ndowntime_steps - 1]) ||
		    (*end != '\0' && *end != ' ' && *end != ',')) {
			snprintf(err, errlen, "%s: libvirt_max_downtime_steps: '%s' is not up to %d rising milliseconds, e.g. \"50 300 1000\"",
			    vh->conf_where(c, "libvirt_max_downtime_steps", where, sizeof(where)), steps, LV_MAX_DOWNTIME_STEPS);
			return -1;
		}
		lc->downtime_steps[lc->ndowntime_steps++] = v;
	}
	if (lc->ndowntime_steps > 0 && lc->max_downtime > 0) {
		snprintf(err, errlen, "%s: set libvirt_max_downtime or libvirt_max_downtime_steps, not both",
		    vh->conf_where(c, "libvirt_max_downtime_steps", where, sizeof(where)));
		return -1;
	}
	return 0;
}

/* Post-copy, the deadline per GiB and TLS. */
static int
lv_read_converge(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	const char *tls = "between_sites";
	int64_t after = 30;
	char where[512];

	if (vh->conf_bool(c, "libvirt_postcopy", &lc->postcopy, err, errlen) < 0 ||
	    vh->conf_int(c, "libvirt_postcopy_after", 1, 86400, &after, err, errlen) < 0 ||
	    vh->conf_number(c, "libvirt_timeout_per_gib", &lc->timeout_per_gib, err, errlen) < 0 ||
	    vh->conf_string(c, "libvirt_tls", &tls, err, errlen) < 0 ||
	    vh->conf_bool(c, "libvirt_site_link_encrypted", &lc->site_link_encrypted, err, errlen) < 0)
		return -1;
	lc->postcopy_after = (double)after;
	if (lc->timeout_per_gib < 0)
		return snprintf(err, errlen, "%s: libvirt_timeout_per_gib must be 0 or more",
		    vh->conf_where(c, "libvirt_timeout_per_gib", where, sizeof(where))), -1;
	if (strcmp(tls, "between_sites") == 0)
		lc->tls = LV_TLS_BETWEEN_SITES;
	else if (strcmp(tls, "always") == 0)
		lc->tls = LV_TLS_ALWAYS;
	else if (strcmp(tls, "never") == 0)
		lc->tls = LV_TLS_NEVER;
	else
		return snprintf(err, errlen, "%s: libvirt_tls: '%s' is none of \"between_sites\", \"always\", \"never\"",
		    vh->conf_where(c, "libvirt_tls", where, sizeof(where)), tls), -1;
	return 0;
}

static int
lv_read_tuning(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	int64_t bw = 0, keepalive = 5, stall = 60;
	char where[512];

	lc->timeout = 600;
	if (vh->conf_int(c, "libvirt_bandwidth", 0, INT64_C(1) << 40, &bw, err, errlen) < 0 ||
	    vh->conf_int(c, "libvirt_max_downtime", 0, 3600000, &lc->max_downtime, err, errlen) < 0 ||
	    vh->conf_int(c, "libvirt_keepalive", 0, 3600, &keepalive, err, errlen) < 0 ||
	    vh->conf_int(c, "libvirt_stall_timeout", 0, 86400, &stall, err, errlen) < 0 ||
	    vh->conf_bool(c, "libvirt_persist", &lc->persist, err, errlen) < 0 ||
	    vh->conf_bool(c, "libvirt_undefine_source", &lc->undefine_source, err, errlen) < 0 ||
	    vh->conf_bool(c, "libvirt_auto_converge", &lc->auto_converge, err, errlen) < 0 ||
	    vh->conf_number(c, "endpoint_timeout", &lc->timeout, err, errlen) < 0)
		return -1;
	if (lc->undefine_source && !lc->persist) {
		/* the VM would end up defined nowhere: lost at its next shutdown */
		snprintf(err, errlen, "%s: libvirt_undefine_source = true needs libvirt_persist = true, or the VM is defined on no host after a move",
		    vh->conf_where(c, "libvirt_undefine_source", where, sizeof(where)));
		return -1;
	}
	lc->bandwidth = (uint64_t)bw;
	lc->keepalive = (int)keepalive;
	lc->stall = (double)stall;
	/* as long as keepalive takes to give up on an open connection */
	lc->connect_timeout = keepalive > 0 ? (double)keepalive * 6 : 30;
	if (lc->connect_timeout > lc->timeout)
		lc->connect_timeout = lc->timeout;
	return 0;
}

int
lv_conf_read(const struct vmm_host *vh, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen)
{
	memset(lc, 0, sizeof(*lc));
	if (lv_read_hosts(vh, c, lc, err, errlen) < 0 || lv_fill_uris(vh, c, lc, err, errlen) < 0 ||
	    lv_check_distinct(vh, c, lc, err, errlen) < 0 || lv_read_cross(vh, c, lc, err, errlen) < 0 ||
	    lv_read_tuning(vh, c, lc, err, errlen) < 0 || lv_read_steps(vh, c, lc, err, errlen) < 0 ||
	    lv_read_converge(vh, c, lc, err, errlen) < 0 || lv_read_domain(vh, c, lc, err, errlen) < 0) {
		lv_conf_free(lc);
		return -1;
	}
	return 0;
}

void
lv_conf_free(struct lv_conf *lc)
{
	for (size_t i = 0; i < lc->nhosts; i++) {
		free(lc->hosts[i].name);
		free(lc->hosts[i].uri);
		free(lc->hosts[i].migrate_uri);
	}
	free(lc->hosts);
	free(lc->domain);
	memset(lc, 0, sizeof(*lc));
}

const struct lv_host *
lv_conf_host(const struct lv_conf *lc, const char *name)
{
	for (size_t i = 0; name != NULL && i < lc->nhosts; i++)
		if (strcmp(lc->hosts[i].name, name) == 0)
			return &lc->hosts[i];
	return NULL;
}
