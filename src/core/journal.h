/* SPDX-License-Identifier: ISC */
/* The events vmmanage logs, said once: each kind's typed fields, its words in the thesis's
 * line (Appendix A.2: old log readers still match), the JSON line and the collector's
 * message, and the parser vmmanage-report reads them back with. The daemon and the
 * simulator format through here, so they cannot word an event differently. */
#ifndef VMM_JOURNAL_H
#define VMM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmmanage/endpoint.h>
#include <vmmanage/policy.h>

enum journal_kind {
	JOURNAL_NOTE = 0,    /* free text under its own event name (reload, sensor, queue...) */
	JOURNAL_START,       /* "Starting VMManage 1.0: policy P, sensor S, endpoint E" */
	JOURNAL_SIM_START,   /* "Starting VMManage (simulated): policy P on HOST" */
	JOURNAL_STOP,        /* "Stopping VMManage" */
	JOURNAL_MIGRATION,   /* "Requesting migration of VM: just moving" */
	JOURNAL_REQUEST,     /* "Now using X (why)", "Now using X —moving to Base (why)" */
	JOURNAL_CHOICE,      /* "Chose X: why" */
	JOURNAL_CONFIRMED,   /* "Move to X confirmed in 12.5 s" */
	JOURNAL_UNCONFIRMED, /* "Move to X unconfirmed: detail" */
	JOURNAL_FAILED,      /* "Move to X failed (timeout): detail; backing off X for 60 s (...)" */
	JOURNAL_SUPPRESSED,  /* "Suppressed move to X from policy: why" */
	JOURNAL_RECOMMEND,   /* "Recommend move to X (reason): not acting, mode recommend" */
	JOURNAL_WARNING,     /* "Warning: ..." (a ping-pong, the breaker) */
	JOURNAL_EFFICACY,    /* "Efficacy of the move A -> B: mean 60 before, 10 after: gain 50" */
	JOURNAL_LOCATION,    /* "The endpoint reports the VM on X (cached: Y)" */
	JOURNAL_CYCLE,       /* "cycle mysql_slow=76 count=1 threshold=50 action=move location=h1" */
	JOURNAL_REFUSED,     /* "Move to X refused by the provider: why; no new request for 30 s" */
	JOURNAL__N
};

struct journal_event {
	enum journal_kind kind;
	const char *name;            /* the JSON event name where the kind has several (NOTE, WARNING) */
	union {
		struct { const char *text; } note;                     /* NOTE, WARNING */
		struct { const char *version, *policy, *sensor, *endpoint; } start;
		struct { const char *policy, *host; } sim_start;
		struct { enum vmm_action action; } migration;
		struct { enum vmm_action action; const char *target, *why; } request;
		struct { const char *target, *why; } choice;
		struct { const char *target; double seconds; const char *detail; } confirmed;
		struct { const char *target, *detail; } unconfirmed;
		struct { const char *target, *detail; double retry_after; } refused;
		struct {
			const char *target, *detail;
			enum vmm_failure failure;
			double wait;         /* seconds of backoff; < 0: passed over for good */
			int failures;        /* in a row, this one included */
		} failed;
		struct {
			enum vmm_action action;
			const char *target, *origin, *why;
			int in_flight;       /* refused because a move is in flight */
		} suppressed;
		struct { enum vmm_action action; const char *target, *reason, *choice, *why; } recommend;
		struct { const char *from, *to; double before, after, gain; } efficacy;
		struct { const char *host, *cached; } location;
		struct {
			const char *sensor, *location;
			int known;
			double value, threshold, lowthreshold;
			int64_t count, lowcount;
			int has_low;
			enum vmm_action action;
		} cycle;
	} u;
};

/* The event's name in the JSON log ("request", "failed"...). */
const char *journal_name(const struct journal_event *e);
/* The message: the thesis line's text after "host: ", and what the collector is sent. */
void journal_message(const struct journal_event *e, char *buf, size_t len);
/* A recommendation's "move to h2 (reason); choice", as `vmmanage status` shows it; the
 * log line says at most JOURNAL_RECOMMENDATION - 1 bytes of it too. */
#define JOURNAL_RECOMMENDATION 512
void journal_recommendation(const struct journal_event *e, char *buf, size_t len);
/* The lines an action's request is announced with (Appendix A.2): one or two events. */
size_t journal_request(enum vmm_action act, const char *target, const char *why,
    struct journal_event out[2]);

/* Why a request is held (src/core/quiet.c): "quiet window Mon-Fri 02:00-03:00 until
 * 03:00", "splay: ..."; and the note an administrator's action through a window gets. */
void journal_quiet_why(char *buf, size_t len, const char *window, const char *until);
void journal_splay_why(char *buf, size_t len, double offset, double left);
void journal_quiet_through(char *buf, size_t len, enum vmm_action act, const char *target,
    const char *why);
/* Why the VM leaves its host although the policy asks for nothing: "h2 is being drained by
 * the provider: leaving it (the provider moves the VM itself in 540 s)". */
void journal_drain_why(char *buf, size_t len, const char *host, double leave_in);

/* The thesis's date, as date(1) prints it in local time: "Wed May 13 18:07:02 CEST 2009". */
void journal_date(int64_t when, char *buf, size_t len);
/* The thesis's line "EPOCH DATE host: message" (no newline); JOURNAL_LINE holds any. */
#define JOURNAL_MSG 1024
#define JOURNAL_LINE (JOURNAL_MSG + 512)
void journal_line(char *buf, size_t len, int64_t when, const char *host, const char *msg);
/* The same event as a JSON line. */
void journal_put_json(FILE *f, int64_t when, const char *host, const char *name, const char *msg);

/* A message read back: its kind and fields, as spans into the message (not terminated). */
struct journal_span {
	const char *p;
	size_t n;
};

struct journal_parsed {
	enum journal_kind kind;      /* JOURNAL_NOTE: none of the kinds above */
	enum vmm_action action;      /* MIGRATION, REQUEST, SUPPRESSED, RECOMMEND, CYCLE */
	struct journal_span target;  /* REQUEST, CHOICE, outcomes, SUPPRESSED, RECOMMEND,
	                                EFFICACY (to), LOCATION, SIM_START (host), CYCLE (location) */
	struct journal_span from;    /* EFFICACY */
	struct journal_span action_name; /* CYCLE: as written, for actions this build lacks */
	double seconds;              /* CONFIRMED; NaN when not said */
	double value, threshold, lowthreshold; /* CYCLE (value NaN: unknown); EFFICACY: gain */
	double before, after;        /* EFFICACY */
};

/* Which kind msg is, and its fields. Any bytes; never reads past len. */
void journal_parse(const char *msg, size_t len, struct journal_parsed *out);

#endif
