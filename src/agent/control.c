/* SPDX-License-Identifier: ISC */
/* The control socket (as ntpd's control.c): unlink, bind under umask 0117 so the socket
 * is born 0660 (no chmod by name afterwards, which another user could race), non-blocking.
 * One request line per connection; the answer's last line is OK or ERR. What a local
 * client can take is bounded: CONTROL_CLIENTS_MAX clients, each closed after
 * CONTROL_CLIENT_TIMEOUT, and descriptors kept for the cycle; out of descriptors, the
 * listener neither spins nor floods the log (one line per episode, with a count). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "agent/control.h"
#include "common/ev.h"
#include "common/log.h"

#define CONTROL_LINE_MAX 512        /* a request line, without its LF */
#define CONTROL_CLIENT_TIMEOUT 5    /* seconds a client has to send its line */
#define CONTROL_CLIENTS_MAX 16
#define CONTROL_REPLY_MAX (16 * 1024 * 1024) /* bytes of an answer the client keeps */
#define CONTROL_FD_RESERVE 32       /* descriptors left to the cycle: sensor and endpoint
                                     * children, the collector's socket, log files */
#define CONTROL_PAUSE 0.5           /* seconds the listener rests when out of descriptors */
#define CONTROL_QUIET 2.0           /* an episode of refusals ends after this long without */
#define CONTROL_STR(x) CONTROL_STR1(x)
#define CONTROL_STR1(x) #x

struct control_client {
	int fd;
	char buf[CONTROL_LINE_MAX + 3]; /* the line, CR, LF, NUL */
	size_t len;
	struct ev_timer *timer;
	struct control_client *prev, *next;
};

/* Connections refused (and rests of the listener) in a row: said at the first, and with
 * the counts once none has been for CONTROL_QUIET seconds. */
struct control_episode {
	const char *why;
	unsigned long refused, pauses;
	double first, last;
	struct ev_timer *timer;
};

static struct ev_loop *control_loop;
static int control_fd = -1;
static int control_spare = -1;      /* /dev/null, given up to refuse a client at EMFILE */
static int control_fd_ceiling;      /* a client's descriptor must be below this */
static char *control_path;
static control_handler control_h;
static void *control_arg;
static struct control_client *control_clients;
static unsigned control_nclients;
static struct ev_timer *control_pause_timer;
static struct control_episode control_ep;

static int
control_sockaddr(const char *path, struct sockaddr_un *sun, char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "control_socket %s: path too long (max %zu)", path,
		    sizeof(sun->sun_path) - 1);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* ---- refusals: bounded work per connection, one log line per episode ---- */

static void
control_episode_log(void)
{
	log_info("control: accepting connections again after %.1f s: %lu refused, %lu pauses (%s)",
	    control_ep.last - control_ep.first, control_ep.refused, control_ep.pauses,
	    control_ep.why);
	memset(&control_ep, 0, sizeof(control_ep));
}

static double
control_episode_end(void *arg)
{
	double quiet = ev_now() - control_ep.last;

	(void)arg;
	if (quiet < CONTROL_QUIET)
		return CONTROL_QUIET - quiet;
	control_episode_log(); /* the loop frees the timer */
	return -1;
}

static void
control_episode_note(const char *why, unsigned refused, unsigned paused)
{
	double now = ev_now();

	if (control_ep.timer == NULL) {
		log_warnx("control: refusing connections: %s (at most %d clients, %d descriptors "
		    "kept for the cycle)", why, CONTROL_CLIENTS_MAX, CONTROL_FD_RESERVE);
		control_ep.why = why;
		control_ep.first = now;
		control_ep.timer = ev_timer_add(control_loop, CONTROL_QUIET, control_episode_end, NULL);
	}
	control_ep.refused += refused;
	control_ep.pauses += paused;
	control_ep.last = now;
}

/* Closing a unix socket with unread bytes resets the peer, which may then lose our
 * answer: read what is already there (a bounded amount) first. */
static void
control_close_quietly(int fd)
{
	char scratch[4096];

	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16; i++)
		if (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

/* A refused client gets a one-line answer, never a wait: its socket is new, so the
 * short line fits its buffer. */
static void
control_refuse(int cfd, const char *why)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "ERR busy: %s, try again in a moment\n", why);

	if (send(cfd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client is gone already */
	}
	control_close_quietly(cfd);
	control_episode_note(why, 1, 0);
}

static double
control_resume(void *arg)
{
	(void)arg;
	control_pause_timer = NULL; /* the loop frees it */
	if (control_spare < 0)
		control_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (control_fd >= 0)
		ev_fd_mod(control_loop, control_fd, POLLIN);
	return -1;
}

/* Out of descriptors (or kernel memory), a pending connection would wake poll at once,
 * forever. Give up the spare descriptor to accept it and refuse it; without a spare,
 * stop listening for CONTROL_PAUSE seconds (the backlog keeps the clients waiting). */
static void
control_out_of_fds(int lfd)
{
	if (control_spare >= 0) {
		close(control_spare);
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd >= 0)
			control_refuse(cfd, "out of file descriptors");
		control_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (cfd >= 0 && control_spare >= 0)
			return;
	}
	if (control_pause_timer == NULL &&
	    (control_pause_timer = ev_timer_add(control_loop, CONTROL_PAUSE, control_resume, NULL)) != NULL) {
		ev_fd_mod(control_loop, lfd, 0);
		control_episode_note("out of file descriptors", 0, 1);
	}
}

/* ---- clients ---- */

static void
control_client_free(struct control_client *c)
{
	ev_fd_del(control_loop, c->fd);
	control_close_quietly(c->fd);
	ev_timer_del(c->timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		control_clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	control_nclients--;
	free(c);
}

/* The answer is small; it is written with the socket blocking, bounded by SO_SNDTIMEO,
 * so a client that reads nothing stalls the loop at most that long. */
static void
control_send(int fd, const char *text, size_t len)
{
	int flags = fcntl(fd, F_GETFL);
	struct timeval tv = { 2, 0 };

	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

/* The request line in c->buf, NUL-terminated, or NULL with the error to answer. */
static const char *
control_line(struct control_client *c, const char **error)
{
	char *lf = memchr(c->buf, '\n', c->len);
	size_t n = lf != NULL ? (size_t)(lf - c->buf) : c->len;

	if (n > 0 && c->buf[n - 1] == '\r')
		n--;
	if (n > CONTROL_LINE_MAX) {
		*error = "ERR request too long (at most " CONTROL_STR(CONTROL_LINE_MAX) " bytes)\n";
		return NULL;
	}
	if (memchr(c->buf, '\0', n) != NULL) {
		*error = "ERR request holds a NUL byte\n";
		return NULL;
	}
	c->buf[n] = '\0';
	return c->buf;
}

static void
control_answer(struct control_client *c)
{
	const char *error = NULL, *line = control_line(c, &error);
	char *text = NULL;
	size_t len = 0;

	if (line == NULL) {
		control_send(c->fd, error, strlen(error));
		return;
	}
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		return;
	control_h(line, out, control_arg);
	fclose(out);
	control_send(c->fd, text, len);
	free(text);
}

static void
control_client_read(int fd, int revents, void *arg)
{
	struct control_client *c = arg;
	ssize_t n;

	(void)revents;
	n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (memchr(c->buf, '\n', c->len) == NULL && c->len < sizeof(c->buf) - 1)
			return;
		control_answer(c);
	} else if (n == 0 && c->len > 0)
		control_answer(c); /* the client ended its side after a line without LF */
	control_client_free(c);
}

static double
control_client_timeout(void *arg)
{
	static const char msg[] = "ERR no request line within " CONTROL_STR(CONTROL_CLIENT_TIMEOUT)
	    " s\n";
	struct control_client *c = arg;

	if (send(c->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* gone, or not reading: it is closed either way */
	}
	c->timer = NULL; /* freed by the loop when we return < 0 */
	control_client_free(c);
	return -1;
}

static void
control_client_new(int cfd)
{
	struct control_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->timer = ev_timer_add(control_loop, CONTROL_CLIENT_TIMEOUT, control_client_timeout, c);
	if (c->timer == NULL || ev_fd_add(control_loop, cfd, POLLIN, control_client_read, c) < 0) {
		ev_timer_del(c->timer);
		close(cfd);
		free(c);
		return;
	}
	c->next = control_clients;
	if (control_clients != NULL)
		control_clients->prev = c;
	control_clients = c;
	control_nclients++;
}

static void
control_accept(int fd, int revents, void *arg)
{
	(void)revents;
	(void)arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			control_out_of_fds(fd);
		/* else EAGAIN, EINTR, or a client that left before we took it */
		return;
	}
	if (control_nclients >= CONTROL_CLIENTS_MAX)
		control_refuse(cfd, "too many control clients");
	else if (cfd >= control_fd_ceiling)
		control_refuse(cfd, "few file descriptors left");
	else
		control_client_new(cfd);
}

/* ---- the listener ---- */

/* A live daemon answers on the socket; a stale file from a crash is replaced. */
static int
control_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int used = fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;

	if (fd >= 0)
		close(fd);
	return used;
}

/* Clients may use descriptors up to CONTROL_FD_RESERVE below the limit (half of a low
 * limit), so the cycle always has some. */
static void
control_set_fd_ceiling(void)
{
	struct rlimit rl;
	rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;

	if (n == RLIM_INFINITY || n > INT_MAX)
		n = INT_MAX;
	control_fd_ceiling = (int)(n > 2 * CONTROL_FD_RESERVE ? n - CONTROL_FD_RESERVE : n / 2);
}

int
control_listen(struct ev_loop *loop, const char *path, control_handler h, void *arg, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;

	if (control_sockaddr(path, &sun, err, errlen) < 0)
		return -1;
	control_loop = loop;
	if (control_in_use(&sun)) {
		snprintf(err, errlen, "control_socket %s: another vmmanage is answering there", path);
		return -1;
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* the mode comes from the umask at bind: 0660 from the start */
	mode_t old = umask(0117);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0 || ev_fd_add(control_loop, fd, POLLIN, control_accept, NULL) < 0) {
		snprintf(err, errlen, "control_socket %s: %s", path, strerror(errno));
		if (rc == 0)
			unlink(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	control_fd = fd;
	control_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	control_set_fd_ceiling();
	control_path = strdup(path);
	control_h = h;
	control_arg = arg;
	return 0;
}

void
control_close(void)
{
	if (control_fd < 0)
		return;
	while (control_clients != NULL)
		control_client_free(control_clients);
	if (control_ep.timer != NULL) {
		ev_timer_del(control_ep.timer);
		control_episode_log();
	}
	ev_timer_del(control_pause_timer);
	control_pause_timer = NULL;
	ev_fd_del(control_loop, control_fd);
	close(control_fd);
	if (control_spare >= 0)
		close(control_spare);
	control_spare = -1;
	if (control_path)
		unlink(control_path);
	free(control_path);
	control_path = NULL;
	control_fd = -1;
}

/* ---- the client ---- */

/* The daemon's whole answer until it closes, within the timeout; what came is kept when
 * time or memory runs out. -1 unless it closed. */
static int
control_read_all(int fd, double timeout_s, char **text, size_t *len)
{
	struct vmm_buf b;
	struct timespec t0;
	int rc = -1;

	vmm_buf_init(&b, 4096, CONTROL_REPLY_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*len = 0;
	*text = NULL;
	if (vmm_buf_reserve(&b, 0) < 0)
		return -1;
	for (;;) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double left = timeout_s - ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			break;
		if (vmm_buf_reserve(&b, 1024) < 0)
			break;
		ssize_t r = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r == 0 ? 0 : -1;
			break;
		}
		b.len += (size_t)r;
	}
	b.p[b.len] = '\0';
	*len = b.len;
	*text = vmm_buf_take(&b);
	return rc;
}

/* Split off the answer's last line: OK, or ERR with a message. */
static int
control_verdict(char *text, size_t len, FILE *out, FILE *errout)
{
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	char *last = strrchr(text, '\n');
	char *verdict = text;
	if (last != NULL) {
		*last = '\0';
		fprintf(out, "%s\n", text);
		verdict = last + 1;
	}
	if (strcmp(verdict, "OK") == 0)
		return 0;
	if (strncmp(verdict, "ERR", 3) == 0) {
		fprintf(errout, "vmmanage: %s\n", verdict[3] == ' ' ? verdict + 4 : "error");
		return 1;
	}
	fprintf(errout, "vmmanage: the daemon's answer was cut short\n");
	return 1;
}

int
control_request(const char *path, const char *line, double timeout_s, FILE *out, FILE *errout,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char *text = NULL;
	size_t len;

	if (control_sockaddr(path, &sun, err, errlen) < 0)
		return 2;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot reach the daemon at %s: %s (is vmmanage running?)",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	size_t n = strlen(line);
	int sent = send(fd, line, n, MSG_NOSIGNAL) == (ssize_t)n && send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
	int send_errno = errno;
	/* a daemon that refuses us (busy) answers and closes before it reads: read even
	 * when the request could not be sent */
	int rc = control_read_all(fd, sent ? timeout_s : 1, &text, &len);
	close(fd);
	if (!sent && len == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(send_errno));
		free(text);
		return 2;
	}
	if (rc < 0 && len == 0) {
		snprintf(err, errlen, "no answer from the daemon at %s within %.0f s", path, timeout_s);
		free(text);
		return 2;
	}
	rc = control_verdict(text, len, out, errout);
	free(text);
	return rc;
}
