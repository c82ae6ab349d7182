/* SPDX-License-Identifier: ISC */
/* The agent's durable state: one `key=value` text file, replaced atomically, so a crash
 * or a cold move leaves either the old state or the new one, never half of each. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strutil.h"
#include "core/state.h"

int
state_mkdirs(const char *path, unsigned mode, char *err, size_t errlen)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", buf, strerror(errno));
			return -1;
		}
		if ((*p = c) == '\0')
			break;
	}
	return 0;
}

static void
state_copy(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v);
}

static void
state_set(struct agent_state *st, const char *k, const char *v)
{
	static const struct { const char *key; size_t off, len; } strs[] = {
#define S(f) { #f, offsetof(struct agent_state, f), sizeof(((struct agent_state *)0)->f) }
		S(location), S(pending_action), S(pending_target), S(last_action), S(last_target),
		S(last_outcome), S(last_detail), S(refused_why),
#undef S
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(k, strs[i].key) == 0) {
			state_copy((char *)st + strs[i].off, strs[i].len, v);
			return;
		}
	if (strcmp(k, "location_confirmed") == 0)
		st->location_confirmed = atoi(v);
	else if (strcmp(k, "pending_since") == 0)
		st->pending_since = strtoll(v, NULL, 10);
	else if (strcmp(k, "pending_id") == 0)
		st->pending_id = strtoull(v, NULL, 16);
	else if (strcmp(k, "last_request_time") == 0)
		st->last_request_time = strtoll(v, NULL, 10);
	else if (strcmp(k, "last_duration") == 0)
		st->last_duration = strtod(v, NULL);
	else if (strcmp(k, "requests") == 0)
		st->requests = strtoull(v, NULL, 10);
	else if (strcmp(k, "confirmed") == 0)
		st->confirmed = strtoull(v, NULL, 10);
	else if (strcmp(k, "failed") == 0)
		st->failed = strtoull(v, NULL, 10);
	else if (strcmp(k, "unconfirmed") == 0)
		st->unconfirmed = strtoull(v, NULL, 10);
	else if (strcmp(k, "refused") == 0)
		st->refused = strtoull(v, NULL, 10);
	else if (strcmp(k, "refused_until") == 0)
		st->refused_until = strtoll(v, NULL, 10);
	/* unknown keys: written by a newer version; ignore */
}

int
state_load(const char *dir, struct agent_state *st, char *err, size_t errlen)
{
	char path[4096], line[1024];
	FILE *f;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/state", dir);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (eq == NULL || line[0] == '#')
			continue;
		*eq = '\0';
		state_set(st, line, eq + 1);
	}
	fclose(f);
	return 0;
}

/* Values are single lines: a newline in an endpoint's message must not forge a key. */
static void
state_put(FILE *f, const char *k, const char *v)
{
	fprintf(f, "%s=", k);
	for (; *v; v++)
		fputc(*v == '\n' || *v == '\r' ? ' ' : *v, f);
	fputc('\n', f);
}

static int
state_write(FILE *f, const struct agent_state *st)
{
	state_put(f, "location", st->location);
	fprintf(f, "location_confirmed=%d\n", st->location_confirmed);
	state_put(f, "pending_action", st->pending_action);
	state_put(f, "pending_target", st->pending_target);
	fprintf(f, "pending_since=%" PRId64 "\n", st->pending_since);
	fprintf(f, "pending_id=%016" PRIx64 "\n", st->pending_id);
	state_put(f, "last_action", st->last_action);
	state_put(f, "last_target", st->last_target);
	state_put(f, "last_outcome", st->last_outcome);
	state_put(f, "last_detail", st->last_detail);
	fprintf(f, "last_request_time=%" PRId64 "\n", st->last_request_time);
	fprintf(f, "last_duration=%.3f\n", st->last_duration);
	fprintf(f, "requests=%" PRIu64 "\nconfirmed=%" PRIu64 "\nfailed=%" PRIu64 "\nunconfirmed=%" PRIu64 "\n",
	    st->requests, st->confirmed, st->failed, st->unconfirmed);
	fprintf(f, "refused=%" PRIu64 "\n", st->refused);
	fprintf(f, "refused_until=%" PRId64 "\n", st->refused_until);
	state_put(f, "refused_why", st->refused_why);
	return ferror(f) ? -1 : 0;
}

int
state_replace(const char *dir, const char *name, int (*write)(FILE *, const void *),
    const void *arg, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	int fd, dfd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write(f, arg) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int
state_write_any(FILE *f, const void *st)
{
	return state_write(f, st);
}

int
state_save(const char *dir, const struct agent_state *st, char *err, size_t errlen)
{
	return state_replace(dir, "state", state_write_any, st, err, errlen);
}

/* ---- one block, overwritten in place ---- */

/* FNV-1a: finds a block a crash cut short (not a defence against anyone who can write to
 * the state directory, who could write the state file too). */
static uint64_t
state_block_sum(const char *p, size_t n)
{
	return vmm_fnv1a(VMM_FNV1A_BASIS, p, n);
}

#define STATE_SUM_LINE 21        /* "sum=" 16 hex digits LF */

int
state_block_write(int dirfd, const char *name, const char *text, char *err, size_t errlen)
{
	char block[STATE_BLOCK_SIZE] = { 0 };
	size_t n = strlen(text);
	struct stat st;
	int fd, made;

	if (n == 0 || text[n - 1] != '\n' || n + STATE_SUM_LINE >= sizeof(block))
		return snprintf(err, errlen, "%s: a record of %zu bytes does not fit a block", name, n), -1;
	memcpy(block, text, n);
	snprintf(block + n, sizeof(block) - n, "sum=%016" PRIx64 "\n", state_block_sum(block, n));
	if ((fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) < 0 ||
	    fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: not a regular file of this user", name);
		close(fd);
		return -1;
	}
	/* over blocks the file already has, fdatasync writes this one alone, with no
	 * metadata to commit; only the first write allocates it */
	made = st.st_size != STATE_BLOCK_SIZE;
	if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) || fdatasync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (made && fsync(dirfd) < 0)
		return snprintf(err, errlen, "%s: the directory: %s", name, strerror(errno)), -1;
	return 0;
}

int
state_block_read(int dirfd, const char *name, char *text, size_t cap, char *err, size_t errlen)
{
	char block[STATE_BLOCK_SIZE + 1];
	struct stat st;
	ssize_t n;
	int fd;

	text[0] = '\0';
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return snprintf(err, errlen, "%s: %s", name, strerror(errno)), -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return snprintf(err, errlen, "%s: not a regular file of this user", name), -1;
	}
	n = pread(fd, block, STATE_BLOCK_SIZE, 0);
	close(fd);
	if (n < 0)
		return snprintf(err, errlen, "%s: %s", name, strerror(errno)), -1;
	block[n] = '\0';
	/* the text, then its checksum's line, then zeros */
	size_t len = strlen(block), tlen = len > STATE_SUM_LINE ? len - STATE_SUM_LINE : 0;
	char *e;
	if (tlen == 0 || block[tlen - 1] != '\n' || strncmp(block + tlen, "sum=", 4) != 0 ||
	    strtoull(block + tlen + 4, &e, 16) != state_block_sum(block, tlen) || *e != '\n' ||
	    tlen >= cap)
		return 1;
	memcpy(text, block, tlen);
	text[tlen] = '\0';
	return 0;
}

/* ---- the request about to be made ---- */

int
state_request_write(const char *dir, const struct state_request *r, char *err, size_t errlen)
{
	char text[STATE_BLOCK_SIZE], act[sizeof(r->action)], tgt[sizeof(r->target)];
	int dfd, rc;

	/* single lines, as in the state file */
	snprintf(act, sizeof(act), "%s", r->action);
	snprintf(tgt, sizeof(tgt), "%s", r->target);
	act[strcspn(act, "\r\n")] = tgt[strcspn(tgt, "\r\n")] = '\0';
	snprintf(text, sizeof(text), "request=%" PRIu64 "\naction=%s\ntarget=%s\nsince=%" PRId64
	    "\nid=%016" PRIx64 "\n", r->number, act, tgt, r->since, r->id);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1;
	rc = state_block_write(dfd, "request", text, err, errlen);
	close(dfd);
	return rc;
}

int
state_request_load(const char *dir, struct state_request *r, char *err, size_t errlen)
{
	char text[STATE_BLOCK_SIZE];
	int dfd, rc;

	memset(r, 0, sizeof(*r));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1;
	rc = state_block_read(dfd, "request", text, sizeof(text), err, errlen);
	close(dfd);
	if (rc != 0)
		return rc;
	for (char *line = text, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		char *eq = strchr(line, '=');
		*nl = '\0';
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(line, "request") == 0)
			r->number = strtoull(eq + 1, NULL, 10);
		else if (strcmp(line, "action") == 0)
			state_copy(r->action, sizeof(r->action), eq + 1);
		else if (strcmp(line, "target") == 0)
			state_copy(r->target, sizeof(r->target), eq + 1);
		else if (strcmp(line, "since") == 0)
			r->since = strtoll(eq + 1, NULL, 10);
		else if (strcmp(line, "id") == 0)
			r->id = strtoull(eq + 1, NULL, 16);
	}
	if (r->number > 0 && r->action[0] && r->target[0])
		return 0;
	memset(r, 0, sizeof(*r));
	return 1;
}

int
state_request_apply(struct agent_state *st, const struct state_request *r)
{
	if (r->number <= st->requests)
		return 0;
	state_copy(st->pending_action, sizeof(st->pending_action), r->action);
	state_copy(st->pending_target, sizeof(st->pending_target), r->target);
	st->pending_since = r->since;
	st->pending_id = r->id;
	state_copy(st->last_action, sizeof(st->last_action), r->action);
	state_copy(st->last_target, sizeof(st->last_target), r->target);
	state_copy(st->last_outcome, sizeof(st->last_outcome), "in flight");
	st->last_detail[0] = '\0';
	st->last_request_time = r->since;
	st->requests = r->number;
	return 1;
}
