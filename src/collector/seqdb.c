/* SPDX-License-Identifier: ISC */
/* The last (boot id, seq) written per agent host, so that a frame resent after a reconnect
 * or a collector restart is written once only.
 *
 * A batch of lines goes: prepare (seq.state names the batch's byte range in OUTPUT and,
 * per host it touches, the seq before and after), write OUTPUT, fdatasync, ack. After a
 * crash, OUTPUT's size tells whether the batch made it: if not, the partial batch is cut
 * off OUTPUT and the hosts go back to their seq before it, so the agent's resend writes
 * those lines exactly once.
 *
 * seq.state is a snapshot followed by a journal:
 *
 *	vmmanage-collector seqdb 2
 *	batch DEV INO START END            the snapshot's batch
 *	HOST BOOT SEQ PREVBOOT PREVSEQ     every host, least recently seen first
 *	@ DEV INO START END N              a journal record: a batch and the N hosts
 *	HOST BOOT SEQ PREVBOOT PREVSEQ     it touched
 *
 * A batch appends one record and syncs it (its cost is the hosts it touches, not all
 * hosts); the file is rewritten whole (write, sync, rename) only when the journal has
 * grown past the snapshot. Only the tail of an append-only file can be torn by a crash:
 * an incomplete last record is dropped (the batch it describes never reached OUTPUT).
 * At most max_hosts hosts are kept: past it the least recently seen is forgotten, so
 * that made-up host names cannot grow the file and slow every batch. Version 1 files
 * (a snapshot alone) are read as they are. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"

#define SEQDB_FILE "seq.state"
#define SEQDB_TMP "seq.state.tmp"
#define SEQDB_MAGIC "vmmanage-collector seqdb 2"
#define SEQDB_MAGIC_V1 "vmmanage-collector seqdb 1"
/* The journal is folded into a new snapshot past this many bytes plus the snapshot's. */
#define SEQDB_JOURNAL_SLACK (1024 * 1024)
/* "HOST BOOT SEQ PREVBOOT PREVSEQ\n" at its longest */
#define SEQDB_LINE_MAX (COLLECTOR_MAX_HOST + 2 * COLLECTOR_MAX_BOOT + 2 * 20 + 8)

struct collector_seqent {
	const char *host;          /* the table's key: a host is held once */
	char boot[COLLECTOR_MAX_BOOT + 1];
	uint64_t seq;
	char prev_boot[COLLECTOR_MAX_BOOT + 1];
	uint64_t prev_seq;
	uint64_t record;           /* the journal record that last set it; 0: the snapshot */
	int dirty;
	struct collector_seqent *older, *newer, *next_dirty;
};

struct collector_seqdb {
	int dirfd, fd;             /* fd: seq.state, appended to */
	char *dir;
	struct collector_htab *h;
	size_t max_hosts;
	struct collector_seqent *oldest, *newest, *dirty;
	size_t ndirty;
	int batch_open, need_snapshot;
	uint64_t dev, ino, start, end;
	uint64_t record;           /* the last record read or appended */
	uint64_t size, snapshot_size;
	char *buf;                 /* a record being appended */
	size_t buflen, bufcap;
};

/* ---- least recently seen first ---- */

static void
seqdb_unlink(struct collector_seqdb *db, struct collector_seqent *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else if (db->oldest == e)
		db->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else if (db->newest == e)
		db->newest = e->older;
	e->older = e->newer = NULL;
}

static void
seqdb_touch(struct collector_seqdb *db, struct collector_seqent *e)
{
	if (db->newest == e)
		return;
	seqdb_unlink(db, e);
	e->older = db->newest;
	if (db->newest)
		db->newest->newer = e;
	else
		db->oldest = e;
	db->newest = e;
}

static struct collector_seqent *
seqdb_get(struct collector_seqdb *db, const char *host, int create)
{
	struct collector_seqent *e = collector_htab_get(db->h, host, 0);

	if (e != NULL || !create)
		return e;
	if ((e = collector_htab_get(db->h, host, 1)) == NULL)
		return NULL;
	e->host = collector_htab_key(e);
	seqdb_touch(db, e);
	return e;
}

static void
seqdb_forget(struct collector_seqdb *db, struct collector_seqent *e)
{
	char host[COLLECTOR_MAX_HOST + 1];

	seqdb_unlink(db, e);
	snprintf(host, sizeof(host), "%s", e->host);
	collector_htab_del(db->h, host);
}

/* Forgets the least recently seen hosts past max_hosts; never one in an open batch. */
static void
seqdb_evict(struct collector_seqdb *db)
{
	while (collector_htab_count(db->h) > db->max_hosts && db->oldest != NULL &&
	    !db->oldest->dirty)
		seqdb_forget(db, db->oldest);
}

/* ---- reading ---- */

/* "HOST BOOT SEQ PREVBOOT PREVSEQ" (without the LF) into the table, as of record. */
static int
seqdb_parse_ent(struct collector_seqdb *db, const char *line, size_t len, uint64_t record)
{
	char l[SEQDB_LINE_MAX + 1], host[COLLECTOR_MAX_HOST + 2], boot[COLLECTOR_MAX_BOOT + 2],
	    pboot[COLLECTOR_MAX_BOOT + 2];
	uint64_t seq, pseq;

	if (len > SEQDB_LINE_MAX)
		return -1;
	memcpy(l, line, len);
	l[len] = '\0';
	if (sscanf(l, "%256s %65s %" SCNu64 " %65s %" SCNu64, host, boot, &seq, pboot, &pseq) != 5 ||
	    !collector_host_valid(host, strlen(host)) || strlen(boot) > COLLECTOR_MAX_BOOT ||
	    strlen(pboot) > COLLECTOR_MAX_BOOT)
		return -1;
	struct collector_seqent *e = seqdb_get(db, host, 1);
	if (e == NULL)
		return -1;
	strcpy(e->boot, boot);
	e->seq = seq;
	/* "-" stands for a host that had no entry before the batch */
	strcpy(e->prev_boot, strcmp(pboot, "-") == 0 ? "" : pboot);
	e->prev_seq = pseq;
	e->record = record;
	seqdb_touch(db, e);
	return 0;
}

/* The next line of buf[*off..len): its length without the LF, or -1 when there is no
 * whole line left. */
static ssize_t
seqdb_line(const char *buf, size_t len, size_t *off, const char **line)
{
	const char *lf = memchr(buf + *off, '\n', len - *off);

	if (lf == NULL)
		return -1;
	*line = buf + *off;
	ssize_t n = lf - *line;
	*off = (size_t)(lf - buf) + 1;
	return n;
}

/* One journal record at *off; 0 and *off past it, or -1 when it is incomplete. */
static int
seqdb_parse_record(struct collector_seqdb *db, const char *buf, size_t len, size_t *off)
{
	const char *line;
	char l[128];
	uint64_t dev, ino, start, end, n;
	size_t at = *off;
	ssize_t ll = seqdb_line(buf, len, &at, &line);

	if (ll < 0 || (size_t)ll >= sizeof(l))
		return -1;
	memcpy(l, line, (size_t)ll);
	l[ll] = '\0';
	if (sscanf(l, "@ %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &dev, &ino,
	    &start, &end, &n) != 5)
		return -1;
	/* the whole record must be there before any of it counts */
	size_t check = at;
	for (uint64_t i = 0; i < n; i++)
		if (seqdb_line(buf, len, &check, &line) < 0)
			return -1;
	db->record++;
	for (uint64_t i = 0; i < n; i++) {
		ll = seqdb_line(buf, len, &at, &line);
		if (seqdb_parse_ent(db, line, (size_t)ll, db->record) < 0)
			return -1;
	}
	db->dev = dev;
	db->ino = ino;
	db->start = start;
	db->end = end;
	*off = at;
	return 0;
}

static int
seqdb_parse(struct collector_seqdb *db, const char *buf, size_t len, char *err, size_t errlen)
{
	const char *line;
	size_t off = 0;
	ssize_t ll;
	int lineno = 1, v1;
	char l[128];

	if ((ll = seqdb_line(buf, len, &off, &line)) < 0)
		goto bad;
	v1 = (size_t)ll == strlen(SEQDB_MAGIC_V1) && memcmp(line, SEQDB_MAGIC_V1, (size_t)ll) == 0;
	if (!v1 && ((size_t)ll != strlen(SEQDB_MAGIC) || memcmp(line, SEQDB_MAGIC, (size_t)ll) != 0))
		goto bad;
	lineno++;
	if ((ll = seqdb_line(buf, len, &off, &line)) < 0 || (size_t)ll >= sizeof(l))
		goto bad;
	memcpy(l, line, (size_t)ll);
	l[ll] = '\0';
	if (sscanf(l, "batch %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &db->dev, &db->ino,
	    &db->start, &db->end) != 4)
		goto bad;
	/* the snapshot's hosts, up to the first record */
	for (;;) {
		size_t at = off;
		if ((ll = seqdb_line(buf, len, &at, &line)) < 0 || line[0] == '@')
			break;
		lineno++;
		if (seqdb_parse_ent(db, line, (size_t)ll, 0) < 0)
			goto bad;
		off = at;
	}
	db->snapshot_size = off;
	while (off < len && seqdb_parse_record(db, buf, len, &off) == 0)
		;
	if (off < len) {
		/* a crash while appending: that batch never reached OUTPUT */
		log_warnx("seqdb: %s/%s: dropped an incomplete last record (%zu bytes)", db->dir,
		    SEQDB_FILE, len - off);
		if (ftruncate(db->fd, (off_t)off) < 0) {
			snprintf(err, errlen, "%s/%s: ftruncate: %s", db->dir, SEQDB_FILE, strerror(errno));
			return -1;
		}
	}
	db->size = off;
	db->need_snapshot = v1;
	return 0;
bad:
	snprintf(err, errlen, "%s/%s:%d: corrupt state file (move it away to start afresh, "
	    "at the risk of duplicate lines)", db->dir, SEQDB_FILE, lineno);
	return -1;
}

static int
seqdb_read(struct collector_seqdb *db, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;

	if (fstat(db->fd, &st) < 0 || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_FILE, strerror(errno));
		return -1;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(db->fd, buf + len, (size_t)st.st_size - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	int rc = seqdb_parse(db, buf, len, err, errlen);
	free(buf);
	return rc;
}

struct collector_seqdb *
collector_seqdb_open(const char *state_dir, size_t max_hosts, char *err, size_t errlen)
{
	struct collector_seqdb *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->h = collector_htab_new(sizeof(struct collector_seqent))) == NULL) {
		free(db);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->fd = -1;
	db->max_hosts = max_hosts;
	db->dir = strdup(state_dir);
	db->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (db->dirfd < 0) {
		snprintf(err, errlen, "state_dir %s: %s", state_dir, strerror(errno));
		collector_seqdb_free(db);
		return NULL;
	}
	db->fd = openat(db->dirfd, SEQDB_FILE, O_RDWR | O_APPEND | O_CLOEXEC);
	if (db->fd < 0 && errno == ENOENT) {
		db->need_snapshot = 1;
		return db;
	}
	if (db->fd < 0 || seqdb_read(db, err, errlen) < 0) {
		if (db->fd < 0)
			snprintf(err, errlen, "%s/%s: %s", state_dir, SEQDB_FILE, strerror(errno));
		collector_seqdb_free(db);
		return NULL;
	}
	return db;
}

/* ---- writing ---- */

static int
seqdb_put(struct collector_seqdb *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
seqdb_put(struct collector_seqdb *db, const char *fmt, ...)
{
	va_list ap;

	if (db->bufcap - db->buflen < SEQDB_LINE_MAX + 1) {
		size_t cap = db->bufcap ? db->bufcap * 2 : 65536;
		char *p = realloc(db->buf, cap);
		if (p == NULL)
			return -1;
		db->buf = p;
		db->bufcap = cap;
	}
	va_start(ap, fmt);
	int n = vsnprintf(db->buf + db->buflen, db->bufcap - db->buflen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= db->bufcap - db->buflen)
		return -1;
	db->buflen += (size_t)n;
	return 0;
}

static int
seqdb_put_ent(struct collector_seqdb *db, const struct collector_seqent *e)
{
	return seqdb_put(db, "%s %s %" PRIu64 " %s %" PRIu64 "\n", e->host, e->boot, e->seq,
	    e->prev_boot[0] ? e->prev_boot : "-", e->prev_seq);
}

static int
seqdb_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new seq.state: the current batch and every host, written, synced, renamed. */
static int
seqdb_snapshot(struct collector_seqdb *db, char *err, size_t errlen)
{
	int fd;

	db->buflen = 0;
	if (seqdb_put(db, SEQDB_MAGIC "\nbatch %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    db->dev, db->ino, db->start, db->end) < 0)
		goto nomem;
	for (struct collector_seqent *e = db->oldest; e != NULL; e = e->newer)
		if (seqdb_put_ent(db, e) < 0)
			goto nomem;
	fd = openat(db->dirfd, SEQDB_TMP, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || seqdb_write_all(fd, db->buf, db->buflen) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_TMP, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(db->dirfd, SEQDB_TMP, 0);
		}
		return -1;
	}
	if (renameat(db->dirfd, SEQDB_TMP, db->dirfd, SEQDB_FILE) < 0 || fsync(db->dirfd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_FILE, strerror(errno));
		close(fd);
		return -1;
	}
	if (db->fd >= 0)
		close(db->fd);
	db->fd = fd;
	db->size = db->snapshot_size = db->buflen;
	db->need_snapshot = 0;
	/* the hosts are all in the snapshot now, with their prev values */
	for (struct collector_seqent *e = db->oldest; e != NULL; e = e->newer)
		e->record = 0;
	db->record = 0;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* One record for the batch: the hosts it touched. */
static int
seqdb_append(struct collector_seqdb *db, char *err, size_t errlen)
{
	db->buflen = 0;
	if (seqdb_put(db, "@ %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %zu\n", db->dev, db->ino,
	    db->start, db->end, db->ndirty) < 0)
		goto nomem;
	for (struct collector_seqent *e = db->dirty; e != NULL; e = e->next_dirty)
		if (seqdb_put_ent(db, e) < 0)
			goto nomem;
	if (seqdb_write_all(db->fd, db->buf, db->buflen) < 0 || fdatasync(db->fd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_FILE, strerror(errno));
		/* a torn record must not stay in the middle of the journal */
		if (ftruncate(db->fd, (off_t)db->size) < 0)
			db->need_snapshot = 1;
		return -1;
	}
	db->size += db->buflen;
	db->record++;
	for (struct collector_seqent *e = db->dirty; e != NULL; e = e->next_dirty)
		e->record = db->record;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- recovery and the batch cycle ---- */

static int
collector_seqdb_settle(const char *key, void *val, void *arg)
{
	struct collector_seqent *e = val;

	(void)key;
	(void)arg;
	strcpy(e->prev_boot, e->boot);
	e->prev_seq = e->seq;
	e->dirty = 0;
	e->next_dirty = NULL;
	return 0;
}

int
collector_seqdb_recover(struct collector_seqdb *db, struct collector_output *o, char *err,
    size_t errlen)
{
	uint64_t dev, ino, size;
	int reverted = 0;

	if (collector_output_position(o, &dev, &ino, &size) < 0) {
		snprintf(err, errlen, "output: fstat: %s", strerror(errno));
		return -1;
	}
	if (dev == db->dev && ino == db->ino && size < db->end) {
		/* the last batch did not reach OUTPUT whole: none of it was acknowledged */
		if (size > db->start) {
			if (ftruncate(collector_output_fd(o), (off_t)db->start) < 0) {
				snprintf(err, errlen, "output: ftruncate: %s", strerror(errno));
				return -1;
			}
			log_warnx("seqdb: removed a partly written batch (%" PRIu64 " bytes) from the output",
			    size - db->start);
		}
		/* its hosts go back to where they were before it */
		struct collector_seqent *e = db->oldest, *next;
		for (; e != NULL; e = next) {
			next = e->newer;
			if (e->record != db->record)
				continue;
			if (e->prev_boot[0] == '\0') {
				seqdb_forget(db, e);
				continue;
			}
			strcpy(e->boot, e->prev_boot);
			e->seq = e->prev_seq;
		}
		reverted = 1;
	}
	collector_htab_each(db->h, collector_seqdb_settle, NULL);
	size_t before = collector_htab_count(db->h);
	seqdb_evict(db);
	/* written down at once, so that later lines in OUTPUT cannot make the old batch
	 * look complete at the next start */
	db->dev = dev;
	db->ino = ino;
	db->start = db->end = reverted ? db->start : size;
	if (reverted || db->need_snapshot || collector_htab_count(db->h) < before)
		return seqdb_snapshot(db, err, errlen);
	return 0;
}

uint64_t
collector_seqdb_last(struct collector_seqdb *db, const char *host, const char *boot)
{
	struct collector_seqent *e = seqdb_get(db, host, 0);

	if (e == NULL)
		return 0;
	seqdb_touch(db, e);
	return strcmp(e->boot, boot) == 0 ? e->seq : 0;
}

int
collector_seqdb_accept(struct collector_seqdb *db, const char *host, const char *boot, uint64_t seq,
    uint64_t *gap)
{
	struct collector_seqent *e = seqdb_get(db, host, 1);

	*gap = 0;
	if (e == NULL)
		return -1;
	seqdb_touch(db, e);
	int same = strcmp(e->boot, boot) == 0;
	if (same && seq <= e->seq)
		return 0;
	if (!e->dirty) {
		e->dirty = 1;
		e->next_dirty = db->dirty;
		db->dirty = e;
		db->ndirty++;
	}
	/* a new boot id starts a new sequence at 1 */
	*gap = seq - (same ? e->seq : 0) - 1;
	snprintf(e->boot, sizeof(e->boot), "%s", boot);
	e->seq = seq;
	seqdb_evict(db);
	return 1;
}

int
collector_seqdb_dirty(const struct collector_seqdb *db)
{
	return db->ndirty > 0;
}

int
collector_seqdb_prepare(struct collector_seqdb *db, uint64_t dev, uint64_t ino, uint64_t start,
    uint64_t end, char *err, size_t errlen)
{
	if (!db->batch_open || db->dev != dev || db->ino != ino) {
		db->start = start;
		db->batch_open = 1;
	}
	db->dev = dev;
	db->ino = ino;
	db->end = end;
	/* the state must be on disk before the batch */
	if (db->need_snapshot || db->fd < 0 || db->size > db->snapshot_size + SEQDB_JOURNAL_SLACK) {
		if (seqdb_snapshot(db, err, errlen) == 0)
			return 0;
		if (db->need_snapshot || db->fd < 0)
			return -1;
		/* say why, and append as usual; the snapshot is tried again next batch */
		log_debug("seqdb: %s", err);
	}
	return seqdb_append(db, err, errlen);
}

void
collector_seqdb_commit(struct collector_seqdb *db)
{
	struct collector_seqent *e = db->dirty, *next;

	for (; e != NULL; e = next) {
		next = e->next_dirty;
		collector_seqdb_settle(NULL, e, NULL);
	}
	db->dirty = NULL;
	db->ndirty = 0;
	db->batch_open = 0;
	seqdb_evict(db);
}

void
collector_seqdb_free(struct collector_seqdb *db)
{
	if (db == NULL)
		return;
	if (db->dirfd >= 0)
		close(db->dirfd);
	if (db->fd >= 0)
		close(db->fd);
	collector_htab_free(db->h);
	free(db->dir);
	free(db->buf);
	free(db);
}
