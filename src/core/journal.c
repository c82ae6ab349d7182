/* SPDX-License-Identifier: ISC */
/* The events' one vocabulary: a row per kind with its JSON name, the words its message
 * starts with, its formatter and its parser. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"
#include "core/journal.h"
#include "core/spannum.h"

struct journal_row {
	enum journal_kind kind;
	const char *name;            /* in the JSON log */
	const char *prefix;          /* what the message starts with; NULL: free text */
	void (*format)(const struct journal_event *e, char *buf, size_t len);
	/* 1 when msg (which starts with prefix) is this kind, fields filled */
	int (*parse)(const char *msg, size_t len, struct journal_parsed *out);
};

static const char *
journal_failure_name(enum vmm_failure f)
{
	static const char *const names[] = { "none", "unreachable", "timeout", "unsupported",
		"refused", "configuration", "error" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "error";
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- formatters ---- */

static void
fmt_note(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", e->kind == JOURNAL_WARNING ? "Warning: " : "", or_empty(e->u.note.text));
}

static void
fmt_start(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "Starting VMManage %s: policy %s, sensor %s, endpoint %s",
	    or_empty(e->u.start.version), or_empty(e->u.start.policy), or_empty(e->u.start.sensor),
	    or_empty(e->u.start.endpoint));
}

static void
fmt_sim_start(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "Starting VMManage (simulated): policy %s on %s",
	    or_empty(e->u.sim_start.policy), or_empty(e->u.sim_start.host));
}

static void
fmt_stop(const struct journal_event *e, char *buf, size_t len)
{
	(void)e;
	snprintf(buf, len, "Stopping VMManage");
}

/* The thesis's words for the array's actions. */
static const char *
migration_words(enum vmm_action a)
{
	return a == VMM_ACT_MOVE_UP ? "moving up" : a == VMM_ACT_MOVE_DOWN ? "moving down" : "just moving";
}

static void
fmt_migration(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "Requesting migration of VM: %s", migration_words(e->u.migration.action));
}

/* The words after the target for the actions that leave the array (Appendix A.2). */
static const char *
request_words(enum vmm_action a)
{
	switch (a) {
	case VMM_ACT_MOVE_TO_BASE:
		return " —moving to Base";
	case VMM_ACT_MOVE_FROM_HOME:
		return " —moving from home";
	case VMM_ACT_MOVE_TO_HOME:
		return " —moving home";
	default:
		return "";
	}
}

static void
fmt_request(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "Now using %s%s (%s)", or_empty(e->u.request.target),
	    request_words(e->u.request.action), or_empty(e->u.request.why));
}

static void
fmt_choice(const struct journal_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "Chose %s: %s", or_empty(e->u.choice.target), or_empty(e->u.choice.why));
}

static void
fmt_confirmed(const struct journal_event *e, char *buf, size_t len)
{
	const char *d = or_empty(e->u.confirmed.detail);

	snprintf(buf, len, "Move to %s confirmed in %.1f s%s%s", or_empty(e->u.confirmed.target),
	    e->u.confirmed.seconds, d[0] ? ": " : "", d);
}

static void
fmt_unconfirmed(const struct journal_event *e, char *buf, size_t len)
{
	const char *d = or_empty(e->u.unconfirmed.detail);

	snprintf(buf, len, "Move to %s unconfirmed: %s", or_empty(e->u.unconfirmed.target),
	    d[0] ? d : "the endpoint accepted it but did not say where the VM runs");
}

static void
fmt_refused(const struct journal_event *e, char *buf, size_t len)
{
	const char *d = or_empty(e->u.refused.detail);

	snprintf(buf, len, "Move to %s refused by the provider: %s; no new request for %.0f s",
	    or_empty(e->u.refused.target), d[0] ? d : "no reason given", e->u.refused.retry_after);
}

static void
fmt_failed(const struct journal_event *e, char *buf, size_t len)
{
	const char *t = or_empty(e->u.failed.target), *d = or_empty(e->u.failed.detail);
	const char *why = journal_failure_name(e->u.failed.failure);
	int n = e->u.failed.failures;

	if (d[0] == '\0')
		d = "no detail";
	if (e->u.failed.wait < 0)
		snprintf(buf, len, "Move to %s failed (%s, permanent): %s; %s is passed over until the configuration is reloaded",
		    t, why, d, t);
	else
		snprintf(buf, len, "Move to %s failed (%s): %s; backing off %s for %.0f s (%d failure%s in a row)",
		    t, why, d, t, e->u.failed.wait, n, n == 1 ? "" : "s");
}

static void
fmt_suppressed(const struct journal_event *e, char *buf, size_t len)
{
	const char *act = vmm_action_name(e->u.suppressed.action), *t = or_empty(e->u.suppressed.target);
	const char *origin = or_empty(e->u.suppressed.origin);

	if (e->u.suppressed.in_flight)
		snprintf(buf, len, "Suppressed %s from %s: a move is in flight", act, origin);
	else
		snprintf(buf, len, "Suppressed %s%s%s from %s: %s", act, t[0] ? " to " : "", t, origin,
		    or_empty(e->u.suppressed.why));
}

void
journal_quiet_why(char *buf, size_t len, const char *window, const char *until)
{
	snprintf(buf, len, "quiet window %s until %s", window, until);
}

void
journal_splay_why(char *buf, size_t len, double offset, double left)
{
	snprintf(buf, len, "splay: this VM moves %.0f s after the schedule's edge, %.0f s to go",
	    offset, left);
}

void
journal_quiet_through(char *buf, size_t len, enum vmm_action act, const char *target,
    const char *why)
{
	snprintf(buf, len, "Administrator's %s to %s goes through the %s", vmm_action_name(act),
	    target, why);
}

void
journal_drain_why(char *buf, size_t len, const char *host, double leave_in)
{
	if (leave_in >= 0)
		snprintf(buf, len, "%s is being drained by the provider: leaving it (the provider moves the VM itself in %.0f s)",
		    host, leave_in);
	else
		snprintf(buf, len, "%s is being drained by the provider: leaving it", host);
}

void
journal_recommendation(const struct journal_event *e, char *buf, size_t len)
{
	const char *reason = or_empty(e->u.recommend.reason), *choice = or_empty(e->u.recommend.choice);

	snprintf(buf, len, "%s to %s (%s)%s%s", vmm_action_name(e->u.recommend.action),
	    or_empty(e->u.recommend.target), reason[0] ? reason : "policy", choice[0] ? "; " : "",
	    choice);
}

static void
fmt_recommend(const struct journal_event *e, char *buf, size_t len)
{
	char what[JOURNAL_RECOMMENDATION];

	journal_recommendation(e, what, sizeof(what));
	snprintf(buf, len, "Recommend %s: not acting, %s", what, or_empty(e->u.recommend.why));
}

static void
fmt_efficacy(const struct journal_event *e, char *buf, size_t len)
{
	double g = e->u.efficacy.gain;

	snprintf(buf, len, "Efficacy of the move %s -> %s: mean %g before, %g after: gain %g%s",
	    or_empty(e->u.efficacy.from), or_empty(e->u.efficacy.to), e->u.efficacy.before,
	    e->u.efficacy.after, g, g > 0 ? " (better)" : g < 0 ? " (worse)" : "");
}

static void
fmt_location(const struct journal_event *e, char *buf, size_t len)
{
	const char *c = or_empty(e->u.location.cached);

	snprintf(buf, len, "The endpoint reports the VM on %s (cached: %s)",
	    or_empty(e->u.location.host), c[0] ? c : "none");
}

static void
fmt_cycle(const struct journal_event *e, char *buf, size_t len)
{
	char val[32], low[96] = "";
	const char *loc = or_empty(e->u.cycle.location);

	if (e->u.cycle.known)
		snprintf(val, sizeof(val), "%g", e->u.cycle.value);
	else
		snprintf(val, sizeof(val), "unknown");
	if (e->u.cycle.has_low)
		snprintf(low, sizeof(low), " lowcount=%" PRId64 " lowthreshold=%g", e->u.cycle.lowcount,
		    e->u.cycle.lowthreshold);
	snprintf(buf, len, "cycle %s=%s count=%" PRId64 " threshold=%g%s action=%s location=%s",
	    or_empty(e->u.cycle.sensor), val, e->u.cycle.count, e->u.cycle.threshold, low,
	    vmm_action_name(e->u.cycle.action), loc[0] ? loc : "unknown");
}

/* ---- parsers: each starts past its row's prefix, where the message said it ---- */

static size_t
token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && !isspace((unsigned char)s[n]))
		n++;
	return n;
}

static const char *
memstr(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

static int
starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* The token at s (up to a space), as a span; trailing characters in trim dropped. */
static struct journal_span
token(const char *s, size_t len, const char *trim)
{
	size_t n = token_len(s, len);

	while (n > 0 && strchr(trim, s[n - 1]) != NULL)
		n--;
	return (struct journal_span){ s, n };
}

/* The number after the first `word` in msg, or NaN. */
static double
number_after(const char *msg, size_t len, const char *word)
{
	const char *at = memstr(msg, len, word);
	double d;

	if (at == NULL)
		return NAN;
	at += strlen(word);
	struct journal_span t = token(at, (size_t)(msg + len - at), ",");
	return span_number(t.p, t.n, &d) == 0 ? d : NAN;
}

static int
parse_any(const char *msg, size_t len, struct journal_parsed *out)
{
	(void)msg, (void)len, (void)out;
	return 1;
}

static int
parse_start(const char *msg, size_t len, struct journal_parsed *out)
{
	(void)out;
	return !starts(msg, len, "(simulated)");
}

/* "policy P on HOST": the host is after the last " on " */
static int
parse_sim_start(const char *msg, size_t len, struct journal_parsed *out)
{
	const char *on = NULL, *q = msg;

	while ((q = memstr(q, (size_t)(msg + len - q), " on ")) != NULL)
		on = q, q += 4;
	if (on != NULL)
		out->target = token(on + 4, (size_t)(msg + len - on - 4), "");
	return 1;
}

static int
parse_migration(const char *msg, size_t len, struct journal_parsed *out)
{
	out->action = starts(msg, len, "moving up") ? VMM_ACT_MOVE_UP :
	    starts(msg, len, "moving down") ? VMM_ACT_MOVE_DOWN : VMM_ACT_MOVE;
	return 1;
}

/* The thesis's own logs say "moving to base" too. */
static int
parse_request(const char *msg, size_t len, struct journal_parsed *out)
{
	out->target = token(msg, len, "");
	if (len == 0)
		return 0;
	if (memstr(msg, len, "moving to Base") || memstr(msg, len, "moving to base"))
		out->action = VMM_ACT_MOVE_TO_BASE;
	else if (memstr(msg, len, "moving from home"))
		out->action = VMM_ACT_MOVE_FROM_HOME;
	else if (memstr(msg, len, "moving home"))
		out->action = VMM_ACT_MOVE_TO_HOME;
	else
		out->action = VMM_ACT_MOVE;
	return 1;
}

static int
parse_choice(const char *msg, size_t len, struct journal_parsed *out)
{
	out->target = token(msg, len, ":");
	return 1;
}

/* "X confirmed in 12.5 s", "X failed (...)", "X unconfirmed: ..." after "Move to " */
static int
parse_outcome(const char *msg, size_t len, const char *word, struct journal_parsed *out)
{
	size_t n = token_len(msg, len);

	if (!starts(msg + n, len - n, word))
		return 0;
	out->target = (struct journal_span){ msg, n };
	return 1;
}

static int
parse_confirmed(const char *msg, size_t len, struct journal_parsed *out)
{
	if (!parse_outcome(msg, len, " confirmed", out))
		return 0;
	const char *end = msg + len, *rest = msg + out->target.n;
	const char *in = memstr(rest, (size_t)(end - rest), " in ");
	double d;
	if (in != NULL) {
		struct journal_span t = token(in + 4, (size_t)(end - in - 4), "");
		if (span_number(t.p, t.n, &d) == 0 && d >= 0)
			out->seconds = d;
	}
	return 1;
}

static int
parse_unconfirmed(const char *msg, size_t len, struct journal_parsed *out)
{
	return parse_outcome(msg, len, " unconfirmed", out);
}

static int
parse_refused(const char *msg, size_t len, struct journal_parsed *out)
{
	return parse_outcome(msg, len, " refused by the provider", out);
}

static int
parse_failed(const char *msg, size_t len, struct journal_parsed *out)
{
	return parse_outcome(msg, len, " failed", out);
}

/* "ACTION[ to TARGET]...": the target is the next token, trailing bytes in stop dropped */
static int
parse_action_to(const char *msg, size_t len, const char *stop, struct journal_parsed *out)
{
	size_t n = token_len(msg, len);

	out->action = vmm_action_named(msg, n);
	if (starts(msg + n, len - n, " to "))
		out->target = token(msg + n + 4, len - n - 4, stop);
	return 1;
}

/* "move to X from policy: why", "move from cli: a move is in flight" */
static int
parse_suppressed(const char *msg, size_t len, struct journal_parsed *out)
{
	return parse_action_to(msg, len, "", out);
}

/* "move to X (reason)...: not acting, why" */
static int
parse_recommend(const char *msg, size_t len, struct journal_parsed *out)
{
	return parse_action_to(msg, len, ":", out);
}

/* "A -> B: mean 60 before, 10 after: gain 50 (better)" */
static int
parse_efficacy(const char *msg, size_t len, struct journal_parsed *out)
{
	const char *arrow = memstr(msg, len, " -> ");

	out->before = number_after(msg, len, ": mean ");
	out->after = number_after(msg, len, " before, ");
	out->value = number_after(msg, len, ": gain ");
	if (arrow == NULL || isnan(out->value))
		return 0;
	out->from = (struct journal_span){ msg, token_len(msg, (size_t)(arrow - msg)) };
	out->target = token(arrow + 4, (size_t)(msg + len - arrow - 4), "");
	if (out->target.n > 0 && out->target.p[out->target.n - 1] == ':')
		out->target.n--;
	return 1;
}

static int
parse_location(const char *msg, size_t len, struct journal_parsed *out)
{
	out->target = token(msg, len, "");
	return len > 0;
}

/* "mysql_slow=76 count=1 threshold=50 lowcount=0 lowthreshold=1 action=move location=h1":
 * the first pair is the sensor's value */
static int
parse_cycle(const char *msg, size_t len, struct journal_parsed *out)
{
	size_t i = 0;
	int first = 1;

	while (i < len) {
		while (i < len && isspace((unsigned char)msg[i]))
			i++;
		size_t n = token_len(msg + i, len - i);
		const char *tok = msg + i, *eq = memchr(tok, '=', n);
		i += n;
		if (eq == NULL)
			continue;
		size_t kl = (size_t)(eq - tok), vl = n - kl - 1;
		const char *v = eq + 1;
		double d;
		if (first) {
			first = 0;
			if (span_number(v, vl, &d) == 0)
				out->value = d;
		} else if (kl == 9 && memcmp(tok, "threshold", 9) == 0 && span_number(v, vl, &d) == 0)
			out->threshold = d;
		else if (kl == 12 && memcmp(tok, "lowthreshold", 12) == 0 && span_number(v, vl, &d) == 0)
			out->lowthreshold = d;
		else if (kl == 6 && memcmp(tok, "action", 6) == 0) {
			out->action_name = (struct journal_span){ v, vl };
			out->action = vmm_action_named(v, vl);
		} else if (kl == 8 && memcmp(tok, "location", 8) == 0 && !(vl == 7 && memcmp(v, "unknown", 7) == 0))
			out->target = (struct journal_span){ v, vl };
	}
	return 1;
}

/* In the order the parser tries them: the longer of two prefixes first. */
static const struct journal_row journal_rows[] = {
	{ JOURNAL_NOTE, "note", NULL, fmt_note, NULL },
	{ JOURNAL_SIM_START, "start", "Starting VMManage (simulated)", fmt_sim_start, parse_sim_start },
	{ JOURNAL_START, "start", "Starting VMManage", fmt_start, parse_start },
	{ JOURNAL_STOP, "stop", "Stopping VMManage", fmt_stop, parse_any },
	{ JOURNAL_MIGRATION, "request", "Requesting migration of VM: ", fmt_migration, parse_migration },
	{ JOURNAL_REQUEST, "request", "Now using ", fmt_request, parse_request },
	{ JOURNAL_CHOICE, "choice", "Chose ", fmt_choice, parse_choice },
	{ JOURNAL_CONFIRMED, "confirmed", "Move to ", fmt_confirmed, parse_confirmed },
	{ JOURNAL_UNCONFIRMED, "unconfirmed", "Move to ", fmt_unconfirmed, parse_unconfirmed },
	{ JOURNAL_FAILED, "failed", "Move to ", fmt_failed, parse_failed },
	{ JOURNAL_REFUSED, "refused", "Move to ", fmt_refused, parse_refused },
	{ JOURNAL_SUPPRESSED, "suppressed", "Suppressed ", fmt_suppressed, parse_suppressed },
	{ JOURNAL_RECOMMEND, "recommend", "Recommend ", fmt_recommend, parse_recommend },
	{ JOURNAL_WARNING, "warning", "Warning: ", fmt_note, parse_any },
	{ JOURNAL_EFFICACY, "efficacy", "Efficacy of the move ", fmt_efficacy, parse_efficacy },
	{ JOURNAL_LOCATION, "location", "The endpoint reports the VM on ", fmt_location, parse_location },
	{ JOURNAL_CYCLE, "cycle", "cycle ", fmt_cycle, parse_cycle },
};

static const struct journal_row *
journal_row(enum journal_kind k)
{
	for (size_t i = 0; i < sizeof(journal_rows) / sizeof(journal_rows[0]); i++)
		if (journal_rows[i].kind == k)
			return &journal_rows[i];
	return &journal_rows[0];
}

const char *
journal_name(const struct journal_event *e)
{
	return e->name != NULL ? e->name : journal_row(e->kind)->name;
}

void
journal_message(const struct journal_event *e, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	journal_row(e->kind)->format(e, buf, len);
}

size_t
journal_request(enum vmm_action act, const char *target, const char *why,
    struct journal_event out[2])
{
	size_t n = 0;

	if (request_words(act)[0] == '\0')
		out[n++] = (struct journal_event){ .kind = JOURNAL_MIGRATION,
			.u.migration = { .action = act } };
	out[n++] = (struct journal_event){ .kind = JOURNAL_REQUEST,
		.u.request = { .action = act, .target = target, .why = why } };
	return n;
}

void
journal_parse(const char *msg, size_t len, struct journal_parsed *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(journal_rows) / sizeof(journal_rows[0]); i++) {
		const struct journal_row *r = &journal_rows[i];
		if (r->prefix == NULL || !starts(msg, len, r->prefix))
			continue;
		size_t skip = strlen(r->prefix);
		memset(out, 0, sizeof(*out));
		out->seconds = out->value = out->threshold = out->lowthreshold = NAN;
		out->before = out->after = NAN;
		if (r->parse(msg + skip, len - skip, out)) {
			out->kind = r->kind;
			return;
		}
	}
	memset(out, 0, sizeof(*out));
	out->kind = JOURNAL_NOTE;
	out->seconds = out->value = out->threshold = out->lowthreshold = NAN;
	out->before = out->after = NAN;
}

/* ---- the lines ---- */

void
journal_date(int64_t when, char *buf, size_t len)
{
	vmm_thesis_date(when, buf, len);
}

void
journal_line(char *buf, size_t len, int64_t when, const char *host, const char *msg)
{
	char date[64];

	journal_date(when, date, sizeof(date));
	snprintf(buf, len, "%" PRId64 " %s %s: %s", when, date, host, msg);
}

void
journal_put_json(FILE *f, int64_t when, const char *host, const char *name, const char *msg)
{
	fprintf(f, "{\"type\":\"event\",\"time\":%" PRId64 ",\"host\":", when);
	vmm_json_put(f, host);
	fputs(",\"event\":", f);
	vmm_json_put(f, name);
	fputs(",\"message\":", f);
	vmm_json_put(f, msg);
	fputs("}\n", f);
}
