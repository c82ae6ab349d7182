/* The last (boot id, seq) written per agent host, so that a frame resent after a reconnect
 * or a collector restart is written once only.
 *
 * A batch of lines goes: prepare (the state file names the batch's byte range in OUTPUT
 * and, per host it touches, the seq before and after), write OUTPUT, fdatasync, ack. After
 * a crash, OUTPUT's size tells whether the batch made it: if not, the partial batch is
 * cut off OUTPUT and the hosts go back to their seq before it, so the agent's resend
 * writes those lines exactly once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"

#define SEQDB_FILE "seq.state"
#define SEQDB_TMP "seq.state.tmp"
#define SEQDB_MAGIC "vmmanage-collector seqdb 1"

struct collector_seqent {
	char boot[COLLECTOR_MAX_BOOT + 1];
	uint64_t seq;
	char prev_boot[COLLECTOR_MAX_BOOT + 1];
	uint64_t prev_seq;
	int dirty;
};

struct collector_seqdb {
	int dirfd;
	char *dir;
	struct collector_htab *h;
	size_t ndirty;
	int batch_open;
	uint64_t dev, ino, start, end;
};

static int
collector_seqdb_parse(struct collector_seqdb *db, FILE *f, char *err, size_t errlen)
{
	char line[512], host[COLLECTOR_MAX_HOST + 2], boot[COLLECTOR_MAX_BOOT + 2], pboot[COLLECTOR_MAX_BOOT + 2];
	uint64_t seq, pseq;
	int lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, SEQDB_MAGIC, strlen(SEQDB_MAGIC)) != 0)
				goto bad;
			continue;
		}
		if (lineno == 2) {
			if (sscanf(line, "batch %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &db->dev,
			    &db->ino, &db->start, &db->end) != 4)
				goto bad;
			continue;
		}
		if (sscanf(line, "%256s %65s %" SCNu64 " %65s %" SCNu64, host, boot, &seq, pboot, &pseq) != 5 ||
		    strlen(boot) > COLLECTOR_MAX_BOOT || strlen(pboot) > COLLECTOR_MAX_BOOT)
			goto bad;
		struct collector_seqent *e = collector_htab_get(db->h, host, 1);
		if (e == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		strcpy(e->boot, boot);
		e->seq = seq;
		/* "-" stands for a host that had no entry before the batch */
		strcpy(e->prev_boot, strcmp(pboot, "-") == 0 ? "" : pboot);
		e->prev_seq = pseq;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s/%s:%d: corrupt state file (move it away to start afresh, "
	    "at the risk of duplicate lines)", db->dir, SEQDB_FILE, lineno);
	return -1;
}

struct collector_seqdb *
collector_seqdb_open(const char *state_dir, char *err, size_t errlen)
{
	struct collector_seqdb *db = calloc(1, sizeof(*db));
	FILE *f;
	int fd;

	if (db == NULL || (db->h = collector_htab_new(sizeof(struct collector_seqent))) == NULL) {
		free(db);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->dirfd = -1;
	db->dir = strdup(state_dir);
	db->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (db->dirfd < 0) {
		snprintf(err, errlen, "state_dir %s: %s", state_dir, strerror(errno));
		collector_seqdb_free(db);
		return NULL;
	}
	fd = openat(db->dirfd, SEQDB_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return db;
	if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s/%s: %s", state_dir, SEQDB_FILE, strerror(errno));
		if (fd >= 0)
			close(fd);
		collector_seqdb_free(db);
		return NULL;
	}
	int rc = collector_seqdb_parse(db, f, err, errlen);
	fclose(f);
	if (rc < 0) {
		collector_seqdb_free(db);
		return NULL;
	}
	return db;
}

static int
collector_seqdb_revert(const char *key, void *val, void *arg)
{
	struct collector_seqent *e = val;

	(void)key;
	(void)arg;
	if (e->prev_boot[0] == '\0')
		return 1;
	strcpy(e->boot, e->prev_boot);
	e->seq = e->prev_seq;
	return 0;
}

static int
collector_seqdb_settle(const char *key, void *val, void *arg)
{
	struct collector_seqent *e = val;

	(void)key;
	(void)arg;
	strcpy(e->prev_boot, e->boot);
	e->prev_seq = e->seq;
	e->dirty = 0;
	return 0;
}

int
collector_seqdb_recover(struct collector_seqdb *db, struct collector_output *o, char *err,
    size_t errlen)
{
	uint64_t dev, ino, size;

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
			collector_warnx("seqdb: removed a partly written batch (%" PRIu64 " bytes) from the output",
			    size - db->start);
		}
		collector_htab_each(db->h, collector_seqdb_revert, NULL);
	}
	collector_htab_each(db->h, collector_seqdb_settle, NULL);
	return 0;
}

uint64_t
collector_seqdb_last(struct collector_seqdb *db, const char *host, const char *boot)
{
	const struct collector_seqent *e = collector_htab_get(db->h, host, 0);

	return e != NULL && strcmp(e->boot, boot) == 0 ? e->seq : 0;
}

int
collector_seqdb_accept(struct collector_seqdb *db, const char *host, const char *boot, uint64_t seq,
    uint64_t *gap)
{
	struct collector_seqent *e = collector_htab_get(db->h, host, 1);

	*gap = 0;
	if (e == NULL)
		return -1;
	int same = strcmp(e->boot, boot) == 0;
	if (same && seq <= e->seq)
		return 0;
	if (!e->dirty) {
		e->dirty = 1;
		db->ndirty++;
	}
	/* a new boot id starts a new sequence at 1 */
	*gap = seq - (same ? e->seq : 0) - 1;
	snprintf(e->boot, sizeof(e->boot), "%s", boot);
	e->seq = seq;
	return 1;
}

int
collector_seqdb_dirty(const struct collector_seqdb *db)
{
	return db->ndirty > 0;
}

struct collector_seqdb_writer {
	FILE *f;
};

static int
collector_seqdb_write_ent(const char *key, void *val, void *arg)
{
	const struct collector_seqent *e = val;
	struct collector_seqdb_writer *w = arg;

	fprintf(w->f, "%s %s %" PRIu64 " %s %" PRIu64 "\n", key, e->boot, e->seq,
	    e->prev_boot[0] ? e->prev_boot : "-", e->prev_seq);
	return 0;
}

int
collector_seqdb_prepare(struct collector_seqdb *db, uint64_t dev, uint64_t ino, uint64_t start,
    uint64_t end, char *err, size_t errlen)
{
	struct collector_seqdb_writer w;
	int fd;

	if (!db->batch_open || db->dev != dev || db->ino != ino) {
		db->start = start;
		db->batch_open = 1;
	}
	db->dev = dev;
	db->ino = ino;
	db->end = end;
	fd = openat(db->dirfd, SEQDB_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (w.f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_TMP, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(w.f, SEQDB_MAGIC "\nbatch %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    db->dev, db->ino, db->start, db->end);
	collector_htab_each(db->h, collector_seqdb_write_ent, &w);
	/* the new state must be on disk before the batch, and whole: write, sync, rename */
	if (fflush(w.f) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_TMP, strerror(errno));
		fclose(w.f);
		return -1;
	}
	fclose(w.f);
	if (renameat(db->dirfd, SEQDB_TMP, db->dirfd, SEQDB_FILE) < 0 || fsync(db->dirfd) < 0) {
		snprintf(err, errlen, "%s/%s: %s", db->dir, SEQDB_FILE, strerror(errno));
		return -1;
	}
	return 0;
}

void
collector_seqdb_commit(struct collector_seqdb *db)
{
	collector_htab_each(db->h, collector_seqdb_settle, NULL);
	db->ndirty = 0;
	db->batch_open = 0;
}

void
collector_seqdb_free(struct collector_seqdb *db)
{
	if (db == NULL)
		return;
	if (db->dirfd >= 0)
		close(db->dirfd);
	collector_htab_free(db->h);
	free(db->dir);
	free(db);
}
