/* SPDX-License-Identifier: ISC */
/* Forwarding to rsyslog over RELP (librelp). OUTPUT itself is the queue: a thread reads
 * it from the position rsyslog last acknowledged (relp.pos in state_dir) up to where the
 * loop says its lines are there for good, and sends them in batches, one RELP session
 * per batch. librelp tells its caller nothing about single acknowledgements, but it
 * reports every failure (a refused or broken connection, a timeout, an error response)
 * through its error callbacks, and a session closes only once rsyslog has answered the
 * close command, which it does after every command before it. So a batch whose session
 * closed without an error is acknowledged whole, and only then does relp.pos move on.
 * A batch that fails is sent again from relp.pos: at least once, never lost. Each
 * message carries the OUTPUT file and the offset of its line, which tell a reader that
 * two copies are one line.
 *
 * The loop thread is never held up: it only publishes OUTPUT's end (output.c's watch)
 * under a mutex. After a SIGHUP the old file is final (its lines were written before
 * the reopen); the thread finishes it, then takes the new one. A file rotated away while
 * the collector was stopped is looked for in OUTPUT's directory among the names that
 * begin with OUTPUT's (logrotate's OUTPUT.1, or OUTPUT-20261207 with dateext). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librelp.h>

#include "collector.h"
#include "common/buf.h"
#include "common/clock.h"

#define FWD_POS_FILE "relp.pos"
#define FWD_POS_TMP "relp.pos.tmp"
/* A batch: at most this many lines and bytes of OUTPUT, all in flight at once (the RELP
 * window is one more, so that librelp never waits on a full window). */
#define FWD_BATCH_LINES 1024
#define FWD_BATCH_BYTES ((size_t)1 << 20)
/* A longer line is cut (rsyslog's own limit, maxMessageSize, is 8 KiB by default). */
#define FWD_MAX_MSG 65536
/* The syslog header: local0.info, RFC 5424, and where the line is in OUTPUT. */
#define FWD_PRI 134
#define FWD_SDID "vmmanage@32473"
/* How long stopping waits for a session in progress. */
#define FWD_STOP_WAIT 2

struct collector_forward {
	char *addr, host[256], port[8];
	char *path, *pos_path, *pos_tmp;
	double timeout, retry_max;
	char hostname[256];

	/* shared with the loop thread, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t w_dev, w_ino, w_end;
	int stop;
	int stop_now;           /* librelp's shutdown flag, read by it without the lock */

	/* the thread's own */
	pthread_t thr;
	int started, done;
	relpEngine_t *engine;
	int fd;
	struct collector_fwdpos pos;
	struct vmm_buf in, msg;
	int session_failed;
	char reason[256];
	int down;               /* an episode of failures */
	double down_since;
	uint64_t attempts, lines_after;
	int lost_warned;
};

/* ---- the loop thread's side ---- */

static void
collector_forward_written(void *arg, uint64_t dev, uint64_t ino, uint64_t end)
{
	struct collector_forward *f = arg;

	pthread_mutex_lock(&f->mu);
	f->w_dev = dev;
	f->w_ino = ino;
	f->w_end = end;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* ---- librelp's callbacks (the forwarding thread) ---- */

static struct collector_forward *fwd_self;

static void
fwd_failed(struct collector_forward *f, const char *what)
{
	if (!f->session_failed)
		snprintf(f->reason, sizeof(f->reason), "%s", what);
	f->session_failed = 1;
}

static void
fwd_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	char what[256];

	(void)objinfo;
	snprintf(what, sizeof(what), "%s (librelp error %d)", errmsg, (int)code);
	fwd_failed(usr, what);
}

static void
fwd_on_generic_err(char *objinfo, char *errmsg, relpRetVal code)
{
	(void)objinfo;
	fwd_on_err(fwd_self, NULL, errmsg, code);
}

/* ---- the position ---- */

static int
fwd_pos_load(struct collector_forward *f)
{
	char buf[256];
	int fd = open(f->pos_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("%s: cannot read it; forwarding starts at OUTPUT's first line",
			    f->pos_path);
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || collector_fwdpos_parse(buf, (size_t)n, &f->pos) < 0) {
		log_warnx("%s: not a position file; forwarding starts at OUTPUT's first line",
		    f->pos_path);
		return -1;
	}
	return 0;
}

/* Written whole, synced and renamed into place: a crash leaves the old one or the new. */
static void
fwd_pos_save(struct collector_forward *f)
{
	char buf[256];
	int n = collector_fwdpos_format(&f->pos, buf, sizeof(buf));
	int fd = open(f->pos_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);

	if (fd < 0 || n < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0 ||
	    rename(f->pos_tmp, f->pos_path) < 0) {
		/* at worst lines are sent again after a restart */
		log_warn("%s: cannot save the forwarding position", f->pos_path);
	}
	if (fd >= 0)
		close(fd);
}

/* ---- the file being forwarded ---- */

static int
fwd_open_as(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file relp.pos names, rotated away while the collector was stopped: in path's
 * directory, under a name that begins with path's and goes on (a compressed copy is
 * another file, and does not match). found gets its path. */
static int
fwd_open_rotated(const char *path, uint64_t dev, uint64_t ino, char *found, size_t len)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	size_t nbase = strlen(base);
	char dir[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = -1;

	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : slash == path ? 1 : (int)(slash - path),
	    slash == NULL ? "." : path);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while (fd < 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, nbase) != 0 || de->d_name[nbase] == '\0' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)
			continue;
		snprintf(found, len, "%s/%s", dir, de->d_name);
		fd = fwd_open_as(found, dev, ino);
	}
	closedir(d);
	return fd;
}

/* At start: the file and offset relp.pos names, else OUTPUT from its first line. */
static void
fwd_open_first(struct collector_forward *f, uint64_t w_dev, uint64_t w_ino)
{
	struct stat st;
	char rotated[4352];
	int have = fwd_pos_load(f) == 0;

	if (have && f->pos.dev == w_dev && f->pos.ino == w_ino)
		f->fd = fwd_open_as(f->path, w_dev, w_ino);
	else if (have && (f->fd = fwd_open_rotated(f->path, f->pos.dev, f->pos.ino, rotated,
	    sizeof(rotated))) >= 0)
		log_info("forwarding: finishing %s first (OUTPUT was rotated)", rotated);
	else if (have)
		log_warnx("forwarding: %s names a file that is neither %s nor a rotated copy of it "
		    "beside it; lines of it not yet acknowledged are not sent; starting at %s's "
		    "first line", f->pos_path, f->path, f->path);
	if (f->fd >= 0 && fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < f->pos.off) {
		log_warnx("forwarding: %s is shorter than the position acknowledged (%" PRIu64
		    " bytes); starting at its first line", f->path, f->pos.off);
		f->pos.off = 0;
	}
	if (f->fd < 0) {
		f->fd = fwd_open_as(f->path, w_dev, w_ino);
		f->pos = (struct collector_fwdpos){ w_dev, w_ino, 0 };
		fwd_pos_save(f);
	}
}

/* The old file is finished: on to the one the loop writes now. */
static int
fwd_next_file(struct collector_forward *f, uint64_t w_dev, uint64_t w_ino)
{
	int fd = fwd_open_as(f->path, w_dev, w_ino);

	if (fd < 0) {
		if (!f->lost_warned)
			log_warnx("forwarding: %s is not the file being written (rotated twice?); "
			    "waiting for it", f->path);
		f->lost_warned = 1;
		return -1;
	}
	f->lost_warned = 0;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->pos = (struct collector_fwdpos){ w_dev, w_ino, 0 };
	fwd_pos_save(f);
	return 0;
}

/* ---- one batch, one session ---- */

/* The RFC 5424 message of the line at off: rsyslog keeps the line as MSG. */
static int
fwd_format(struct collector_forward *f, const char *line, size_t len, uint64_t off)
{
	static const char cut[] = " [truncated]";
	int trunc = len > FWD_MAX_MSG;

	if (trunc)
		len = collector_utf8_cut(line, len, FWD_MAX_MSG);
	vmm_buf_reset(&f->msg);
	if (vmm_buf_reserve(&f->msg, len + sizeof(cut) + 512) < 0)
		return -1;
	int n = snprintf(f->msg.p, f->msg.cap, "<%d>1 - %s vmmanage-collector - - [" FWD_SDID
	    " file=\"%" PRIu64 ":%" PRIu64 "\" offset=\"%" PRIu64 "\"] ", FWD_PRI, f->hostname,
	    f->pos.dev, f->pos.ino, off);
	if (n < 0 || (size_t)n >= f->msg.cap)
		return -1;
	f->msg.len = (size_t)n;
	memcpy(f->msg.p + f->msg.len, line, len);
	f->msg.len += len;
	if (trunc) {
		memcpy(f->msg.p + f->msg.len, cut, sizeof(cut) - 1);
		f->msg.len += sizeof(cut) - 1;
	}
	return 0;
}

/* Sends the whole lines of buf (which starts at pos.off); 0 once rsyslog has acknowledged
 * every one of them. */
static int
fwd_send(struct collector_forward *f, const char *buf, size_t len, uint64_t *nlines)
{
	relpClt_t *clt = NULL;
	relpRetVal r;

	f->session_failed = 0;
	*nlines = 0;
	if ((r = relpEngineCltConstruct(f->engine, &clt)) != RELP_RET_OK) {
		fwd_failed(f, "cannot make a RELP client (out of memory?)");
		return -1;
	}
	relpCltSetUsrPtr(clt, f);
	relpCltSetTimeout(clt, (unsigned)f->timeout);
	relpCltSetConnTimeout(clt, (int)f->timeout);
	relpCltSetWindowSize(clt, FWD_BATCH_LINES + 1);
	if ((r = relpCltConnect(clt, 0, (unsigned char *)f->port, (unsigned char *)f->host)) !=
	    RELP_RET_OK) {
		char what[64];
		snprintf(what, sizeof(what), "cannot connect (librelp error %d)", (int)r);
		fwd_failed(f, what);
		relpEngineCltDestruct(f->engine, &clt);
		return -1;
	}
	relpCltHintBurstBegin(clt);
	for (size_t at = 0; !f->session_failed && at < len; ) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t ll = (size_t)(nl - (buf + at));
		if (fwd_format(f, buf + at, ll, f->pos.off + at) < 0) {
			fwd_failed(f, "out of memory");
			break;
		}
		if ((r = relpCltSendSyslog(clt, (unsigned char *)f->msg.p, f->msg.len)) !=
		    RELP_RET_OK) {
			char what[64];
			snprintf(what, sizeof(what), "send failed (librelp error %d)", (int)r);
			fwd_failed(f, what);
		}
		at += ll + 1;
		(*nlines)++;
	}
	relpCltHintBurstEnd(clt);
	/* closes the session: waits for rsyslog's answer to close, which follows the
	 * answers to every message; a timeout or a broken session calls fwd_on_err */
	relpEngineCltDestruct(f->engine, &clt);
	return f->session_failed ? -1 : 0;
}

/* ---- the thread ---- */

/* Waits for lines beyond pos.off, or for the loop to have moved to another file; *end
 * gets where the lines for good end, *final 1 when the file is finished. -1 on stop. */
static int
fwd_wait(struct collector_forward *f, uint64_t *end, int *final, uint64_t *w_dev,
    uint64_t *w_ino, double delay)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)delay;
	until.tv_nsec += (long)((delay - (double)(time_t)delay) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (f->stop) {
			rc = -1;
			break;
		}
		*w_dev = f->w_dev;
		*w_ino = f->w_ino;
		*final = f->w_dev != f->pos.dev || f->w_ino != f->pos.ino;
		*end = f->w_end;
		if (delay == 0 && (*final || f->w_end != f->pos.off))
			break;
		if (delay == 0)
			pthread_cond_wait(&f->cv, &f->mu);
		else if (pthread_cond_timedwait(&f->cv, &f->mu, &until) == ETIMEDOUT)
			delay = 0;
	}
	pthread_mutex_unlock(&f->mu);
	if (rc == 0 && *final) {
		/* written before the loop moved on: the file no longer grows */
		struct stat st;
		*end = f->fd >= 0 && fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : f->pos.off;
	}
	return rc;
}

/* The next batch: whole lines from pos.off, before end. Its length, 0 when none. */
static size_t
fwd_read_batch(struct collector_forward *f, uint64_t end)
{
	size_t want = end - f->pos.off > FWD_BATCH_BYTES ? FWD_BATCH_BYTES : end - f->pos.off;

	vmm_buf_reset(&f->in);
	for (;;) {
		if (vmm_buf_reserve(&f->in, want) < 0)
			return 0;
		ssize_t n = pread(f->fd, f->in.p, want, (off_t)f->pos.off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		size_t len = (size_t)n, lines = 0, cut = 0;
		for (size_t i = 0; i < len && lines < FWD_BATCH_LINES; i++)
			if (f->in.p[i] == '\n') {
				cut = i + 1;
				lines++;
			}
		if (cut > 0 || (uint64_t)len >= end - f->pos.off)
			return cut;
		/* one line longer than the batch: read all of it */
		want = want * 2 < end - f->pos.off ? want * 2 : end - f->pos.off;
	}
}

static void
fwd_note_failure(struct collector_forward *f)
{
	f->attempts++;
	if (f->down)
		return;
	f->down = 1;
	f->down_since = vmm_mono_now();
	f->attempts = 1;
	f->lines_after = 0;
	log_warnx("forwarding to %s stopped: %s; the lines wait in OUTPUT and are sent "
	    "when it answers again", f->addr, f->reason);
}

/* After an episode of failures, said once OUTPUT has been caught up with. */
static void
fwd_note_success(struct collector_forward *f, uint64_t nlines, int caught_up)
{
	if (!f->down)
		return;
	f->lines_after += nlines;
	if (!caught_up)
		return;
	log_warnx("forwarding to %s resumed after %.0f s (%" PRIu64 " attempts failed), %"
	    PRIu64 " lines sent to catch up", f->addr, vmm_mono_now() - f->down_since,
	    f->attempts, f->lines_after);
	f->down = 0;
}

static void *
fwd_main(void *arg)
{
	struct collector_forward *f = arg;
	uint64_t end, w_dev, w_ino, nlines;
	int final;
	double delay = 0, backoff = 1;

	fwd_self = f;
	pthread_mutex_lock(&f->mu);
	w_dev = f->w_dev;
	w_ino = f->w_ino;
	pthread_mutex_unlock(&f->mu);
	fwd_open_first(f, w_dev, w_ino);
	while (fwd_wait(f, &end, &final, &w_dev, &w_ino, delay) == 0) {
		delay = 0;
		if (!final && end < f->pos.off) {
			log_warnx("forwarding: %s is shorter than the position acknowledged (cut "
			    "by another program?); going on from its first line", f->path);
			f->pos.off = 0;
			fwd_pos_save(f);
			continue;
		}
		if (f->fd < 0 || (final && f->pos.off >= end)) {
			if (fwd_next_file(f, w_dev, w_ino) < 0)
				delay = 1;
			continue;
		}
		size_t len = fwd_read_batch(f, end);
		if (len == 0) {
			/* nothing whole to send in a finished file: a torn last line */
			if (final) {
				log_warnx("forwarding: %s ends in an incomplete line; skipped",
				    f->path);
				f->pos.off = end;
			} else
				delay = 1;
			continue;
		}
		if (fwd_send(f, f->in.p, len, &nlines) < 0) {
			fwd_note_failure(f);
			delay = backoff;
			backoff = backoff * 2 > f->retry_max ? f->retry_max : backoff * 2;
			continue;
		}
		backoff = 1;
		f->pos.off += len;
		fwd_pos_save(f);
		fwd_note_success(f, nlines, !final && f->pos.off >= end);
	}
	pthread_mutex_lock(&f->mu);
	f->done = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* ---- start and stop ---- */

static void
fwd_free(struct collector_forward *f)
{
	if (f->engine != NULL)
		relpEngineDestruct(&f->engine);
	if (f->fd >= 0)
		close(f->fd);
	vmm_buf_free(&f->in);
	vmm_buf_free(&f->msg);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->addr);
	free(f->path);
	free(f->pos_path);
	free(f->pos_tmp);
	free(f);
}

static int
fwd_engine(struct collector_forward *f)
{
	if (relpEngineConstruct(&f->engine) != RELP_RET_OK)
		return -1;
	relpEngineSetDbgprint(f->engine, NULL);
	relpEngineSetEnableCmd(f->engine, (unsigned char *)"syslog", eRelpCmdState_Required);
	relpEngineSetOnErr(f->engine, fwd_on_err);
	relpEngineSetOnGenericErr(f->engine, fwd_on_generic_err);
	relpEngineSetOnAuthErr(f->engine, fwd_on_err);
	relpEngineSetShutdownImmdtPtr(f->engine, &f->stop_now);
	return 0;
}

struct collector_forward *
collector_forward_start(const struct collector_conf *conf, struct collector_output *out,
    char *err, size_t errlen)
{
	struct collector_forward *f = calloc(1, sizeof(*f));
	sigset_t all, old;

	if (f == NULL) {
		snprintf(err, errlen, "forwarding: out of memory");
		return NULL;
	}
	f->fd = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	vmm_buf_init(&f->in, 65536, (size_t)1 << 31);
	vmm_buf_init(&f->msg, 65536, FWD_MAX_MSG + 4096);
	f->timeout = conf->forward_timeout;
	f->retry_max = conf->forward_retry_max;
	if (gethostname(f->hostname, sizeof(f->hostname) - 1) < 0 || f->hostname[0] == '\0' ||
	    strpbrk(f->hostname, " \t\n") != NULL)
		snprintf(f->hostname, sizeof(f->hostname), "-");
	if ((f->addr = strdup(conf->forward_relp)) == NULL ||
	    collector_fwd_addr_parse(conf->forward_relp, f->host, sizeof(f->host), f->port,
	    sizeof(f->port), err, errlen) < 0 ||
	    (f->path = strdup(conf->output)) == NULL ||
	    asprintf(&f->pos_path, "%s/" FWD_POS_FILE, conf->state_dir) < 0 ||
	    asprintf(&f->pos_tmp, "%s/" FWD_POS_TMP, conf->state_dir) < 0 ||
	    fwd_engine(f) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "forwarding: out of memory");
		fwd_free(f);
		return NULL;
	}
	collector_output_watch(out, collector_forward_written, f);
	/* signals belong to the loop */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&f->thr, NULL, fwd_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		collector_output_watch(out, NULL, NULL);
		snprintf(err, errlen, "forwarding: cannot start its thread: %s", strerror(rc));
		fwd_free(f);
		return NULL;
	}
	f->started = 1;
	log_info("forwarding OUTPUT to %s over RELP", f->addr);
	return f;
}

void
collector_forward_stop(struct collector_forward *f)
{
	struct timespec until;
	int done;

	if (f == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += FWD_STOP_WAIT;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	__atomic_store_n(&f->stop_now, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&f->cv);
	while (!f->done && pthread_cond_timedwait(&f->cv, &f->mu, &until) != ETIMEDOUT)
		;
	done = f->done;
	pthread_mutex_unlock(&f->mu);
	if (!done) {
		/* stuck in a connect: relp.pos is saved whole, so leaving it is safe */
		log_warnx("forwarding to %s: still waiting on the network; not waiting longer",
		    f->addr);
		return;
	}
	pthread_join(f->thr, NULL);
	fwd_free(f);
}
