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
/* mkdir -p with a mode; 0 or -1 with err. */
int state_mkdirs(const char *path, unsigned mode, char *err, size_t errlen);

#endif
