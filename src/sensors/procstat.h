/* SPDX-License-Identifier: ISC */
/* Reading small /proc files for the steal and load sensors. */
#ifndef VMM_PROCSTAT_H
#define VMM_PROCSTAT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads path into buf (NUL-terminated). 0, or -1 with why filled. */
static inline int
procstat_read(const char *path, char *buf, size_t len, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(why, whylen, "%s: %s", path, n < 0 ? strerror(errno) : "empty");
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

#endif
