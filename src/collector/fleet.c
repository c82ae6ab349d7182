/* SPDX-License-Identifier: ISC */
/* The fleet view: every VM (agent host) the collector has heard from over the agent
 * protocol, when it last spoke, where it says it is, its last move, and whether it has
 * gone silent (nothing for silent_after seconds; alert_command is told once per episode
 * and once when it speaks again). Bounded: at most max_agent_hosts VMs (with keys_file,
 * never more than its keys), the least recently heard forgotten past it (said once per
 * episode). Kept across restarts in state_dir/fleet.state, rewritten whole (temporary
 * file, fsync, rename) 5 s after a change of place or silence, a minute after mere
 * receipt times changed, and at exit; read back as the service
 * user without following a link. A file that cannot be read whole is said and the
 * view starts empty: it is a convenience, never a reason not to collect.
 *
 *	vmmanage-collector fleet 1
 *	HOST LAST_SEEN LAST_CYCLE SILENT LOCATION LAST_TARGET LAST_OUTCOME MOVES
 *
 * tab-separated, "-" for an empty text, MOVES the receipt times of its last confirmed
 * moves (at most FLEET_MOVES) joined by commas. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "core/journal.h"
#include "server.h"

#define FLEET_FILE "fleet.state"
#define FLEET_TMP "fleet.state.tmp"
/* Seconds between rewrites: soon after a VM comes, goes silent, moves or speaks again
 * (a crash then loses no episode), rarely when only the times of messages changed. */
#define FLEET_SAVE_CHANGED 5.0
#define FLEET_SAVE_TIMES 60.0
enum { FLEET_CLEAN, FLEET_TIMES, FLEET_CHANGED };
#define FLEET_MAX_FILE (64u << 20)

/* The list of VMs by when they were last heard from: the oldest goes first. */
static void
fleet_unlink(struct collector *s, struct collector_vm *vm)
{
	if (vm->older != NULL)
		vm->older->newer = vm->newer;
	else
		s->fleet.oldest = vm->newer;
	if (vm->newer != NULL)
		vm->newer->older = vm->older;
	else
		s->fleet.newest = vm->older;
	vm->older = vm->newer = NULL;
}

static void
fleet_append(struct collector *s, struct collector_vm *vm)
{
	vm->older = s->fleet.newest;
	vm->newer = NULL;
	if (s->fleet.newest != NULL)
		s->fleet.newest->newer = vm;
	else
		s->fleet.oldest = vm;
	s->fleet.newest = vm;
}

/* The least recently heard VM makes room; said once per episode. */
static void
fleet_evict(struct collector *s)
{
	struct collector_vm *vm = s->fleet.oldest;
	char host[COLLECTOR_MAX_HOST + 1];

	if (vm == NULL)
		return;
	snprintf(host, sizeof(host), "%s", vm->host);
	if (!s->fleet.evicting)
		log_warnx("fleet: more than max_agent_hosts (%zu) VMs; forgetting the least recently "
		    "heard (%s, and others without a word until the fleet is smaller again)",
		    s->conf->max_agent_hosts, host);
	s->fleet.evicting = 1;
	s->fleet.evicted++;
	fleet_unlink(s, vm);
	collector_htab_del(s->fleet.t, host);
}

static struct collector_vm *
fleet_get(struct collector *s, const char *host, int create)
{
	struct collector_vm *vm;

	if (s->fleet.t == NULL)
		return NULL;
	if ((vm = collector_htab_get(s->fleet.t, host, 0)) != NULL || !create)
		return vm;
	if (collector_htab_count(s->fleet.t) >= s->conf->max_agent_hosts)
		fleet_evict(s);
	if ((vm = collector_htab_get(s->fleet.t, host, 1)) != NULL) {
		vm->host = collector_htab_key(vm);
		fleet_append(s, vm);
		s->fleet.dirty = FLEET_CHANGED;
	}
	return vm;
}

/* An episode of silence starts or ends: the log, the count, alert_command. */
static void
fleet_silent(struct collector *s, struct collector_vm *vm, int silent)
{
	char msg[256];

	vm->silent = silent;
	s->fleet.dirty = FLEET_CHANGED;
	if (silent) {
		s->fleet.silent_episodes++;
		snprintf(msg, sizeof(msg), "nothing from %s for %.0f s (silent_after %g s), last on %s",
		    vm->host, (double)(s->wall - vm->last_seen), s->conf->silent_after,
		    vm->location[0] ? vm->location : "an unknown host");
		log_warnx("fleet: %s is silent: %s", vm->host, msg);
	} else {
		snprintf(msg, sizeof(msg), "%s speaks again", vm->host);
		log_info("fleet: %s", msg);
	}
	collector_alert(s, "silent", silent, vm->host, msg);
}

/* Something came from host: a HELLO or a frame (new or a duplicate). */
struct collector_vm *
fleet_heard(struct collector *s, const char *host, const char *peer)
{
	struct collector_vm *vm = fleet_get(s, host, 1);

	if (vm == NULL)
		return NULL;
	vm->last_seen = (int64_t)s->wall;
	fleet_unlink(s, vm);
	fleet_append(s, vm);
	snprintf(vm->peer, sizeof(vm->peer), "%s", peer);
	if (vm->silent)
		fleet_silent(s, vm, 0);
	if (s->fleet.dirty == FLEET_CLEAN)
		s->fleet.dirty = FLEET_TIMES;
	return vm;
}

static void
fleet_span(char *out, size_t cap, const struct journal_span *sp)
{
	size_t n = sp->n < cap - 1 ? sp->n : cap - 1;

	/* kept to what the state file and a terminal can hold */
	for (size_t i = 0; i < n; i++)
		out[i] = sp->p[i] > ' ' && sp->p[i] < 0x7f ? sp->p[i] : '?';
	out[n] = '\0';
}

/* A new message of host: what it says of its place and moves. */
void
fleet_message(struct collector *s, const char *host, const char *peer, const char *msg,
    size_t len)
{
	struct collector_vm *vm = fleet_heard(s, host, peer);
	struct journal_parsed p;

	if (vm == NULL)
		return;
	vm->messages++;
	journal_parse(msg, len, &p);
	if ((size_t)p.kind < sizeof(s->st.agent_kinds) / sizeof(s->st.agent_kinds[0]))
		s->st.agent_kinds[p.kind]++;
	char was[sizeof(vm->location)];
	memcpy(was, vm->location, sizeof(was));
	switch (p.kind) {
	case JOURNAL_CYCLE:
		vm->last_cycle = (int64_t)s->wall;
		if (p.target.n > 0 && !(p.target.n == 7 && memcmp(p.target.p, "unknown", 7) == 0))
			fleet_span(vm->location, sizeof(vm->location), &p.target);
		if (strcmp(was, vm->location) == 0)
			return;
		break;
	case JOURNAL_LOCATION:
		fleet_span(vm->location, sizeof(vm->location), &p.target);
		if (strcmp(was, vm->location) == 0)
			return;
		break;
	case JOURNAL_REQUEST:
		fleet_span(vm->last_target, sizeof(vm->last_target), &p.target);
		snprintf(vm->last_outcome, sizeof(vm->last_outcome), "requested");
		break;
	case JOURNAL_CONFIRMED:
		fleet_span(vm->location, sizeof(vm->location), &p.target);
		fleet_span(vm->last_target, sizeof(vm->last_target), &p.target);
		snprintf(vm->last_outcome, sizeof(vm->last_outcome), "confirmed");
		if (vm->nmoves == FLEET_MOVES) {
			memmove(vm->moves, vm->moves + 1, (FLEET_MOVES - 1) * sizeof(vm->moves[0]));
			vm->nmoves--;
		}
		vm->moves[vm->nmoves++] = (int64_t)s->wall;
		break;
	case JOURNAL_FAILED:
	case JOURNAL_UNCONFIRMED:
		fleet_span(vm->last_target, sizeof(vm->last_target), &p.target);
		snprintf(vm->last_outcome, sizeof(vm->last_outcome), "%s",
		    p.kind == JOURNAL_FAILED ? "failed" : "unconfirmed");
		break;
	default:
		return;
	}
	s->fleet.dirty = FLEET_CHANGED;
}

void
fleet_connected(struct collector *s, const char *host, int delta)
{
	struct collector_vm *vm = fleet_get(s, host, 0);

	if (vm != NULL && vm->connections + delta >= 0)
		vm->connections += delta;
}

/* Confirmed moves of vm received within the last `within` seconds. */
unsigned
fleet_moves_within(const struct collector *s, const struct collector_vm *vm, int64_t within)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->nmoves; i++)
		n += vm->moves[i] > (int64_t)s->wall - within;
	return n;
}

static int
fleet_check_one(const char *key, void *val, void *arg)
{
	struct collector *s = arg;
	struct collector_vm *vm = val;

	(void)key;
	if (!vm->silent && s->conf->silent_after > 0 &&
	    (double)(s->wall - vm->last_seen) >= s->conf->silent_after)
		fleet_silent(s, vm, 1);
	s->fleet.nsilent += vm->silent;
	return 0;
}

/* Once a second: who went silent; the file while it changes. */
void
fleet_tick(struct collector *s)
{
	s->fleet.nsilent = 0;
	if (s->fleet.t == NULL)
		return;
	collector_htab_each(s->fleet.t, fleet_check_one, s);
	if (s->fleet.evicting && collector_htab_count(s->fleet.t) + 1 < s->conf->max_agent_hosts) {
		log_info("fleet: %" PRIu64 " VMs were forgotten for max_agent_hosts", s->fleet.evicted);
		s->fleet.evicting = 0;
	}
	if (s->now - s->fleet.saved >= (s->fleet.dirty == FLEET_CHANGED ? FLEET_SAVE_CHANGED :
	    s->fleet.dirty == FLEET_TIMES ? FLEET_SAVE_TIMES : INFINITY))
		fleet_save(s);
}

/* ---- the file ---- */

static int
fleet_write(int dirfd, const char *p, size_t len)
{
	int fd = openat(dirfd, FLEET_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return renameat(dirfd, FLEET_TMP, dirfd, FLEET_FILE) < 0 ? -1 : 0;
}

void
fleet_save(struct collector *s)
{
	struct vmm_buf b;
	int dirfd;

	s->fleet.saved = s->now;
	vmm_buf_init(&b, 4096, FLEET_MAX_FILE);
	vmm_buf_printf(&b, FLEET_MAGIC "\n");
	/* least recently heard first: read back in this order, the list is the same */
	for (const struct collector_vm *vm = s->fleet.oldest; vm != NULL; vm = vm->newer)
		fleet_format_vm(&b, vm);
	dirfd = open(s->conf->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.p == NULL || dirfd < 0 || fleet_write(dirfd, b.p, b.len) < 0) {
		if (!s->fleet.save_failed)
			log_warn("fleet: cannot write %s/%s (trying again while it changes)",
			    s->conf->state_dir, FLEET_FILE);
		s->fleet.save_failed = 1;
	} else {
		s->fleet.save_failed = 0;
		s->fleet.dirty = FLEET_CLEAN;
	}
	if (dirfd >= 0)
		close(dirfd);
	vmm_buf_free(&b);
}

/* The lines of buf into the table; -1 at the first that is not right. */
static int
fleet_parse(struct collector *s, char *buf, int *lineno)
{
	char *save, *line = strtok_r(buf, "\n", &save);
	char host[COLLECTOR_MAX_HOST + 1];
	struct collector_vm vm, *e;

	*lineno = 1;
	if (line == NULL || strcmp(line, FLEET_MAGIC) != 0)
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		++*lineno;
		if (fleet_parse_line(line, &vm, host) < 0 || (e = fleet_get(s, host, 1)) == NULL)
			return -1;
		/* the table's own: its name and its place in the list */
		vm.host = e->host;
		vm.older = e->older;
		vm.newer = e->newer;
		*e = vm;
	}
	return 0;
}

/* As the service user: state_dir/fleet.state, if there is one. */
void
fleet_load(struct collector *s)
{
	char path[4096];
	struct stat st;
	char *buf = NULL;
	int fd, lineno = 0;

	snprintf(path, sizeof(path), "%s/%s", s->conf->state_dir, FLEET_FILE);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			log_warn("fleet: %s: cannot open; starting with an empty fleet view", path);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (size_t)st.st_size > FLEET_MAX_FILE || (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		log_warnx("fleet: %s is not a regular file of this user that can be read whole; "
		    "starting with an empty fleet view", path);
	} else {
		buf[st.st_size] = '\0';
		if (memchr(buf, '\0', (size_t)st.st_size) != NULL || fleet_parse(s, buf, &lineno) < 0) {
			log_warnx("fleet: %s:%d: not a fleet state line; starting with an empty fleet view",
			    path, lineno);
			collector_htab_free(s->fleet.t);
			s->fleet.t = collector_htab_new(sizeof(struct collector_vm));
			s->fleet.oldest = s->fleet.newest = NULL;
		}
	}
	free(buf);
	close(fd);
	s->fleet.evicting = 0;
}
