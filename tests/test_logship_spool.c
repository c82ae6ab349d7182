/* SPDX-License-Identifier: ISC */
/* Unit tests of logship's spool: order, reopen, ack trimming, torn tail, bounded size with
 * a counted drop notice. TAP output. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logship/logship_spool.h"

#include "tap.h"

#define CHECK(cond, ...) TAP_OK(cond, __VA_ARGS__)

static char dir[256];

/* Reads every record from the cursor on; returns how many, and checks they are in order. */
static int
read_all(struct lspool *sp, struct lspool_cursor *cur, uint64_t *first, int *ordered, char *lastmsg)
{
	struct lspool_rec r;
	char buf[9000];
	int n = 0;
	uint64_t prev = 0;

	*ordered = 1;
	while (lspool_read(sp, cur, &r, buf, sizeof(buf)) == 1) {
		if (n == 0)
			*first = r.seq;
		if (prev && r.seq != prev + 1)
			*ordered = 0;
		prev = r.seq;
		strcpy(lastmsg, buf);
		n++;
	}
	return n;
}

int
main(void)
{
	char err[256], msg[64], last[9000];
	struct lspool_cursor cur = { 0 };
	uint64_t first = 0;
	int ordered;

	snprintf(dir, sizeof(dir), "%s/spool-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 99;
	struct lspool *sp = lspool_open(dir, 64 * 1024, 0, err, sizeof(err));
	CHECK(sp != NULL, "open a new spool (%s)", sp ? "" : err);
	char boot[17];
	strcpy(boot, lspool_boot(sp));
	for (int i = 1; i <= 100; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		lspool_append(sp, 1000 + i, msg, strlen(msg));
	}
	CHECK(lspool_next_seq(sp) == 101 && lspool_pending(sp) == 100, "100 appended");
	int n = read_all(sp, &cur, &first, &ordered, last);
	CHECK(n == 100 && first == 1 && ordered && strcmp(last, "message 100") == 0, "read back in order");
	lspool_close(sp);

	sp = lspool_open(dir, 64 * 1024, 0, err, sizeof(err));
	CHECK(sp && strcmp(lspool_boot(sp), boot) == 0 && lspool_next_seq(sp) == 101,
	    "reopen keeps the boot id and the sequence");
	lspool_ack(sp, 60);
	cur = (struct lspool_cursor){ 0 };
	n = read_all(sp, &cur, &first, &ordered, last);
	CHECK(n == 40 && first == 61, "after ack 60 the sender resumes at 61 (%d from %llu)", n,
	    (unsigned long long)first);
	lspool_close(sp);

	/* a torn append: half a record at the end of the newest segment */
	char path[512];
	snprintf(path, sizeof(path), "%s/spool.%016llx", dir, 1ULL);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "101 1200 50\nhalf", 16) == 16, "simulate a torn record");
	close(fd);
	sp = lspool_open(dir, 64 * 1024, 0, err, sizeof(err));
	CHECK(sp && lspool_next_seq(sp) == 101, "torn record cut on reopen");
	lspool_append(sp, 2000, "after the tear", 14);
	cur = (struct lspool_cursor){ .seq = 101 };
	n = read_all(sp, &cur, &first, &ordered, last);
	CHECK(n == 1 && first == 101 && strcmp(last, "after the tear") == 0, "the next record follows cleanly");

	/* overflow: 64 KiB spool, ~ 1000 records of 100 bytes, nothing acked past 60 */
	char big[101];
	memset(big, 'x', 100);
	big[100] = '\0';
	for (int i = 0; i < 1000; i++)
		lspool_append(sp, 3000, big, 100);
	CHECK(lspool_bytes(sp) <= 64 * 1024, "spool bounded (%llu bytes)", (unsigned long long)lspool_bytes(sp));
	CHECK(lspool_dropped(sp) > 0, "oldest dropped and counted (%llu)", (unsigned long long)lspool_dropped(sp));
	cur = (struct lspool_cursor){ 0 };
	struct lspool_rec r;
	char buf[9000];
	int notes = 0;
	uint64_t noted = 0;
	while (lspool_read(sp, &cur, &r, buf, sizeof(buf)) == 1)
		if (strncmp(buf, "logship: spool full", 19) == 0) {
			unsigned long long k;
			notes++;
			if (sscanf(strstr(buf, "dropped the "), "dropped the %llu", &k) == 1)
				noted += k;
		}
	CHECK(notes > 0, "a drop notice is in the spool (%d)", notes);
	/* every dropped message is accounted for by a notice still in the spool, or by one
	 * dropped itself (whose own count is then in dropped) */
	CHECK(noted <= lspool_dropped(sp), "notices count no more than was dropped");
	lspool_close(sp);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	return tap_done();
}
