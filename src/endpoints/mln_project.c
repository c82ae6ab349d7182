/* SPDX-License-Identifier: ISC */
/* The mln endpoint's project files on disk: written atomically, and never over a file
 * that is not vmmanage's own. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mln.h"

/* The directory of path, opened, and the file's name in it; -2 when it does not exist. */
static int
mln_open_dir(const char *path, const char **base, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	*base = slash ? slash + 1 : path;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return snprintf(err, errlen, "mln_project_dir %s does not exist", dir), -2;
	if (dfd < 0)
		return snprintf(err, errlen, "mln_project_dir %s: %s", dir, strerror(errno)), -1;
	struct stat st;
	/* anyone who may rename in it could swap our file for theirs after we checked */
	if (fstat(dfd, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen, "mln_project_dir %s is writable by everyone: make it 0755 and owned by the agent's user", dir);
		close(dfd);
		return -1;
	}
	return dfd;
}

/* Whether base in dfd is absent or vmmanage's own. */
static int
mln_check_own(int dfd, const char *base, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char head[sizeof(MLN_MARK) - 1];

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 :
		    (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is %s: vmmanage writes only its own project files; move it away, or set mln_project_mode = \"own\" to use the files there as they are",
		    path, !S_ISREG(st.st_mode) ? "not a regular file (a symlink?)" : "owned by another user");
		return -1;
	}
	int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof(head));
	if (fd >= 0)
		close(fd);
	if (n == (ssize_t)sizeof(head) && memcmp(head, MLN_MARK, sizeof(head)) == 0)
		return 0;
	snprintf(err, errlen, "%s was not written by vmmanage (its first line is not \"%s...\"): move it away, or set mln_project_mode = \"own\" to use the files there as they are",
	    path, MLN_MARK);
	return -1;
}

int
mln_project_writable(const char *path, char *err, size_t errlen)
{
	const char *base;
	int dfd = mln_open_dir(path, &base, err, errlen);

	if (dfd < 0)
		return dfd == -2 ? 0 : -1; /* made with the state directory, before any move */
	int rc = mln_check_own(dfd, base, path, err, errlen);
	close(dfd);
	return rc;
}

static int
mln_write_all(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

int
mln_project_write(const char *path, const char *text, char *err, size_t errlen)
{
	const char *base;
	char tmp[512];
	int dfd = mln_open_dir(path, &base, err, errlen), fd = -1;

	if (dfd < 0 || mln_check_own(dfd, base, path, err, errlen) < 0)
		goto fail;
	snprintf(tmp, sizeof(tmp), ".%.400s.%ld.tmp", base, (long)getpid());
	/* a leftover of ours from a crash; never a file someone put there */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) == 0)
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create its temporary file: %s", path, strerror(errno));
		goto fail;
	}
	int rc = mln_write_all(fd, text), saved = errno;
	if (close(fd) < 0 && rc == 0)
		rc = -1, saved = errno;
	fd = -1;
	if (rc == 0 && renameat(dfd, tmp, dfd, base) < 0)
		rc = -1, saved = errno;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	(void)fsync(dfd);
	close(dfd);
	return 0;
fail:
	if (fd >= 0) {
		close(fd);
		unlinkat(dfd, tmp, 0);
	}
	if (dfd >= 0)
		close(dfd);
	return -1;
}
