/* SPDX-License-Identifier: ISC */
/* Opening files that hold a secret: see secret.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secret.h"

/* The name chown takes for uid (numeric when the user database has none). */
static void
secret_user_name(uid_t uid, char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, outlen, "%s", pw.pw_name);
	else
		snprintf(out, outlen, "%lu", (unsigned long)uid);
}

/* Who besides the owner may touch the file, worst first: "writable by others". */
static const char *
secret_exposure(mode_t mode)
{
	if (mode & S_IWOTH)
		return "writable by others";
	if (mode & (S_IROTH | S_IXOTH))
		return "readable by others";
	if (mode & S_IWGRP)
		return "writable by its group";
	return "readable by its group";
}

/* Owned by root or by us; else -1 with err saying what the file holds and whose it is. */
static int
secret_check_owner(const struct stat *st, const char *path, const char *what,
    const char *holds, char *err, size_t errlen)
{
	uid_t me = geteuid();
	char name[64];

	if (st->st_uid == 0 || st->st_uid == me)
		return 0;
	secret_user_name(me, name, sizeof(name));
	snprintf(err, errlen, "%s %s holds %s and is owned by uid %lu, neither root nor this "
	    "daemon's user: run chown %s %s", what, path, holds, (unsigned long)st->st_uid,
	    name, path);
	return -1;
}

static int
secret_check_fd(int fd, const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		return -1;
	}
	if (secret_check_owner(&st, path, what, "a secret", err, errlen) < 0)
		return -1;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s %s holds a secret and is %s: run chmod go-rwx %s", what,
		    path, secret_exposure(st.st_mode), path);
		return -1;
	}
	return 0;
}

int
secret_open(const char *path, const char *what, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted by the name must not hang the open; it is then
	 * refused as not a regular file */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "%s %s is a symbolic link, which a file holding a "
			    "secret may not be: name the file itself", what, path);
		else
			snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (secret_check_fd(fd, path, what, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

int
secret_check(const char *path, const char *what, char *err, size_t errlen)
{
	int fd = secret_open(path, what, err, errlen);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
secret_check_dir(int fd, const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a directory", what, path);
		return -1;
	}
	if (secret_check_owner(&st, path, what, "private state", err, errlen) < 0)
		return -1;
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s %s holds private state and is writable by %s: run "
		    "chmod go-w %s", what, path, (st.st_mode & S_IWOTH) ? "others" : "its group", path);
		return -1;
	}
	return 0;
}
