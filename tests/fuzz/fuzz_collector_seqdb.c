/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/collector/seqdb.c src/collector/htab.c src/collector/frame.c src/common/wire.c src/common/log.c src/collector/output.c src/collector/escape.c src/common/strutil.c src/common/buf.c */
/* fuzz-pkgs: libsodium */
/* libFuzzer target: seq.state is written by the collector's service user, and a crash
 * can tear its journal anywhere: loading any bytes must give an error or a table the
 * batch cycle can go on with, never a crash or a leak. */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-seqdb.XXXXXX";
static char path[sizeof(dir) + 16], outpath[sizeof(dir) + 16];

static void
cleanup(void)
{
	char tmp[sizeof(dir) + 32];

	snprintf(tmp, sizeof(tmp), "%s/seq.state.tmp", dir);
	unlink(tmp);
	unlink(path);
	unlink(outpath);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collector_seqdb *db;
	struct collector_output *out;
	char err[512];
	uint64_t gap;
	int fd;

	if (path[0] == '\0') {
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/seq.state", dir);
		snprintf(outpath, sizeof(outpath), "%s/out.log", dir);
		log_init("vmmanage-collector", 1, 0);
		atexit(cleanup);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if ((db = collector_seqdb_open(dir, 16, err, sizeof(err))) == NULL)
		return 0;
	/* an OUTPUT of 150 bytes: the recovery may cut it */
	if ((fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    ftruncate(fd, 150) < 0 || (out = collector_output_open(outpath, NULL, err, sizeof(err))) == NULL)
		abort();
	close(fd);
	if (collector_seqdb_recover(db, out, err, sizeof(err)) < 0) {
		collector_output_close(out);
		collector_seqdb_free(db);
		return 0;
	}
	/* the batch cycle on what was loaded */
	collector_seqdb_last(db, "host1", "b1");
	if (collector_seqdb_accept(db, "host1", "b1", 7, &gap) < 0)
		abort();
	if (collector_seqdb_prepare(db, 1, 2, 0, 100, err, sizeof(err)) == 0)
		collector_seqdb_commit(db);
	if (collector_seqdb_last(db, "host1", "b1") != 7 && collector_seqdb_dirty(db) == 0)
		abort();
	collector_seqdb_free(db);
	collector_output_close(out);
	return 0;
}
