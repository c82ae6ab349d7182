/* SPDX-License-Identifier: ISC */
/* vmmanage-broker: the provider's side of a move. Its settings, its VMs and hosts, the
 * admission rules, the agent connections and the endpoint module it hosts. */
#ifndef VMM_BROKER_H
#define VMM_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include <vmmanage/endpoint.h>

#include "common/wire.h"

#define BROKER_DEFAULT_PORT 31100
#define BROKER_MAX_VMS 4096
#define BROKER_MAX_HOSTS 1024
#define BROKER_MAX_BUDGET 64          /* moves per hour: the window keeps this many starts */
#define BROKER_MAX_TENANT_BUDGET 1024  /* a tenant's moves per hour, likewise */
#define BROKER_MAX_DRAIN_DEADLINE (7 * 86400.0)
/* WHERE and HOSTS within this many seconds of the endpoint's last look are answered from
 * it: an agent may ask every cycle without a hypervisor query each time */
#define BROKER_LOCATE_CACHE 5.0

struct ev_loop;
struct worker;
struct module;
struct vmm_conf;
struct broker_conn;
struct metrics_http;

/* A tenant: the VMs whose files name it share its budget of moves per hour. */
struct broker_tenant {
	char *name;
	double starts[BROKER_MAX_TENANT_BUDGET];  /* monotonic times of its VMs' last moves */
	size_t nstarts;
};

/* A host that some VM may use. */
struct broker_host {
	char *name;
	int incoming;                /* migrations to it in flight */
	int draining;
	double drain_deadline;       /* monotonic: the provider moves what is left; 0 none */
	struct ev_timer *drain_timer;
};

#define BROKER_MOVES_KEPT 8           /* each VM's last moves in the record */

/* An admitted move, as the record keeps it (moves.c). */
struct broker_move {
	uint64_t id;                 /* the agent's ID for it; 0: none given */
	int action, cross_site;
	char target[WIRE_MAX_HOST + 1];
	int64_t started;             /* wall clock, seconds */
	int done;
	struct wire_bans ans;        /* once done: its answer */
};

struct broker_vm {
	char *name;                  /* as the agent authenticates: its keys_file name */
	struct vmm_conf *conf;       /* vm_dir/NAME.conf: the endpoint's settings */
	void *ep;                    /* the endpoint's state for this VM */
	uint8_t key[WIRE_KEY_BYTES];
	int has_key;
	char **allowed;              /* hosts, base, home, away of its file: its hosts */
	size_t nallowed;
	int64_t budget;              /* moves per hour; 0: no limit */
	struct broker_tenant *tenant; /* NULL: none */
	double starts[BROKER_MAX_BUDGET];  /* monotonic times of its last moves */
	size_t nstarts;
	struct worker *w;            /* its endpoint calls, one at a time */
	char location[128];          /* "" unknown */
	double located_at;           /* monotonic: the endpoint's last word on it; 0 never */
	char evict_from[WIRE_MAX_HOST + 1]; /* the provider's own move: only from this host */
	int evict_stuck;             /* past a drain's deadline with nowhere to go: said once */
	char target[WIRE_MAX_HOST + 1];  /* the move in flight, "" none */
	struct broker_conn *waiting; /* the connection the running job answers, or NULL */
	uint64_t waiting_seq;
	/* the job's own copy of its request and result */
	struct wire_breq job_rq;
	struct vmm_move_result job_res;
	int job_rc;
	char job_err[256];
	double job_started;
	uint64_t job_id;             /* the move in flight's ID (0: none given) */
	int job_recovering;          /* it was in flight at the last stop: looked for */
	struct broker_move *moves;   /* its last moves, oldest first (moves.c) */
	size_t nmoves;
};

/* Why a move is refused, as vmmanage_broker_refused_total's reason label says it. */
enum admit_reason { ADMIT_OK, ADMIT_NOT_ALLOWED, ADMIT_DRAINING, ADMIT_BUSY,
	ADMIT_MAX_INCOMING, ADMIT_MOVES_PER_HOUR, ADMIT_TENANT_MOVES_PER_HOUR, ADMIT__N };
extern const char *const admit_reason_names[ADMIT__N];

/* What /metrics and status --json count (metrics.c renders them). */
#define BROKER_MOVE_BUCKETS { 1, 5, 10, 30, 60, 120, 300, 600 }
struct broker_stats {
	uint64_t requests[4];        /* by enum wire_breq_kind */
	uint64_t admitted;
	uint64_t refused[ADMIT__N];  /* by enum admit_reason */
	uint64_t outcomes[3];        /* by enum vmm_move_outcome: confirmed, unconfirmed, failed */
	uint64_t duration_buckets[8], duration_count;
	double duration_sum;
	uint64_t peers_refused;      /* bad handshakes, MACs, replays, max_clients */
};

struct broker {
	/* settings */
	struct vmm_conf *conf;
	const char *conf_path;
	char *listen_host, *listen_port;
	const char *keys_file, *vm_dir, *endpoint, *module_dir;
	const char *control_socket, *pid_file, *user;
	const char *collector, *collector_key_file, *state_dir, *hostname;
	int64_t max_incoming, moves_per_hour, tenant_moves_per_hour, max_clients;
	double retry_after, client_timeout;
	/* state */
	struct module *mod;
	const struct vmm_endpoint_ops *ops;
	struct broker_vm *vms;
	size_t nvms;
	struct broker_host *hosts;
	size_t nhosts;
	struct broker_tenant **tenants;
	size_t ntenants;
	struct ev_loop *loop;
	int listen_fd, control_fd;
	size_t nclients;
	struct broker_conn *conns;   /* every agent connection, for the end */
	const char *metrics_listen;  /* "ADDRESS:PORT", NULL: no /metrics */
	int metrics_fd;
	struct metrics_http *metrics;
	struct broker_stats st;
	double started;
};

/* ---- config.c ---- */
/* The broker's own file (conf_path), then its keys_file and each VM's file in vm_dir,
 * loading the endpoint module. 0, or -1 with err naming file and line. */
int broker_config_load(struct broker *b, const char *conf_path, char *err, size_t errlen);
/* Only the settings the CLI needs (control_socket). */
int broker_config_settings(struct broker *b, const char *conf_path, char *err, size_t errlen);
void broker_config_free(struct broker *b);
struct broker_vm *broker_vm_find(struct broker *b, const char *name);
struct broker_host *broker_host_find(struct broker *b, const char *name);
int broker_vm_allows(const struct broker_vm *vm, const char *host);

/* ---- admit.c: the provider's rules, pure (no clock, no I/O) ---- */
struct admit_input {
	int allowed;                 /* the target is one of the VM's hosts */
	int vm_busy;                 /* a request of this VM is in progress */
	int draining;                /* the target is being drained */
	int incoming, max_incoming;  /* migrations to the target in flight, and the cap */
	const double *starts;        /* the VM's last move starts */
	size_t nstarts;
	int64_t budget;              /* moves per hour, 0: none */
	const char *tenant;          /* NULL: none; else its starts and budget below */
	const double *tenant_starts;
	size_t tenant_nstarts;
	int64_t tenant_budget;
	double now, retry_after;
	const char *target;
	enum admit_reason *reason;   /* when not NULL: gets why (ADMIT_OK when admitted) */
};
/* 0 when admitted; -1 with why and the seconds after which asking again makes sense. */
int admit_move(const struct admit_input *in, char *why, size_t whylen, double *retry);
/* Starts within the last hour, and the oldest of them (oldest may be NULL): what the
 * budgets count, and what status shows. */
size_t admit_window(const double *starts, size_t nstarts, double now, double *oldest);
/* Records a start in a window of cap starts (the oldest falls out). */
void admit_record(double *starts, size_t *nstarts, size_t cap, double now);

/* ---- drain_args.c: pure ---- */
/* "90", "90s", "10m", "1.5h" (len bytes at s): 0 with the seconds, or -1. */
int broker_parse_duration(const char *s, size_t len, double *out);
/* "HOST[ --deadline DURATION]": 0 with host and the deadline in seconds (-1: none). */
int broker_drain_args(const char *args, char *host, size_t hostlen, double *deadline,
    char *err, size_t errlen);

/* ---- drain.c: maintenance ---- */
/* drain (with a deadline in seconds, or -1) or undrain a host: the answer in out. */
size_t broker_drain(struct broker *b, int drain, const char *args, char *out, size_t cap);
/* Seconds until the provider moves what is left on h itself; -1 no deadline. */
double broker_drain_left(const struct broker_host *h);
void broker_drain_stop(struct broker *b);

/* ---- server.c: agents over TCP ---- */
int broker_listen(struct broker *b, char *err, size_t errlen);
void broker_server_start(struct broker *b);
/* Closes every connection and the listening socket. */
void broker_server_stop(struct broker *b);
/* A job of vm ended: answer its connection (if still there). */
void broker_conn_answer(struct broker *b, struct broker_conn *c, uint64_t seq,
    const char *payload, size_t len);
void broker_conn_detach(struct broker_conn *c);

/* ---- vm.c: the endpoint's calls, on each VM's worker ---- */
/* What the authenticated VM asks; answers through broker_conn_answer, now or later. */
void broker_vm_request(struct broker *b, struct broker_vm *vm, struct broker_conn *c,
    uint64_t seq, const struct wire_breq *rq, const char *peer);
/* The provider's own move of vm to target (a drain's deadline passed): the VM is
 * located first and moved only if it still runs on from. 0, or -1 when busy. */
int broker_vm_evict(struct broker *b, struct broker_vm *vm, const char *from, const char *target);
/* Before the first request: the loop the workers report to. */
void broker_vm_init(struct broker *b);
/* After broker_moves_open, before agents are heard: a move the record holds unfinished
 * was in flight when the broker stopped; each is looked for in the endpoint, and its
 * outcome kept for the agent that asks (OUTCOME, or its MOVE again). */
void broker_vm_recover(struct broker *b);
void broker_vm_stop(struct broker *b);

/* ---- moves.c: the record of admitted moves in state_dir, read back at start ---- */
/* After the privilege drop: opens state_dir (the broker user's) and reads each VM's
 * record. 0, or -1 with err. */
/* moves_line.c, pure: "ID ACTION TARGET CROSS STARTED -" (running) or "... DONE ..." (the
 * answer). The line's length with its newline, 0 when it does not fit. */
size_t broker_moves_format(char *out, size_t cap, const struct broker_move *m);
/* A line (len bytes, no newline) into m: 0, or -1 when it is no record of a move. */
int broker_moves_parse(const char *line, size_t len, struct broker_move *m);
int broker_moves_open(struct broker *b, char *err, size_t errlen);
void broker_moves_close(struct broker *b);
struct broker_move *broker_moves_find(struct broker_vm *vm, uint64_t id);
struct broker_move *broker_moves_add(struct broker_vm *vm, const struct broker_move *m);
/* Before the move starts: recorded unfinished (written, synced). 0, or -1. */
int broker_moves_begin(struct broker_vm *vm, const struct wire_breq *rq);
/* When it ended: its answer in the record. */
void broker_moves_end(struct broker_vm *vm, uint64_t id, const char *target,
    const struct wire_bans *a);

/* ---- events.c: the broker's events, to its log and the collector ---- */
/* After the privilege drop: the spool in state_dir is the broker user's. */
int broker_events_start(struct broker *b, char *err, size_t errlen);
void broker_event(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void broker_events_stop(void);

/* ---- metrics.c: /metrics and status --json ---- */
int broker_metrics_start(struct broker *b, char *err, size_t errlen);
/* The move that ended after `seconds`, for the duration histogram. */
void broker_metrics_move(struct broker *b, int outcome, double seconds);
/* status --json, into out (cap bytes); its length. */
size_t broker_status_json(struct broker *b, char *out, size_t cap);

/* ---- control.c: the control socket and the CLI ---- */
int broker_control_open(struct broker *b, char *err, size_t errlen);
void broker_control_close(struct broker *b);
/* CLI: send `line`, print the answer. Exit status. */
int broker_control_client(const char *path, const char *line);

#endif
