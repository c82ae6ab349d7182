/* SPDX-License-Identifier: ISC */
/* Endpoint module ABI: asks the virtualization layer to move this VM. */
#ifndef VMMANAGE_ENDPOINT_H
#define VMMANAGE_ENDPOINT_H

#include <vmmanage/module.h>

/* A field appended to struct vmm_endpoint_ops keeps the version (the loader accepts a
 * larger size); any other change to a struct a module fills (vmm_move_result, the
 * vmm_host_hint array) is a new version, and a module built for another is refused.
 * 2: vmm_host_hint has incoming and vm_memory.
 * 3: VMM_MOVE_REFUSED and vmm_move_result's retry_after; vmm_host_hint has draining and
 *    leave_in.
 * 4: vmm_move_request has id; VMM_MOVE_NOT_MADE. */
#define VMM_ENDPOINT_ABI 4

enum vmm_move_outcome {
	VMM_MOVE_CONFIRMED,   /* the endpoint saw the VM on the target */
	VMM_MOVE_UNCONFIRMED, /* accepted, but where the VM runs now is not known */
	VMM_MOVE_FAILED,
	/* the provider (vmmanage-broker) did not admit the move: nothing was tried, no
	 * host is at fault; no new request before retry_after (ABI 3) */
	VMM_MOVE_REFUSED,
	/* recover only: the request never reached the layer (the caller stopped before
	 * it was sent), so nothing was tried (ABI 4) */
	VMM_MOVE_NOT_MADE
};

/* Why a move failed; decides retry and backoff. */
enum vmm_failure {
	VMM_FAIL_NONE = 0,
	VMM_FAIL_UNREACHABLE, /* host refused or unreachable */
	VMM_FAIL_TIMEOUT,
	VMM_FAIL_UNSUPPORTED, /* operation not supported */
	VMM_FAIL_REFUSED,     /* the migration itself was refused */
	VMM_FAIL_CONFIG,      /* our configuration is wrong: retrying will not help */
	VMM_FAIL_OTHER
};

struct vmm_move_request {
	enum vmm_action action;
	const char *source;  /* where the agent believes the VM is; may be "" */
	const char *target;
	int cross_site;      /* between arrays: no shared storage */
	uint64_t id;         /* the request's name across the caller's restarts, the same
	                      * in move and in recover; 0: none given (ABI 4) */
};

struct vmm_move_result {
	enum vmm_move_outcome outcome;
	enum vmm_failure failure;
	int permanent;       /* retrying the same target will not help */
	char location[128];  /* where the VM runs now, when the endpoint knows */
	double duration;     /* seconds the move took, when measured */
	char detail[512];    /* the endpoint's own words */
	double retry_after;  /* VMM_MOVE_REFUSED: seconds before asking again (ABI 3) */
};

/* What a host offered when the endpoint last looked; -1 for what it cannot tell. */
struct vmm_host_hint {
	const char *host;     /* the configured name; valid until the next call into the module */
	int64_t free_memory;  /* bytes */
	double cpu_idle;      /* 0..1, over the time between its last two looks */
	int incoming;         /* migrations arriving at the host (ABI 2) */
	int64_t vm_memory;    /* bytes: this VM's memory, on the host that runs it (ABI 2) */
	int draining;         /* the provider drains the host: no target; leave it (ABI 3) */
	double leave_in;      /* draining: seconds until the provider moves the VM off it
	                       * itself; -1 no deadline (ABI 3) */
};

struct vmm_endpoint_ops {
	uint32_t abi;  /* VMM_ENDPOINT_ABI */
	uint32_t size; /* sizeof(struct vmm_endpoint_ops) */
	const char *name;
	const char *summary;
	const char *const *keys;
	int (*init)(const struct vmm_host *host, const struct vmm_conf *conf, void **state,
	    char *err, size_t errlen);
	/* Blocking; runs off the event loop; one at a time. */
	void (*move)(void *state, const struct vmm_move_request *req, struct vmm_move_result *res);
	/* Optional (NULL): where the VM runs now. 0 with host filled, or -1 with err. */
	int (*locate)(void *state, char *host, size_t hostlen, char *err, size_t errlen);
	void (*fini)(void *state);
	/* Optional (NULL): what the hosts offered at the last locate or move, from memory,
	 * without asking them again (it runs on the loop thread). Returns how many filled. */
	size_t (*hints)(void *state, struct vmm_host_hint *out, size_t max);
	/* Optional (NULL): a move asked for before the caller restarted (req: its target
	 * and id; source "") may still be under way: wait for its end, never start one, and
	 * say how it ended, as move does. Blocking; runs off the event loop. */
	void (*recover)(void *state, const struct vmm_move_request *req, struct vmm_move_result *res);
};

const struct vmm_endpoint_ops *vmm_endpoint_entry(void);

#endif
