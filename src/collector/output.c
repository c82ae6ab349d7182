/* SPDX-License-Identifier: ISC */
/* The outputs: OUTPUT in the thesis format and an optional JSON-lines file. Lines are
 * gathered in memory during one turn of the loop and written together, so a batch of
 * agent frames shares one write and one fdatasync. The lines of agent frames, which
 * wait for their ack, are written before the others: after a full disk the space
 * that comes back goes to them first. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "common/buf.h"
#include "common/strutil.h"

struct collector_output {
	char *path, *json_path;
	int fd, jfd;
	/* OUTPUT's lines of agent frames (ab), written first, and the others (b) */
	struct vmm_buf ab, b, jb;
	int json_failing;
	uint64_t json_dropped, json_dropped_total;
	uint64_t written, json_written;   /* bytes, since the start */
	time_t stamp_t;
	char stamp[128];
	size_t stamp_len;
	collector_output_watch_fn watch;
	void *watch_arg;
};

/* OUTPUT's lines so far are there for good: tell the watcher where it ends. */
static void
collector_output_notify(struct collector_output *o)
{
	struct stat st;

	if (o->watch != NULL && fstat(o->fd, &st) == 0)
		o->watch(o->watch_arg, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
		    (uint64_t)st.st_size);
}

void
collector_output_watch(struct collector_output *o, collector_output_watch_fn fn, void *arg)
{
	o->watch = fn;
	o->watch_arg = arg;
	collector_output_notify(o);
}

static int
collector_open_append(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno), errno == EACCES ?
		    " (the collector opens it as its user, after dropping root: the file, or its"
		    " directory if the file is missing, must be writable by that user)" : "");
	return fd;
}

struct collector_output *
collector_output_open(const char *path, const char *json_path, char *err, size_t errlen)
{
	struct collector_output *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->fd = o->jfd = -1;
	o->stamp_t = (time_t)-1;
	/* bounded in practice by what one turn reads: the loop stops reading while the
	 * output cannot be written */
	vmm_buf_init(&o->ab, 65536, COLLECTOR_OUTPUT_PENDING_MAX);
	vmm_buf_init(&o->b, 65536, COLLECTOR_OUTPUT_PENDING_MAX);
	vmm_buf_init(&o->jb, 65536, COLLECTOR_OUTPUT_PENDING_MAX);
	o->path = strdup(path);
	o->json_path = json_path ? strdup(json_path) : NULL;
	if ((o->fd = collector_open_append(path, err, errlen)) < 0 ||
	    (json_path != NULL && (o->jfd = collector_open_append(json_path, err, errlen)) < 0)) {
		collector_output_close(o);
		return NULL;
	}
	return o;
}

size_t
collector_format_stamp(time_t t, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%lld ", (long long)t);

	/* before 1970 or past year 9999 the line would not have the documented form: 0 */
	if (n < 0 || (size_t)n >= cap)
		return 0;
	size_t m = vmm_thesis_date((int64_t)t, out + n, cap - (size_t)n);
	return m ? (size_t)n + m : 0;
}

static void
collector_output_json(struct collector_output *o, time_t t, const char *host, size_t hostlen,
    const char *msg, size_t msglen, const struct collector_meta *m)
{
	struct vmm_buf *b = &o->jb;

	if (vmm_buf_reserve(b, 6 * (hostlen + msglen) + 512) < 0)
		return;
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, "{\"epoch\":%lld,\"host\":\"",
	    (long long)t);
	b->len += collector_json_escape(host, hostlen, b->p + b->len, b->cap - b->len);
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, "\",\"msg\":\"");
	b->len += collector_json_escape(msg, msglen, b->p + b->len, b->cap - b->len);
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len,
	    "\",\"proto\":\"%s\",\"src\":\"%s\"", m->proto, m->src ? m->src : "");
	if (m->seq)
		b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len,
		    ",\"boot\":\"%s\",\"seq\":%" PRIu64, m->boot ? m->boot : "", m->seq);
	if (m->truncated)
		b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, ",\"truncated\":true");
	if (m->received)
		b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, ",\"received\":%lld",
		    (long long)m->received);
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, "}\n");
}

int
collector_output_add(struct collector_output *o, time_t t, const char *host, size_t hostlen,
    const char *msg, size_t msglen, const struct collector_meta *meta)
{
	struct vmm_buf *b = meta->seq ? &o->ab : &o->b;
	size_t marklen = meta->truncated ? strlen(COLLECTOR_TRUNC_MARK) : 0;

	if (vmm_buf_reserve(b, sizeof(o->stamp) + 4 * (hostlen + msglen) + marklen + 8) < 0)
		return -1;
	if (t != o->stamp_t) {
		/* localtime and strftime per line would dominate under load */
		o->stamp_len = collector_format_stamp(t, o->stamp, sizeof(o->stamp));
		o->stamp_t = t;
	}
	if (o->stamp_len == 0) {
		/* an agent's epoch that cannot be shown as a date: the time of receipt, so
		 * that every line has the documented form */
		t = time(NULL);
		o->stamp_len = collector_format_stamp(t, o->stamp, sizeof(o->stamp));
		o->stamp_t = t;
	}
	memcpy(b->p + b->len, o->stamp, o->stamp_len);
	b->len += o->stamp_len;
	b->p[b->len++] = ' ';
	size_t h0 = b->len;
	b->len += collector_escape(host, hostlen, b->p + b->len, b->cap - b->len);
	size_t h1 = b->len;
	b->p[b->len++] = ':';
	b->p[b->len++] = ' ';
	size_t m0 = b->len;
	b->len += collector_escape(msg, msglen, b->p + b->len, b->cap - b->len);
	memcpy(b->p + b->len, COLLECTOR_TRUNC_MARK, marklen);
	b->len += marklen;
	size_t m1 = b->len;
	b->p[b->len++] = '\n';
	if (o->jfd >= 0)
		/* JSON carries the same escaped text as OUTPUT, so both say the same thing */
		collector_output_json(o, t, b->p + h0, h1 - h0, b->p + m0, m1 - m0, meta);
	return 0;
}

size_t
collector_output_pending(const struct collector_output *o)
{
	return o->ab.len + o->b.len;
}

size_t
collector_output_pending_acked(const struct collector_output *o)
{
	return o->ab.len;
}

int
collector_output_position(struct collector_output *o, uint64_t *dev, uint64_t *ino,
    uint64_t *size)
{
	struct stat st;

	if (fstat(o->fd, &st) < 0)
		return -1;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int
collector_write_all(int fd, struct vmm_buf *b, uint64_t *written)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, b->p + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;
			/* a full disk may have taken part of a line: take it back, so that the
			 * file ends on a whole line whatever is written next */
			size_t whole = off;
			while (whole > 0 && b->p[whole - 1] != '\n')
				whole--;
			struct stat st;
			if (whole < off && fstat(fd, &st) == 0 && (size_t)st.st_size >= off - whole &&
			    ftruncate(fd, st.st_size - (off_t)(off - whole)) == 0)
				off = whole;
			/* keep what was not written, to retry on the next commit */
			vmm_buf_consume(b, off);
			errno = saved;
			return -1;
		}
		off += (size_t)n;
		*written += (uint64_t)n;
	}
	vmm_buf_reset(b);
	return 0;
}

int
collector_output_commit_acked(struct collector_output *o, int durable, char *err, size_t errlen)
{
	int wrote = o->ab.len > 0;

	if (o->ab.len > 0 && collector_write_all(o->fd, &o->ab, &o->written) < 0) {
		snprintf(err, errlen, "%s: write: %s", o->path, strerror(errno));
		return -1;
	}
	if (durable && fdatasync(o->fd) < 0) {
		snprintf(err, errlen, "%s: fdatasync: %s", o->path, strerror(errno));
		return -1;
	}
	/* only now: a batch cut short by a crash is taken off OUTPUT again (seqdb.c) */
	if (wrote)
		collector_output_notify(o);
	return 0;
}

/* The JSON copy never holds OUTPUT back: what it cannot take is dropped and counted. */
static void
collector_output_json_commit(struct collector_output *o, int durable)
{
	if (o->jfd < 0 || o->jb.len == 0)
		return;
	if (collector_write_all(o->jfd, &o->jb, &o->json_written) < 0) {
		if (!o->json_failing) {
			log_warn("%s: write (JSON lines are dropped until it works again)",
			    o->json_path);
			o->json_failing = 1;
			o->json_dropped = 0;
		}
		o->json_dropped += o->jb.len;
		o->json_dropped_total += o->jb.len;
		vmm_buf_reset(&o->jb);
		return;
	}
	if (o->json_failing) {
		log_warnx("%s: writing again; %" PRIu64 " bytes of JSON lines were dropped",
		    o->json_path, o->json_dropped);
		o->json_failing = 0;
	}
	if (durable)
		fdatasync(o->jfd);
}

int
collector_output_commit_rest(struct collector_output *o, int durable, char *err, size_t errlen)
{
	/* never between two parts of a batch of agent lines: its place in OUTPUT is one range */
	if (o->ab.len > 0) {
		snprintf(err, errlen, "%s: agent lines still pending", o->path);
		return -1;
	}
	if (o->b.len > 0) {
		if (collector_write_all(o->fd, &o->b, &o->written) < 0) {
			snprintf(err, errlen, "%s: write: %s", o->path, strerror(errno));
			return -1;
		}
		collector_output_notify(o);
	}
	collector_output_json_commit(o, durable);
	return 0;
}

int
collector_output_reopen(struct collector_output *o, char *err, size_t errlen)
{
	int fd, jfd = -1;

	if (collector_output_commit_acked(o, 0, err, errlen) < 0 ||
	    collector_output_commit_rest(o, 0, err, errlen) < 0)
		return -1;
	if ((fd = collector_open_append(o->path, err, errlen)) < 0)
		return -1;
	if (o->json_path != NULL && (jfd = collector_open_append(o->json_path, err, errlen)) < 0) {
		close(fd);
		return -1;
	}
	close(o->fd);
	o->fd = fd;
	if (o->jfd >= 0)
		close(o->jfd);
	o->jfd = jfd;
	/* after the old file's last line: the watcher may finish it and move on */
	collector_output_notify(o);
	return 0;
}

void
collector_output_counts(const struct collector_output *o, uint64_t *written,
    uint64_t *json_written, uint64_t *json_dropped)
{
	*written = o->written;
	*json_written = o->json_written;
	*json_dropped = o->json_dropped_total;
}

int
collector_output_fd(const struct collector_output *o)
{
	return o->fd;
}

void
collector_output_close(struct collector_output *o)
{
	if (o == NULL)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->jfd >= 0)
		close(o->jfd);
	vmm_buf_free(&o->ab);
	vmm_buf_free(&o->b);
	vmm_buf_free(&o->jb);
	free(o->path);
	free(o->json_path);
	free(o);
}
