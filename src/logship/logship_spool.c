/* SPDX-License-Identifier: ISC */
/* logship's spool on disk: see logship_spool.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/secret.h"
#include "logship/logship_spool.h"

#define LSPOOL_PREFIX "spool."
#define LSPOOL_ID "spool.id"
#define LSPOOL_HDR_MAX 64

struct lspool_seg {
	uint64_t first, last;      /* seqs; last < first when empty */
	uint64_t bytes;
	int fd;
};

struct lspool {
	char *dir;
	int dirfd;
	int sync;
	uint64_t max_bytes, seg_max, bytes, next_seq, acked, dropped;
	char boot[17];
	struct lspool_seg *segs;
	size_t nsegs;
};

static void
lspool_seg_name(char *out, size_t cap, uint64_t first)
{
	snprintf(out, cap, LSPOOL_PREFIX "%016" PRIx64, first);
}

/* Parses "SEQ EPOCH LEN\n" at p; the header length, 0 if incomplete, -1 if garbage. */
static int
lspool_parse_hdr(const char *p, size_t n, struct lspool_rec *r)
{
	const char *lf = memchr(p, '\n', n < LSPOOL_HDR_MAX ? n : LSPOOL_HDR_MAX);
	char tmp[LSPOOL_HDR_MAX + 1];
	unsigned long long len;
	long long epoch;
	unsigned long long seq;
	int used = 0;

	if (lf == NULL)
		return n < LSPOOL_HDR_MAX ? 0 : -1;
	memcpy(tmp, p, (size_t)(lf - p));
	tmp[lf - p] = '\0';
	if (sscanf(tmp, "%llu %lld %llu%n", &seq, &epoch, &len, &used) != 3 || used != lf - p ||
	    seq == 0 || len > 16 * 1024 * 1024)
		return -1;
	r->seq = seq;
	r->epoch = epoch;
	r->len = (size_t)len;
	return (int)(lf - p) + 1;
}

/* Reads a whole segment, keeps its good records and cuts a torn tail (a crash in the
 * middle of an append). */
static int
lspool_scan_seg(struct lspool *sp, struct lspool_seg *s, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t off = 0;

	if (fstat(s->fd, &st) < 0 || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "spool: %s", strerror(errno));
		return -1;
	}
	ssize_t n = pread(s->fd, buf, (size_t)st.st_size, 0);
	size_t have = n > 0 ? (size_t)n : 0;
	s->last = s->first - 1;
	while (off < have) {
		struct lspool_rec r;
		int h = lspool_parse_hdr(buf + off, have - off, &r);
		if (h <= 0 || off + (size_t)h + r.len + 1 > have || buf[off + (size_t)h + r.len] != '\n' ||
		    r.seq != s->last + 1)
			break;
		s->last = r.seq;
		off += (size_t)h + r.len + 1;
	}
	free(buf);
	if (off < have && ftruncate(s->fd, (off_t)off) == 0)
		fprintf(stderr, "logship: spool: cut a torn record off %s/" LSPOOL_PREFIX "%016" PRIx64 "\n",
		    sp->dir, s->first);
	s->bytes = off;
	return 0;
}

static int
lspool_seg_cmp(const void *a, const void *b)
{
	const struct lspool_seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
lspool_load(struct lspool *sp, char *err, size_t errlen)
{
	DIR *d = fdopendir(dup(sp->dirfd));
	struct dirent *de;

	if (d == NULL) {
		snprintf(err, errlen, "spool %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t first;
		char *end;
		if (strncmp(de->d_name, LSPOOL_PREFIX, strlen(LSPOOL_PREFIX)) != 0 || strlen(de->d_name) != 22)
			continue;
		first = strtoull(de->d_name + 6, &end, 16);
		if (*end != '\0' || first == 0)
			continue;
		struct lspool_seg *n = realloc(sp->segs, (sp->nsegs + 1) * sizeof(*n));
		if (n == NULL)
			break;
		sp->segs = n;
		n[sp->nsegs] = (struct lspool_seg){ .first = first, .fd = openat(sp->dirfd, de->d_name,
		    O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW) };
		if (n[sp->nsegs].fd >= 0)
			sp->nsegs++;
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), lspool_seg_cmp);
	for (size_t i = 0; i < sp->nsegs; i++) {
		if (lspool_scan_seg(sp, &sp->segs[i], err, errlen) < 0)
			return -1;
		sp->bytes += sp->segs[i].bytes;
	}
	return 0;
}

/* The boot id names this spool's sequence: kept while the spool holds records, new when
 * it starts empty (seq then starts again at 1). */
static int
lspool_boot_id(struct lspool *sp, char *err, size_t errlen)
{
	char buf[32] = "";
	int fd = openat(sp->dirfd, LSPOOL_ID, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (sp->nsegs > 0 && strlen(buf) == 16) {
		memcpy(sp->boot, buf, 17);
		sp->next_seq = sp->segs[sp->nsegs - 1].last + 1;
		sp->acked = sp->segs[0].first - 1;
		return 0;
	}
	uint8_t r[8];
	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 8; i++)
		snprintf(sp->boot + 2 * i, 3, "%02x", r[i]);
	/* segments without a known boot (id file lost) are replayed under the new one */
	sp->next_seq = sp->nsegs > 0 ? sp->segs[sp->nsegs - 1].last + 1 : 1;
	sp->acked = sp->nsegs > 0 ? sp->segs[0].first - 1 : 0;
	if ((fd = openat(sp->dirfd, LSPOOL_ID ".tmp",
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    dprintf(fd, "%s\n", sp->boot) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
	    renameat(sp->dirfd, LSPOOL_ID ".tmp", sp->dirfd, LSPOOL_ID) < 0) {
		snprintf(err, errlen, "spool %s/" LSPOOL_ID ": %s", sp->dir, strerror(errno));
		return -1;
	}
	fsync(sp->dirfd);
	return 0;
}

/* The spool is trusted only in a directory no one else can write (common/secret.h):
 * what is in it is replayed to the collector in this host's name. Created 0700. */
static int
lspool_open_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		return -1;
	}
	if (secret_check_dir(fd, dir, "spool", err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct lspool *
lspool_open(const char *dir, uint64_t max_bytes, int sync, char *err, size_t errlen)
{
	struct lspool *sp = calloc(1, sizeof(*sp));

	if (sp == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sp->dir = strdup(dir);
	sp->sync = sync;
	sp->max_bytes = max_bytes ? max_bytes : 16 * 1024 * 1024;
	/* at least 8 segments, so dropping one loses a small part of the spool */
	sp->seg_max = sp->max_bytes / 8;
	if (sp->seg_max > 1024 * 1024)
		sp->seg_max = 1024 * 1024;
	if (sp->seg_max < 4096)
		sp->seg_max = 4096;
	if ((sp->dirfd = lspool_open_dir(dir, err, errlen)) < 0) {
		free(sp->dir);
		free(sp);
		return NULL;
	}
	if (lspool_load(sp, err, errlen) < 0 || lspool_boot_id(sp, err, errlen) < 0) {
		lspool_close(sp);
		return NULL;
	}
	return sp;
}

static void
lspool_drop_first(struct lspool *sp)
{
	struct lspool_seg *s = &sp->segs[0];
	char name[32];

	lspool_seg_name(name, sizeof(name), s->first);
	unlinkat(sp->dirfd, name, 0);
	close(s->fd);
	sp->bytes -= s->bytes;
	memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
	sp->nsegs--;
}

static struct lspool_seg *
lspool_new_seg(struct lspool *sp)
{
	char name[32];
	struct lspool_seg *n = realloc(sp->segs, (sp->nsegs + 1) * sizeof(*n));

	if (n == NULL)
		return NULL;
	sp->segs = n;
	lspool_seg_name(name, sizeof(name), sp->next_seq);
	int fd = openat(sp->dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return NULL;
	if (sp->sync)
		fsync(sp->dirfd);
	n[sp->nsegs] = (struct lspool_seg){ .first = sp->next_seq, .last = sp->next_seq - 1, .fd = fd };
	return &sp->segs[sp->nsegs++];
}

static int
lspool_write(struct lspool *sp, time_t t, const char *msg, size_t len)
{
	struct lspool_seg *s = sp->nsegs ? &sp->segs[sp->nsegs - 1] : NULL;
	char hdr[LSPOOL_HDR_MAX];
	int hl = snprintf(hdr, sizeof(hdr), "%" PRIu64 " %lld %zu\n", sp->next_seq, (long long)t, len);
	struct iovec iov[3] = { { hdr, (size_t)hl }, { (void *)(uintptr_t)msg, len }, { (void *)"\n", 1 } };
	size_t total = (size_t)hl + len + 1;

	/* a new segment when this one is full; an empty one takes any record */
	if ((s == NULL || (s->bytes > 0 && s->bytes + total > sp->seg_max)) && (s = lspool_new_seg(sp)) == NULL)
		return -1;
	ssize_t n = writev(s->fd, iov, 3);
	if (n != (ssize_t)total) {
		/* leave no half record behind */
		if (n > 0 && ftruncate(s->fd, (off_t)s->bytes) < 0)
			return -1;
		if (n >= 0)
			errno = ENOSPC;
		return -1;
	}
	if (sp->sync && fdatasync(s->fd) < 0)
		return -1;
	s->bytes += total;
	s->last = sp->next_seq++;
	sp->bytes += total;
	return 0;
}

int
lspool_append(struct lspool *sp, time_t t, const char *msg, size_t len)
{
	uint64_t need = len + LSPOOL_HDR_MAX + 1, lost = 0, from = 0, to = 0;

	while (sp->nsegs > 1 && sp->bytes + need > sp->max_bytes) {
		struct lspool_seg *s = &sp->segs[0];
		if (s->last > sp->acked) {
			uint64_t a = s->first > sp->acked ? s->first : sp->acked + 1;
			lost += s->last - a + 1;
			if (from == 0)
				from = a;
			to = s->last;
		}
		if (sp->acked < s->last)
			sp->acked = s->last;
		lspool_drop_first(sp);
	}
	if (lost > 0) {
		char note[256];
		sp->dropped += lost;
		int n = snprintf(note, sizeof(note), "logship: spool full (spool_max_bytes %" PRIu64
		    "): dropped the %" PRIu64 " oldest messages, seq %" PRIu64 "-%" PRIu64 ", %" PRIu64
		    " dropped since start", sp->max_bytes, lost, from, to, sp->dropped);
		if (lspool_write(sp, t, note, (size_t)n) < 0)
			return -1;
	}
	return lspool_write(sp, t, msg, len);
}

void
lspool_ack(struct lspool *sp, uint64_t seq)
{
	if (seq >= sp->next_seq)
		seq = sp->next_seq - 1;
	if (seq > sp->acked)
		sp->acked = seq;
	/* the newest segment stays while it is being written to */
	while (sp->nsegs > 1 && sp->segs[0].last <= sp->acked)
		lspool_drop_first(sp);
	if (sp->nsegs == 1 && sp->segs[0].last <= sp->acked && sp->segs[0].bytes >= sp->seg_max)
		lspool_drop_first(sp);
}

static int
lspool_find(struct lspool *sp, struct lspool_cursor *cur)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct lspool_seg *s = &sp->segs[i];
		if (s->last >= cur->seq && s->last >= s->first) {
			if (cur->seq < s->first)
				cur->seq = s->first;
			cur->seg = s->first;
			cur->off = 0;
			return (int)i;
		}
	}
	return -1;
}

int
lspool_read(struct lspool *sp, struct lspool_cursor *cur, struct lspool_rec *rec, char *buf,
    size_t cap)
{
	char hdr[LSPOOL_HDR_MAX];
	int idx = -1;

	if (cur->seq <= sp->acked)
		cur->seq = sp->acked + 1;
	for (size_t i = 0; cur->seg != 0 && i < sp->nsegs; i++)
		if (sp->segs[i].first == cur->seg && cur->seq <= sp->segs[i].last)
			idx = (int)i;
	if (idx < 0 && (idx = lspool_find(sp, cur)) < 0)
		return 0;
	struct lspool_seg *s = &sp->segs[idx];
	for (;;) {
		ssize_t n = pread(s->fd, hdr, sizeof(hdr), (off_t)cur->off);
		int h = n > 0 ? lspool_parse_hdr(hdr, (size_t)n, rec) : -1;
		if (h <= 0 || rec->len + 1 > cap)
			return -1;
		if (rec->seq < cur->seq) {
			cur->off += (uint64_t)h + rec->len + 1;
			continue;
		}
		if (pread(s->fd, buf, rec->len, (off_t)(cur->off + (uint64_t)h)) != (ssize_t)rec->len)
			return -1;
		buf[rec->len] = '\0';
		cur->off += (uint64_t)h + rec->len + 1;
		cur->seq = rec->seq + 1;
		return 1;
	}
}

uint64_t lspool_next_seq(const struct lspool *sp) { return sp->next_seq; }
uint64_t lspool_acked(const struct lspool *sp) { return sp->acked; }
uint64_t lspool_pending(const struct lspool *sp) { return sp->next_seq - 1 - sp->acked; }
uint64_t lspool_bytes(const struct lspool *sp) { return sp->bytes; }
uint64_t lspool_dropped(const struct lspool *sp) { return sp->dropped; }
const char *lspool_boot(const struct lspool *sp) { return sp->boot; }

void
lspool_close(struct lspool *sp)
{
	if (sp == NULL)
		return;
	for (size_t i = 0; i < sp->nsegs; i++)
		close(sp->segs[i].fd);
	free(sp->segs);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->dir);
	free(sp);
}
