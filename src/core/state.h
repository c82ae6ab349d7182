/* SPDX-License-Identifier: ISC */
/* What must survive a restart or a cold move, in state_dir/state, written atomically. */
#ifndef VMM_STATE_H
#define VMM_STATE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct agent_state {
	char location[128];        /* where the VM is, as last known */
	int location_confirmed;    /* the endpoint said so (not just assumed) */
	char pending_action[32];   /* a request sent and not yet answered */
	char pending_target[128];
	int64_t pending_since;     /* epoch seconds */
	uint64_t pending_id;       /* its name for the endpoint (recover); 0 none */
	char last_action[32], last_target[128], last_outcome[32], last_detail[256];
	int64_t last_request_time; /* epoch seconds */
	double last_duration;      /* seconds the last move took, when measured */
	uint64_t requests, confirmed, failed, unconfirmed;
	uint64_t refused;            /* by the provider (the broker): no outcome of a move */
	int64_t refused_until;       /* epoch seconds: the provider's retry-after runs until then */
	char refused_why[160];       /* its reason */
};

/* 1 when there is no state yet, 0 when loaded, -1 with err. */
int state_load(const char *dir, struct agent_state *st, char *err, size_t errlen);
/* Write to a temporary file, fsync, rename over, fsync the directory. */
int state_save(const char *dir, const struct agent_state *st, char *err, size_t errlen);
/* Replace dir/name by what write() puts in a temporary file, with the same care. */
int state_replace(const char *dir, const char *name, int (*write)(FILE *, const void *),
    const void *arg, char *err, size_t errlen);
/* A record in one block of STATE_BLOCK_SIZE bytes, dirfd/name, overwritten in place and
 * fdatasync'ed: durable at the cost of one block's write, where state_replace's rename
 * costs two journal commits. text: whole lines, short of the block by its checksum's
 * line. The file is the caller's user's own regular file (O_NOFOLLOW); the first write
 * makes it and its directory entry durable too. 0 or -1 with err. */
#define STATE_BLOCK_SIZE 512
int state_block_write(int dirfd, const char *name, const char *text, char *err, size_t errlen);
/* The text written (NUL-terminated, at most cap): 0; 1 none, or a block a crash cut short
 * (its checksum fails: its fdatasync never returned); -1 with err. */
int state_block_read(int dirfd, const char *name, char *text, size_t cap, char *err, size_t errlen);
/* The request about to be made, a block in dir/request: durable before the endpoint is
 * called, at the cost of one block's write (the state file is written once the call is
 * under way). number is the agent's request count with it: the record tells more than
 * the state file only when its number is greater. */
struct state_request {
	uint64_t number;
	char action[32], target[128];
	int64_t since;             /* epoch seconds */
	uint64_t id;               /* the request's name for the endpoint; 0 none */
};
/* 0 or -1 with err. */
int state_request_write(const char *dir, const struct state_request *r, char *err, size_t errlen);
/* 0 loaded; 1 none, or a record a crash cut short (its checksum fails: its fdatasync had
 * not returned, so the call it announced was never made); -1 with err. */
int state_request_load(const char *dir, struct state_request *r, char *err, size_t errlen);
/* A record newer than st (a crash after it and before the state file): the request it
 * announced is the pending one. 1 when it was newer, else 0 and st unchanged. */
int state_request_apply(struct agent_state *st, const struct state_request *r);
/* mkdir -p with a mode; 0 or -1 with err. */
int state_mkdirs(const char *path, unsigned mode, char *err, size_t errlen);

#endif
