/* SPDX-License-Identifier: ISC */
/* Files that hold a secret (a key, a password), opened safely against other local users.
 * Plain C with no dependency on the agent core, so the agent, its modules and the
 * collector all link it (src/common/libvmmcommon.la). */
#ifndef VMM_SECRET_H
#define VMM_SECRET_H

#include <stddef.h>

/* Opens `path` for reading with O_NOFOLLOW|O_CLOEXEC (a symbolic link is refused) and
 * checks the opened descriptor, not the name, so nothing can be swapped in between: it
 * must be a regular file, owned by root or by the process's effective user, with no
 * access at all for its group or others (mode 0600 or 0400).
 *
 * `what` names the file in messages, usually its config key ("collector_key_file",
 * "keys_file"). Returns the descriptor, which the caller closes (fdopen(fd, "r") for
 * stdio), or -1 with err saying what is wrong and how to mend it, for example
 *   "collector_key_file /etc/vmmanage/agent.key holds a secret and is readable by
 *    others: run chmod go-rwx /etc/vmmanage/agent.key"
 * Thread-safe; never blocks on a FIFO. */
int secret_open(const char *path, const char *what, char *err, size_t errlen);

/* secret_open and close: for a file a library reads later by name (libmariadb's option
 * file). 0, or -1 with err as above. */
int secret_check(const char *path, const char *what, char *err, size_t errlen);

/* A directory that holds private state (the agent's spool): the opened directory `fd`
 * must be owned by root or the effective user and writable by no one else (no group or
 * other write, so no one else can plant or swap a file in it). 0, or -1 with err naming
 * `what` and `path` and saying how to mend it (chown, chmod go-w). */
int secret_check_dir(int fd, const char *path, const char *what, char *err, size_t errlen);

#endif
