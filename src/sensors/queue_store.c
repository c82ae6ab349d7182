/* SPDX-License-Identifier: ISC */
/* The claimed job queue on disk, and running it resumably (see queue_store.h). */
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

#include "common/buf.h"
#include "common/clock.h"
#include "sensors/queue_store.h"

#define QUEUE_MAGIC "vmmanage-queue 1 "
#define QUEUE_TMP_FILE "queue.tmp"
#define QUEUE_RESULT_MAX 4096
/* bytes of a stored file read whole: twice the largest page the sensor can save
 * (http_max_bytes is at most 1 GiB), so only a file it did not write can reach it */
#define QUEUE_FILE_MAX ((size_t)2 << 30)

struct queue_store {
	char *dir;
	int dirfd, resfd;
	queue_bad_fn bad;
	void *ctx;
	/* the stored queue, when there is one */
	char *file;               /* header line and page */
	size_t file_len;
	char id[64];
	struct queue_job *jobs;   /* in page order, pointing into file */
	size_t njobs;
	unsigned char *done;      /* per job */
};

/* The whole of a file relative to the store's directory; *buf NULL when absent. */
static int
queue_slurp(int dirfd, const char *name, char **buf, size_t *len, char *err, size_t errlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct vmm_buf b;

	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	vmm_buf_init(&b, 4096, QUEUE_FILE_MAX);
	for (;;) {
		if (vmm_buf_reserve(&b, 4096) < 0) {
			if (errno == E2BIG)
				snprintf(err, errlen, "%s: larger than %zu MiB", name, QUEUE_FILE_MAX >> 20);
			else
				snprintf(err, errlen, "out of memory");
			goto fail;
		}
		ssize_t n = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	b.p[b.len] = '\0';
	*len = b.len;
	*buf = vmm_buf_take(&b);
	return 0;
fail:
	vmm_buf_free(&b);
	close(fd);
	return -1;
}

static void
queue_unload(struct queue_store *qs)
{
	free(qs->file);
	free(qs->jobs);
	free(qs->done);
	qs->file = NULL;
	qs->jobs = NULL;
	qs->done = NULL;
	qs->file_len = qs->njobs = 0;
	qs->id[0] = '\0';
}

/* The header's ID; -1 when the header is not ours. */
static int
queue_header(struct queue_store *qs, size_t *page_start)
{
	const char *nl = memchr(qs->file, '\n', qs->file_len);
	size_t m = strlen(QUEUE_MAGIC);

	if (nl == NULL || (size_t)(nl - qs->file) < m || memcmp(qs->file, QUEUE_MAGIC, m) != 0)
		return -1;
	const char *id = qs->file + m;
	size_t n = strcspn(id, " \n");
	if (n == 0 || n >= sizeof(qs->id))
		return -1;
	memcpy(qs->id, id, n);
	qs->id[n] = '\0';
	*page_start = (size_t)(nl - qs->file) + 1;
	return 0;
}

/* Index the jobs of the loaded page; malformed lines go to the bad callback. */
static int
queue_index(struct queue_store *qs, size_t start)
{
	const char *page = qs->file + start, *s, *why;
	size_t len = qs->file_len - start, pos = 0, n, line = 0, cap = 0;
	struct queue_job job;

	while (queue_next_line(page, len, &pos, &s, &n)) {
		job.line = ++line;
		enum queue_line_kind k = queue_parse_line(s, n, &job, &why);
		if (k == QUEUE_BAD && qs->bad != NULL)
			qs->bad(qs->ctx, line, s, n, why);
		if (k != QUEUE_JOB)
			continue;
		if (vmm_array_grow(&qs->jobs, &cap, qs->njobs, sizeof(*qs->jobs), 64) < 0)
			return -1;
		qs->jobs[qs->njobs++] = job;
	}
	qs->done = calloc(qs->njobs ? qs->njobs : 1, 1);
	return qs->done ? 0 : -1;
}

static struct queue_job *
queue_find(struct queue_store *qs, size_t line, size_t *index)
{
	size_t lo = 0, hi = qs->njobs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (qs->jobs[mid].line == line) {
			*index = mid;
			return &qs->jobs[mid];
		}
		if (qs->jobs[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One results line "ID LINE ..." of this queue marks its job done. */
static void
queue_mark(struct queue_store *qs, const char *s, size_t n)
{
	size_t idn = strlen(qs->id), line = 0, i, index;

	if (n <= idn + 1 || memcmp(s, qs->id, idn) != 0 || s[idn] != ' ')
		return;
	for (i = idn + 1; i < n && s[i] >= '0' && s[i] <= '9' && line < SIZE_MAX / 10; i++)
		line = line * 10 + (size_t)(s[i] - '0');
	if (i < n && s[i] == ' ' && queue_find(qs, line, &index) != NULL)
		qs->done[index] = 1;
}

/* Read the results; a last line cut by a crash is not a result: drop it, so the next
 * append starts on a line of its own. */
static int
queue_read_results(struct queue_store *qs, char *err, size_t errlen)
{
	size_t len, pos = 0, n;
	const char *s;
	char *buf;

	if (queue_slurp(qs->dirfd, QUEUE_RESULTS_FILE, &buf, &len, err, errlen) < 0)
		return -1;
	if (buf == NULL)
		return 0;
	size_t whole = len;
	while (whole > 0 && buf[whole - 1] != '\n')
		whole--;
	if (whole < len && ftruncate(qs->resfd, (off_t)whole) < 0) {
		snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_RESULTS_FILE, strerror(errno));
		free(buf);
		return -1;
	}
	while (queue_next_line(buf, whole, &pos, &s, &n))
		if (qs->file != NULL)
			queue_mark(qs, s, n);
	free(buf);
	return 0;
}

/* Take file (allocated) as the stored queue. */
static int
queue_load_buf(struct queue_store *qs, char *file, size_t len, char *err, size_t errlen)
{
	size_t start;

	queue_unload(qs);
	qs->file = file;
	qs->file_len = len;
	if (queue_header(qs, &start) < 0) {
		snprintf(err, errlen, "%s/%s: not a stored vmmanage queue (no \"%s\" header)",
		    qs->dir, QUEUE_FILE, QUEUE_MAGIC);
		queue_unload(qs);
		return -1;
	}
	if (queue_index(qs, start) < 0) {
		snprintf(err, errlen, "out of memory");
		queue_unload(qs);
		return -1;
	}
	return queue_read_results(qs, err, errlen);
}

static int
queue_open_dir(struct queue_store *qs, char *err, size_t errlen)
{
	if (mkdir(qs->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", qs->dir, strerror(errno));
		return -1;
	}
	qs->dirfd = open(qs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (qs->dirfd < 0) {
		snprintf(err, errlen, "state_dir %s: %s", qs->dir, strerror(errno));
		return -1;
	}
	qs->resfd = openat(qs->dirfd, QUEUE_RESULTS_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (qs->resfd < 0) {
		snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_RESULTS_FILE, strerror(errno));
		return -1;
	}
	return 0;
}

struct queue_store *
queue_store_open(const char *dir, queue_bad_fn bad, void *ctx, char *err, size_t errlen)
{
	struct queue_store *qs = calloc(1, sizeof(*qs));
	char *file;
	size_t len;

	if (qs == NULL || (qs->dir = strdup(dir)) == NULL) {
		free(qs);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	qs->dirfd = qs->resfd = -1;
	qs->bad = bad;
	qs->ctx = ctx;
	if (queue_open_dir(qs, err, errlen) < 0 ||
	    queue_slurp(qs->dirfd, QUEUE_FILE, &file, &len, err, errlen) < 0 ||
	    (file != NULL ? queue_load_buf(qs, file, len, err, errlen) :
	    queue_read_results(qs, err, errlen)) < 0) {
		queue_store_close(qs);
		return NULL;
	}
	return qs;
}

void
queue_store_close(struct queue_store *qs)
{
	if (qs == NULL)
		return;
	queue_unload(qs);
	if (qs->resfd >= 0)
		close(qs->resfd);
	if (qs->dirfd >= 0)
		close(qs->dirfd);
	free(qs->dir);
	free(qs);
}

int
queue_store_has(const struct queue_store *qs)
{
	return qs->file != NULL;
}

const char *
queue_store_id(const struct queue_store *qs)
{
	return qs->id;
}

/* Write all of buf; -1 with errno. */
static int
queue_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* header + page in one allocation, as it goes to disk */
static char *
queue_compose(const char *id, const char *source, const char *page, size_t len, size_t *total)
{
	char head[600];
	int hn = snprintf(head, sizeof(head), "%s%s %.500s\n", QUEUE_MAGIC, id, source);

	if (hn < 0 || (size_t)hn >= sizeof(head))
		return NULL;
	for (char *p = head + strlen(QUEUE_MAGIC); *p != '\n'; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	char *file = malloc((size_t)hn + len + 1);
	if (file == NULL)
		return NULL;
	memcpy(file, head, (size_t)hn);
	memcpy(file + hn, page, len);
	file[(size_t)hn + len] = '\0';
	*total = (size_t)hn + len;
	return file;
}

/* Write to a temporary name, fsync, rename, fsync the directory: whole or absent. */
static int
queue_write_atomic(struct queue_store *qs, const char *buf, size_t len, char *err,
    size_t errlen)
{
	int fd = openat(qs->dirfd, QUEUE_TMP_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || queue_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_TMP_FILE, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(qs->dirfd, QUEUE_TMP_FILE, 0);
		return -1;
	}
	close(fd);
	if (renameat(qs->dirfd, QUEUE_TMP_FILE, qs->dirfd, QUEUE_FILE) < 0 || fsync(qs->dirfd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_FILE, strerror(errno));
		return -1;
	}
	return 0;
}

int
queue_store_save(struct queue_store *qs, const char *page, size_t len, const char *source,
    char *err, size_t errlen)
{
	struct timespec ts;
	char id[64];
	size_t total;
	char *file;

	if (qs->file != NULL) {
		snprintf(err, errlen, "a queue is stored already (%s)", qs->id);
		return -1;
	}
	/* unique per claim: results of an earlier queue never match this one */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "%lld.%09ld.%ld", (long long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	if ((file = queue_compose(id, source, page, len, &total)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (queue_write_atomic(qs, file, total, err, errlen) < 0) {
		free(file);
		return -1;
	}
	return queue_load_buf(qs, file, total, err, errlen);
}

void
queue_store_remaining(const struct queue_store *qs, const char *grade, size_t grade_len,
    size_t *left, size_t *big)
{
	*left = *big = 0;
	for (size_t i = 0; i < qs->njobs; i++) {
		const struct queue_job *j = &qs->jobs[i];
		if (qs->done[i])
			continue;
		(*left)++;
		if (grade != NULL && j->grade_len == grade_len &&
		    memcmp(j->grade, grade, grade_len) == 0)
			(*big)++;
	}
}

void
queue_escape(const char *s, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == '\n') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : '\\';
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else
			out[o++] = (char)c;
	}
	if (outlen > 0)
		out[o] = '\0';
}

/* Append the job's line and make it durable: from here on the job is done. */
static int
queue_record(struct queue_store *qs, const struct queue_job *job, int ok, const char *text,
    char *err, size_t errlen)
{
	char line[QUEUE_RESULT_MAX * 4 + 128];
	struct stat st;

	int n = snprintf(line, sizeof(line), "%s %zu %s ", qs->id, job->line, ok ? "ok" : "failed");
	if (n < 0 || (size_t)n >= sizeof(line) / 2 || fstat(qs->resfd, &st) < 0)
		goto fail;
	/* leaves room for the newline: escape stops 5 bytes short of the end */
	queue_escape(text, strlen(text), line + n, sizeof(line) - (size_t)n);
	size_t len = strlen(line);
	line[len++] = '\n';
	if (queue_write_all(qs->resfd, line, len) < 0 || fdatasync(qs->resfd) < 0) {
		/* take back a partial line, so the next result starts a line of its own */
		int e = errno;
		if (ftruncate(qs->resfd, st.st_size) < 0)
			(void)0;
		errno = e;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_RESULTS_FILE, strerror(errno));
	return -1;
}

static int
queue_run_one(struct queue_store *qs, size_t i, queue_run_fn run, void *ctx, char *err,
    size_t errlen)
{
	char text[QUEUE_RESULT_MAX];

	text[0] = '\0';
	enum queue_run_status rs = run(ctx, &qs->jobs[i], text, sizeof(text));
	if (rs == QUEUE_RUN_ERROR) {
		snprintf(err, errlen, "job on line %zu: %s", qs->jobs[i].line, text);
		return -1;
	}
	if (queue_record(qs, &qs->jobs[i], rs == QUEUE_RUN_OK, text, err, errlen) < 0)
		return -1;
	qs->done[i] = 1;
	return 0;
}

int
queue_store_process(struct queue_store *qs, queue_run_fn run, void *ctx, double budget_s,
    size_t *ran, char *err, size_t errlen)
{
	double end = vmm_mono_now() + budget_s;

	*ran = 0;
	for (size_t i = 0; i < qs->njobs; i++) {
		if (qs->done[i])
			continue;
		if (budget_s > 0 && vmm_mono_now() >= end)
			return 0;
		if (queue_run_one(qs, i, run, ctx, err, errlen) < 0)
			return -1;
		(*ran)++;
	}
	return 1;
}

int
queue_store_remove(struct queue_store *qs, char *err, size_t errlen)
{
	size_t left, big;

	if (qs->file == NULL)
		return 0;
	queue_store_remaining(qs, NULL, 0, &left, &big);
	if (left > 0) {
		snprintf(err, errlen, "queue %s has %zu jobs left", qs->id, left);
		return -1;
	}
	if (unlinkat(qs->dirfd, QUEUE_FILE, 0) < 0 || fsync(qs->dirfd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", qs->dir, QUEUE_FILE, strerror(errno));
		return -1;
	}
	queue_unload(qs);
	return 0;
}
