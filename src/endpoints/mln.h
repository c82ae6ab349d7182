/* SPDX-License-Identifier: ISC */
/* The mln endpoint's private parts: its settings, read once at init (so `vmmanage -t`
 * checks them), and the project files it writes or uses. */
#ifndef VMM_ENDPOINT_MLN_H
#define VMM_ENDPOINT_MLN_H

#include <stddef.h>

#include <vmmanage/endpoint.h>

/* The first line of every project file vmmanage writes: a file without it is the
 * administrator's and is never written over. */
#define MLN_MARK "# vmmanage: "

/* One host the VM may be sent to. */
struct mln_target {
	char *name;         /* as in hosts, min_range..max_range, base, home or away */
	const char *key;    /* the key that named it, for messages */
	char *service_host; /* MLN's name for it (mln_hosts), or NULL: the name itself */
	char *template;     /* generate: the text of its template, or NULL: none set */
	const char *template_path;
	char *project;      /* mln_project_dir/HOSTNAME.NAME.mln */
};

struct mln_endpoint {
	const struct vmm_host *host;
	const char *program, *server, *site_server, *project_dir;
	int own;                  /* mln_project_mode = "own": use the files as they are */
	char hostname[256];       /* the first part of the project files' names */
	struct mln_target *targets;
	size_t ntargets;
	int mapped;               /* mln_hosts is set */
	const char **locate;      /* mln_locate_command, or NULL */
	size_t nlocate;
	double timeout, locate_timeout;
	unsigned locate_misses;   /* moves in a row its locate command did not answer */
};

/* ---- mln_conf.c ---- */
int mln_conf_read(struct mln_endpoint *e, const struct vmm_conf *c, char *err,
    size_t errlen);
void mln_conf_free(struct mln_endpoint *e);
struct mln_target *mln_target_find(struct mln_endpoint *e, const char *name);
/* The name MLN knows the target by: its service host, else its own name. */
const char *mln_target_host(const struct mln_target *t);

/* ---- mln_text.c ---- */
/* The template with every service_host line naming host, after the mark; malloc'd, or
 * NULL (no memory). */
char *mln_project_text(const char *tmpl, const char *tmpl_path, const char *target,
    const char *host);
/* Whether a template says where to place the VM. */
int mln_has_service_host(const char *tmpl);
/* The host a locate command's output names: its first word, a leading `location=`
 * skipped; "" when it names none. */
void mln_locate_answer(const char *out, char *host, size_t len);

/* ---- mln_project.c ---- */
/* 0 when vmmanage may write path (absent, or written by vmmanage and owned by us), or
 * -1 with err saying why not. */
int mln_project_writable(const char *path, char *err, size_t errlen);
/* Write path atomically (a temporary file in its directory, renamed), mode 0600, never
 * following a symlink, never over a file vmmanage did not write. 0, or -1 with err. */
int mln_project_write(const char *path, const char *text, char *err, size_t errlen);

#endif
