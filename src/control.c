/* The control socket (as ntpd's control.c): unlink, bind under a umask, chmod 0660,
 * non-blocking. One request line per connection; the answer's last line is OK or ERR. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ev.h"
#include "log.h"

#define CONTROL_LINE_MAX 512
#define CONTROL_CLIENT_TIMEOUT 5.0

struct control_client {
	int fd;
	char buf[CONTROL_LINE_MAX];
	size_t len;
	struct ev_timer *timer;
};

static int control_fd = -1;
static char *control_path;
static control_handler control_h;
static void *control_arg;

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

static void
control_client_free(struct control_client *c)
{
	ev_fd_del(c->fd);
	close(c->fd);
	ev_timer_del(c->timer);
	free(c);
}

/* The answer is small; it is written with the socket blocking, bounded by SO_SNDTIMEO,
 * so a client that reads nothing stalls the loop at most that long. */
static void
control_answer(struct control_client *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return;
	c->buf[strcspn(c->buf, "\r\n")] = '\0';
	control_h(c->buf, out, control_arg);
	fclose(out);
	int flags = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	struct timeval tv = { 2, 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; off < len;) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
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
		c->buf[c->len] = '\0';
		if (strchr(c->buf, '\n') == NULL && c->len < sizeof(c->buf) - 1)
			return;
		control_answer(c);
	}
	control_client_free(c);
}

static double
control_client_timeout(void *arg)
{
	struct control_client *c = arg;

	c->timer = NULL; /* freed by the loop when we return < 0 */
	ev_fd_del(c->fd);
	close(c->fd);
	free(c);
	return -1;
}

static void
control_accept(int fd, int revents, void *arg)
{
	(void)revents;
	(void)arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	struct control_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->timer = ev_timer_add(CONTROL_CLIENT_TIMEOUT, control_client_timeout, c);
	if (c->timer == NULL || ev_fd_add(cfd, POLLIN, control_client_read, c) < 0) {
		ev_timer_del(c->timer);
		close(cfd);
		free(c);
	}
}

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

int
control_listen(const char *path, control_handler h, void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sun;

	if (control_sockaddr(path, &sun, err, errlen) < 0)
		return -1;
	if (control_in_use(&sun)) {
		snprintf(err, errlen, "control_socket %s: another vmmanage is answering there", path);
		return -1;
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0117);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || chmod(path, 0660) < 0 || listen(fd, 16) < 0 ||
	    ev_fd_add(fd, POLLIN, control_accept, NULL) < 0) {
		snprintf(err, errlen, "control_socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	control_fd = fd;
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
	ev_fd_del(control_fd);
	close(control_fd);
	if (control_path)
		unlink(control_path);
	free(control_path);
	control_path = NULL;
	control_fd = -1;
}

/* ---- the client ---- */

static int
control_read_all(int fd, double timeout_s, char **text, size_t *len)
{
	size_t cap = 4096;
	struct timespec t0;
	char *buf = malloc(cap);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*len = 0;
	if (buf == NULL)
		return -1;
	for (;;) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double left = timeout_s - ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			break;
		if (*len + 1024 > cap) {
			char *n = realloc(buf, cap *= 2);
			if (n == NULL)
				break;
			buf = n;
		}
		ssize_t r = read(fd, buf + *len, cap - *len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf[*len] = '\0';
			*text = buf;
			return r == 0 ? 0 : -1;
		}
		*len += (size_t)r;
	}
	buf[*len] = '\0';
	*text = buf;
	return -1;
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
	if (send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n || send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return 2;
	}
	int rc = control_read_all(fd, timeout_s, &text, &len);
	close(fd);
	if (rc < 0 && len == 0) {
		snprintf(err, errlen, "no answer from the daemon at %s within %.0f s", path, timeout_s);
		free(text);
		return 2;
	}
	rc = control_verdict(text, len, out, errout);
	free(text);
	return rc;
}
