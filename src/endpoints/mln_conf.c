/* SPDX-License-Identifier: ISC */
/* The mln endpoint's settings: every host the VM may be sent to, the MLN name of each
 * (mln_hosts), its template (mln_template, mln_templates) or the administrator's own
 * project file (mln_project_mode = "own"). Read once at init and never written, so
 * `vmmanage -t` finds every mistake with its file and line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mln.h"

#define MLN_TEMPLATE_MAX (1024 * 1024)

struct mln_target *
mln_target_find(struct mln_endpoint *e, const char *name)
{
	for (size_t i = 0; i < e->ntargets; i++)
		if (strcmp(e->targets[i].name, name) == 0)
			return &e->targets[i];
	return NULL;
}

const char *
mln_target_host(const struct mln_target *t)
{
	return t->service_host ? t->service_host : t->name;
}

/* A name that becomes part of a file name: no slashes, no leading dot. */
static int
mln_safe_name(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* The thesis numbered its hosts; MLN places a VM only on a host it can reach by name. */
static int
mln_is_number(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
mln_add_target(struct mln_endpoint *e, const char *name, const char *key, char *err,
    size_t errlen)
{
	if (name == NULL || mln_target_find(e, name) != NULL)
		return 0;
	struct mln_target *t = realloc(e->targets, (e->ntargets + 1) * sizeof(*t));
	if (t == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->targets = t;
	t = &e->targets[e->ntargets];
	memset(t, 0, sizeof(*t));
	if ((t->name = strdup(name)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	t->key = key;
	e->ntargets++;
	return 0;
}

static int
mln_add_list(struct mln_endpoint *e, const struct vmm_conf *c, const char *key, char *err,
    size_t errlen)
{
	const char **list = NULL;
	size_t n = 0;
	int rc = e->host->conf_strings(c, key, &list, &n, err, errlen);

	for (size_t i = 0; rc > 0 && i < n; i++)
		if (mln_add_target(e, list[i], key, err, errlen) < 0)
			rc = -1;
	free(list);
	return rc < 0 ? -1 : 0;
}

/* Every host the VM may be sent to, each once: the array (or the numbered range), the
 * base and both sites. */
static int
mln_read_targets(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const struct vmm_host *h = e->host;
	int64_t lo = 0, hi = -1;
	const char *base = NULL;
	char num[24];

	if (mln_add_list(e, c, "hosts", err, errlen) < 0 ||
	    h->conf_int(c, "min_range", 0, 9999, &lo, err, errlen) < 0 ||
	    h->conf_int(c, "max_range", 0, 9999, &hi, err, errlen) < 0)
		return -1;
	for (int64_t i = lo; i <= hi; i++) {
		snprintf(num, sizeof(num), "%lld", (long long)i);
		if (mln_add_target(e, num, "min_range", err, errlen) < 0)
			return -1;
	}
	if (h->conf_string(c, "base", &base, err, errlen) < 0 ||
	    mln_add_target(e, base, "base", err, errlen) < 0 ||
	    mln_add_list(e, c, "home", err, errlen) < 0 ||
	    mln_add_list(e, c, "away", err, errlen) < 0)
		return -1;
	return 0;
}

/* One "NAME=VALUE" entry of a list key: the target it names, and the value. */
static struct mln_target *
mln_pair(struct mln_endpoint *e, const struct vmm_conf *c, const char *key,
    const char *entry, const char **value, char *err, size_t errlen)
{
	const char *eq = strchr(entry, '=');
	char where[512], name[256];

	if (eq == NULL || eq == entry || eq[1] == '\0') {
		snprintf(err, errlen, "%s: %s: '%s' is not NAME=%s", e->host->conf_where(c, key,
		    where, sizeof(where)), key, entry, strcmp(key, "mln_hosts") ? "FILE" : "HOST");
		return NULL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - entry), entry);
	struct mln_target *t = mln_target_find(e, name);
	if (t == NULL)
		snprintf(err, errlen, "%s: %s: '%s' names none of hosts, min_range..max_range, base, home or away",
		    e->host->conf_where(c, key, where, sizeof(where)), key, name);
	*value = eq + 1;
	return t;
}

/* A host name MLN can place a VM on: letters, digits, dots and dashes, not a number. */
static int
mln_host_ok(const char *s)
{
	if (mln_is_number(s) || *s == '-' || *s == '.' || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* mln_hosts = ["1=mln1.example.org", ...]: the service_host written for each target. */
static int
mln_read_hosts(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const char **list = NULL, *value;
	size_t n = 0;
	char where[512];
	int rc = e->host->conf_strings(c, "mln_hosts", &list, &n, err, errlen);

	e->mapped = rc > 0;
	for (size_t i = 0; rc > 0 && i < n; i++) {
		struct mln_target *t = mln_pair(e, c, "mln_hosts", list[i], &value, err, errlen);
		if (t == NULL)
			rc = -1;
		else if (t->service_host != NULL || !mln_host_ok(value)) {
			snprintf(err, errlen, "%s: mln_hosts: '%s' %s",
			    e->host->conf_where(c, "mln_hosts", where, sizeof(where)), list[i],
			    t->service_host ? "names its host a second time" :
			    "is not a host name MLN can place a VM on (letters, digits, '.' and '-', not a number)");
			rc = -1;
		} else if ((t->service_host = strdup(value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

static char *
mln_slurp(const char *key, const char *where, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s %s: %s", where, key, path, strerror(errno));
		return NULL;
	}
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n, total = 0;
	while (m != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    (total += n) <= MLN_TEMPLATE_MAX)
		fwrite(chunk, 1, n, m);
	if (m != NULL)
		fclose(m);
	fclose(f);
	if (buf == NULL)
		snprintf(err, errlen, "out of memory");
	else if (total > MLN_TEMPLATE_MAX || memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: %s %s: %s", where, key, path, total > MLN_TEMPLATE_MAX ?
		    "larger than 1 MiB: not an MLN project" : "holds a NUL byte: not an MLN project");
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* mln_templates = ["aws=/etc/vmmanage/nii4.aws.mln", ...], then mln_template for the
 * rest; each is read now, so a missing one is an error at -t. */
static int
mln_read_templates(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const char **list = NULL, *value, *common = NULL;
	size_t n = 0;
	char where[512];
	int rc = e->host->conf_strings(c, "mln_templates", &list, &n, err, errlen);

	for (size_t i = 0; rc > 0 && i < n; i++) {
		struct mln_target *t = mln_pair(e, c, "mln_templates", list[i], &value, err, errlen);
		if (t == NULL || t->template != NULL) {
			if (t != NULL)
				snprintf(err, errlen, "%s: mln_templates: '%s' gives host '%s' a second template",
				    e->host->conf_where(c, "mln_templates", where, sizeof(where)), list[i], t->name);
			rc = -1;
		} else if ((t->template = mln_slurp("mln_templates", e->host->conf_where(c,
		    "mln_templates", where, sizeof(where)), value, err, errlen)) == NULL)
			rc = -1;
		else
			t->template_path = value;
	}
	free(list);
	if (rc < 0 || e->host->conf_string(c, "mln_template", &common, err, errlen) < 0)
		return -1;
	if (common == NULL)
		return 0;
	e->host->conf_where(c, "mln_template", where, sizeof(where));
	char *text = mln_slurp("mln_template", where, common, err, errlen);
	if (text == NULL)
		return -1;
	/* one template for every host must say where each goes, or every move is a no-op */
	if (!mln_has_service_host(text)) {
		snprintf(err, errlen, "%s: mln_template %s has no service_host line: the project files would not say which host to run on",
		    where, common);
		free(text);
		return -1;
	}
	for (size_t i = 0; i < e->ntargets; i++)
		if (e->targets[i].template == NULL && (e->targets[i].template = strdup(text)) != NULL)
			e->targets[i].template_path = common;
	free(text);
	for (size_t i = 0; i < e->ntargets; i++)
		if (e->targets[i].template == NULL)
			return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

/* generate: each template that names a service_host gets a real host name for it, and
 * no administrator's file stands where a project file would be written. */
static int
mln_check_generate(struct mln_endpoint *e, const struct vmm_conf *c, char *err,
    size_t errlen)
{
	char where[512], why[1024];

	for (size_t i = 0; i < e->ntargets; i++) {
		const struct mln_target *t = &e->targets[i];
		if (t->template == NULL)
			continue;
		if (mln_has_service_host(t->template) && !mln_host_ok(mln_target_host(t))) {
			snprintf(err, errlen, "%s: host '%s' is not a host name MLN can place a VM on (service_host %s): map it with mln_hosts = [\"%s=mln%s.example.org\", ...]",
			    e->host->conf_where(c, e->mapped ? "mln_hosts" : t->key, where, sizeof(where)), t->name,
			    mln_target_host(t), t->name, t->name);
			return -1;
		}
		if (mln_project_writable(t->project, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", e->host->conf_where(c, "mln_project_dir",
			    where, sizeof(where)), why);
			return -1;
		}
	}
	return 0;
}

/* own: the administrator's files are used as they are, so each must be there now. */
static int
mln_check_own(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const char *tmpl = NULL, **list = NULL, *why;
	size_t n = 0;
	char where[512];
	struct stat st;
	int rc = e->host->conf_strings(c, "mln_templates", &list, &n, err, errlen);

	free(list);
	if (rc < 0 || e->host->conf_string(c, "mln_template", &tmpl, err, errlen) < 0)
		return -1;
	if (rc > 0 || tmpl != NULL) {
		const char *k = tmpl != NULL ? "mln_template" : "mln_templates";
		snprintf(err, errlen, "%s: %s is not used with mln_project_mode = \"own\" (the project files in mln_project_dir are used as they are): remove one of the two",
		    e->host->conf_where(c, k, where, sizeof(where)), k);
		return -1;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		const char *p = e->targets[i].project;
		why = stat(p, &st) < 0 ? strerror(errno) : !S_ISREG(st.st_mode) ?
		    "not a regular file" : access(p, R_OK) < 0 ? strerror(errno) : NULL;
		if (why == NULL)
			continue;
		snprintf(err, errlen, "%s: mln_project_mode = \"own\": the project file for host '%s', %s: %s: write it (one file %s.HOST.mln per host), or use mln_project_mode = \"generate\"",
		    e->host->conf_where(c, "mln_project_mode", where, sizeof(where)),
		    e->targets[i].name, p, why, e->hostname);
		return -1;
	}
	return 0;
}

static int
mln_read_mode(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const char *mode = "generate";
	char where[512];

	if (e->host->conf_string(c, "mln_project_mode", &mode, err, errlen) < 0)
		return -1;
	if (strcmp(mode, "generate") != 0 && strcmp(mode, "own") != 0) {
		snprintf(err, errlen, "%s: mln_project_mode = \"%s\": use \"generate\" (project files written from mln_template) or \"own\" (your files in mln_project_dir, as they are)",
		    e->host->conf_where(c, "mln_project_mode", where, sizeof(where)), mode);
		return -1;
	}
	e->own = strcmp(mode, "own") == 0;
	return 0;
}

static int
mln_read_locate(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	char where[512];
	int rc = e->host->conf_strings(c, "mln_locate_command", &e->locate, &e->nlocate, err, errlen);

	if (rc > 0 && e->nlocate == 0) {
		snprintf(err, errlen, "%s: mln_locate_command is empty: give the program and its arguments, e.g. [\"/usr/local/sbin/where-is-vm\", \"nii1\"]",
		    e->host->conf_where(c, "mln_locate_command", where, sizeof(where)));
		return -1;
	}
	e->locate_timeout = 120;
	if (rc < 0 || e->host->conf_number(c, "mln_locate_timeout", &e->locate_timeout, err, errlen) < 0)
		return -1;
	if (!(e->locate_timeout > 0 && e->locate_timeout <= 86400)) {
		snprintf(err, errlen, "%s: mln_locate_timeout must be more than 0 and at most 86400 seconds",
		    e->host->conf_where(c, "mln_locate_timeout", where, sizeof(where)));
		return -1;
	}
	return 0;
}

/* The names of the project files: mln_project_dir/HOSTNAME.TARGET.mln, as the thesis's. */
static int
mln_project_paths(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const char *name = NULL;
	char where[512];

	if (e->host->conf_string(c, "hostname", &name, err, errlen) < 0)
		return -1;
	snprintf(e->hostname, sizeof(e->hostname), "%s", name ? name : e->host->hostname());
	for (size_t i = 0; i <= e->ntargets; i++) {
		const char *s = i < e->ntargets ? e->targets[i].name : e->hostname;
		if (!mln_safe_name(s)) {
			snprintf(err, errlen, "%s: '%s' cannot be part of an MLN project file's name (letters, digits, '.', '-' and '_', not first a dot)",
			    e->host->conf_where(c, i < e->ntargets ? e->targets[i].key : "hostname", where, sizeof(where)), s);
			return -1;
		}
	}
	for (size_t i = 0; i < e->ntargets; i++)
		if (asprintf(&e->targets[i].project, "%s/%s.%s.mln", e->project_dir, e->hostname,
		    e->targets[i].name) < 0) {
			e->targets[i].project = NULL;
			return snprintf(err, errlen, "out of memory"), -1;
		}
	return 0;
}

int
mln_conf_read(struct mln_endpoint *e, const struct vmm_conf *c, char *err, size_t errlen)
{
	const struct vmm_host *h = e->host;
	const char *state_dir = VMM_LOCALSTATEDIR "/lib/vmmanage";

	e->program = "mln";
	e->timeout = 600;
	if (h->conf_string(c, "mln_program", &e->program, err, errlen) < 0 ||
	    h->conf_string(c, "mln_server", &e->server, err, errlen) < 0 ||
	    h->conf_string(c, "state_dir", &state_dir, err, errlen) < 0 ||
	    h->conf_number(c, "endpoint_timeout", &e->timeout, err, errlen) < 0)
		return -1;
	e->site_server = e->server;
	e->project_dir = state_dir;
	if (h->conf_string(c, "mln_site_server", &e->site_server, err, errlen) < 0 ||
	    h->conf_string(c, "mln_project_dir", &e->project_dir, err, errlen) < 0 ||
	    mln_read_mode(e, c, err, errlen) < 0 ||
	    mln_read_targets(e, c, err, errlen) < 0 ||
	    mln_project_paths(e, c, err, errlen) < 0 ||
	    mln_read_hosts(e, c, err, errlen) < 0 ||
	    mln_read_locate(e, c, err, errlen) < 0)
		return -1;
	if (e->own)
		return mln_check_own(e, c, err, errlen);
	if (mln_read_templates(e, c, err, errlen) < 0)
		return -1;
	return mln_check_generate(e, c, err, errlen);
}

void
mln_conf_free(struct mln_endpoint *e)
{
	for (size_t i = 0; i < e->ntargets; i++) {
		free(e->targets[i].name);
		free(e->targets[i].service_host);
		free(e->targets[i].template);
		free(e->targets[i].project);
	}
	free(e->targets);
	free(e->locate);
}
