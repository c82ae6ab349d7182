/* SPDX-License-Identifier: ISC */
/* The record of admitted moves, so that a restart loses no request: each VM's last
 * BROKER_MOVES_KEPT moves (their ID, target, start and, once ended, their answer) in
 * state_dir/moves.VM, written anew (temporary file, fsync, rename) when a move ends, and
 * read back at start. The move that starts is recorded before it starts in
 * state_dir/begun.VM, one block overwritten in place (state_block_write): one block's
 * write where the rename costs two journal commits, on the way from the request to the
 * migration; at start it joins the record unless the record has it already. A move found
 * unfinished there was in flight when the broker stopped: vm.c looks for it in the
 * endpoint. A request with an ID in the record is answered from it, never run again.
 *
 * The directory is the broker user's and no one else may write to it
 * (secret_check_dir); each file is opened with O_NOFOLLOW, must be the broker user's own
 * regular file and is read up to BROKER_MOVES_FILE_MAX bytes. A line that does not parse
 * is logged (file and line) and skipped: the others stand. */
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

#include "broker/broker.h"
#include "common/log.h"
#include "common/secret.h"
#include "core/state.h"

#define BROKER_MOVES_FILE_MAX (BROKER_MOVES_KEPT * (WIRE_MAX_LINE + 700))

static int moves_dirfd = -1;
static int moves_failing;        /* a write failed: said once until one succeeds */
static int begun_failing;        /* the same, of begun.VM */

static void
moves_save(struct broker_vm *vm)
{
	char tmp[WIRE_MAX_HOST + 32], name[WIRE_MAX_HOST + 32], line[WIRE_MAX_LINE + 700];
	int fd, bad = 0;

	if (moves_dirfd < 0)
		return;
	snprintf(name, sizeof(name), "moves.%s", vm->name);
	snprintf(tmp, sizeof(tmp), "moves.%s.new", vm->name);
	unlinkat(moves_dirfd, tmp, 0);
	if ((fd = openat(moves_dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		bad = 1;
	for (size_t i = 0; !bad && i < vm->nmoves; i++) {
		size_t n = broker_moves_format(line, sizeof(line), &vm->moves[i]);
		bad = n == 0 || write(fd, line, n) != (ssize_t)n;
	}
	if (fd >= 0 && (fsync(fd) < 0 || close(fd) < 0))
		bad = 1;
	if (!bad && renameat(moves_dirfd, tmp, moves_dirfd, name) == 0 && fsync(moves_dirfd) == 0) {
		if (moves_failing)
			log_info("broker: the record of moves is written again");
		moves_failing = 0;
		return;
	}
	if (!moves_failing)
		log_warn("broker: %s: cannot write the record of moves (a restart now would forget %s's move)",
		    name, vm->name);
	moves_failing = 1;
	unlinkat(moves_dirfd, tmp, 0);
}

static void
moves_read(struct broker_vm *vm, const char *dir)
{
	char name[WIRE_MAX_HOST + 32], buf[BROKER_MOVES_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;

	snprintf(name, sizeof(name), "moves.%s", vm->name);
	int fd = openat(moves_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("broker: %s/%s: not read", dir, name);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size > BROKER_MOVES_FILE_MAX) {
		log_warnx("broker: %s/%s: not read: not a regular file of this user of at most %d bytes",
		    dir, name, BROKER_MOVES_FILE_MAX);
		close(fd);
		return;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	int lineno = 0;
	for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			nl = buf + len;
		lineno++;
		struct broker_move m;
		if (broker_moves_parse(p, (size_t)(nl - p), &m) < 0) {
			log_warnx("broker: %s/%s:%d: not a record of a move; skipped", dir, name, lineno);
			continue;
		}
		broker_moves_add(vm, &m);
	}
}

/* The move begun.VM holds, unless the record has it: it began after the record was last
 * written and was in flight when the broker stopped. */
static void
moves_read_begun(struct broker_vm *vm, const char *dir)
{
	char name[WIRE_MAX_HOST + 32], text[STATE_BLOCK_SIZE], err[256];
	struct broker_move m;

	snprintf(name, sizeof(name), "begun.%s", vm->name);
	int rc = state_block_read(moves_dirfd, name, text, sizeof(text), err, sizeof(err));
	if (rc < 0)
		log_warnx("broker: %s/%s: not read: %s", dir, name, err);
	if (rc != 0)
		return;
	if (broker_moves_parse(text, strcspn(text, "\n"), &m) < 0 || m.done) {
		log_warnx("broker: %s/%s: not a record of a move begun; skipped", dir, name);
		return;
	}
	for (size_t i = 0; i < vm->nmoves; i++)
		if (vm->moves[i].id == m.id && vm->moves[i].started == m.started &&
		    strcmp(vm->moves[i].target, m.target) == 0)
			return;
	broker_moves_add(vm, &m);
}

int
broker_moves_open(struct broker *b, char *err, size_t errlen)
{
	if (mkdir(b->state_dir, 0700) < 0 && errno != EEXIST)
		return snprintf(err, errlen, "state_dir %s: %s", b->state_dir, strerror(errno)), -1;
	if ((moves_dirfd = open(b->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return snprintf(err, errlen, "state_dir %s: %s", b->state_dir, strerror(errno)), -1;
	if (secret_check_dir(moves_dirfd, b->state_dir, "state_dir", err, errlen) < 0) {
		close(moves_dirfd);
		moves_dirfd = -1;
		return -1;
	}
	for (size_t i = 0; i < b->nvms; i++) {
		moves_read(&b->vms[i], b->state_dir);
		moves_read_begun(&b->vms[i], b->state_dir);
	}
	return 0;
}

void
broker_moves_close(struct broker *b)
{
	for (size_t i = 0; i < b->nvms; i++) {
		free(b->vms[i].moves);
		b->vms[i].moves = NULL;
		b->vms[i].nmoves = 0;
	}
	if (moves_dirfd >= 0)
		close(moves_dirfd);
	moves_dirfd = -1;
}

struct broker_move *
broker_moves_find(struct broker_vm *vm, uint64_t id)
{
	for (size_t i = 0; id != 0 && i < vm->nmoves; i++)
		if (vm->moves[i].id == id)
			return &vm->moves[i];
	return NULL;
}

/* Appends m (the oldest record falls out when full); the new record, or NULL. */
struct broker_move *
broker_moves_add(struct broker_vm *vm, const struct broker_move *m)
{
	if (vm->moves == NULL && (vm->moves = calloc(BROKER_MOVES_KEPT, sizeof(*vm->moves))) == NULL)
		return NULL;
	if (vm->nmoves == BROKER_MOVES_KEPT) {
		memmove(vm->moves, vm->moves + 1, (BROKER_MOVES_KEPT - 1) * sizeof(*vm->moves));
		vm->nmoves--;
	}
	vm->moves[vm->nmoves] = *m;
	return &vm->moves[vm->nmoves++];
}

/* The move about to start, durable in begun.VM (the whole record when that fails). */
static void
moves_begun(struct broker_vm *vm, const struct broker_move *m)
{
	char name[WIRE_MAX_HOST + 32], line[STATE_BLOCK_SIZE], err[256] = "a record too long";

	if (moves_dirfd < 0)
		return;
	snprintf(name, sizeof(name), "begun.%s", vm->name);
	if (broker_moves_format(line, sizeof(line), m) > 0 &&
	    state_block_write(moves_dirfd, name, line, err, sizeof(err)) == 0) {
		begun_failing = 0;
		return;
	}
	if (!begun_failing)
		log_warnx("broker: %s; the whole record is written instead", err);
	begun_failing = 1;
	moves_save(vm);
}

int
broker_moves_begin(struct broker_vm *vm, const struct wire_breq *rq)
{
	struct broker_move m = { .id = rq->id, .action = rq->action, .cross_site = rq->cross_site,
		.started = (int64_t)time(NULL) };
	const struct broker_move *r;

	snprintf(m.target, sizeof(m.target), "%s", rq->target);
	if ((r = broker_moves_add(vm, &m)) == NULL)
		return -1;
	moves_begun(vm, r);
	return 0;
}

void
broker_moves_end(struct broker_vm *vm, uint64_t id, const char *target,
    const struct wire_bans *a)
{
	/* the newest unfinished record for this target: IDs may be 0 (an agent without) */
	for (size_t i = vm->nmoves; i-- > 0;) {
		struct broker_move *m = &vm->moves[i];
		if (!m->done && m->id == id && strcmp(m->target, target) == 0) {
			m->done = 1;
			m->ans = *a;
			moves_save(vm);
			return;
		}
	}
}
