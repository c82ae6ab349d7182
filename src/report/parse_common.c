/* SPDX-License-Identifier: ISC */
/* vmmanage-report: what the line parsers share: names, records, the journal's messages. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/journal.h"
#include "report/parse.h"

void
rec_clear(struct report_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->duration = r->value = r->threshold = r->lowthreshold = r->before = r->after = NAN;
}

/* Copy at most len bytes, printable ASCII or UTF-8 only: names end up in tables and
 * in gnuplot's scripts. */
void
copy_name(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'')
			c = '_';
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
}

size_t
token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && !isspace((unsigned char)s[n]))
		n++;
	return n;
}

int
is_year(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n == 4;
}

/* ---- messages ---- */

/* "nii3.2.mln" (the thesis's project file for host 2) is host "2"; "nii3..mln" the base. */
static void
message_target(const char *vm, const char *s, size_t len, char *out, size_t cap)
{
	size_t vl = strlen(vm);

	if (len > 4 && memcmp(s + len - 4, ".mln", 4) == 0) {
		len -= 4;
		if (len > vl && memcmp(s, vm, vl) == 0 && s[vl] == '.')
			s += vl + 1, len -= vl + 1;
		if (len == 0) {
			snprintf(out, cap, "base");
			return;
		}
	}
	copy_name(out, cap, s, len);
}

/* The journal's kinds the report counts. */
static enum rec_kind
message_kind(enum journal_kind k)
{
	switch (k) {
	case JOURNAL_REQUEST: return REC_REQUEST;
	case JOURNAL_CONFIRMED: return REC_CONFIRMED;
	case JOURNAL_FAILED: return REC_FAILED;
	case JOURNAL_UNCONFIRMED: return REC_UNCONFIRMED;
	case JOURNAL_START: case JOURNAL_SIM_START: return REC_START;
	case JOURNAL_SUPPRESSED: return REC_SUPPRESSED;
	case JOURNAL_EFFICACY: return REC_EFFICACY;
	case JOURNAL_CYCLE: return REC_CYCLE;
	case JOURNAL_LOCATION: return REC_LOCATION;
	default: return REC_OTHER;
	}
}

void
report_parse_message(const char *vm, const char *msg, size_t len, struct report_rec *out)
{
	struct journal_parsed j;

	journal_parse(msg, len, &j);
	out->kind = message_kind(j.kind);
	switch (out->kind) {
	case REC_REQUEST:
		snprintf(out->action, sizeof(out->action), "%s", vmm_action_name(j.action));
		/* FALLTHROUGH */
	case REC_CONFIRMED:
	case REC_FAILED:
	case REC_UNCONFIRMED:
	case REC_EFFICACY:
		message_target(vm, j.target.p, j.target.n, out->target, sizeof(out->target));
		break;
	case REC_START:
	case REC_LOCATION:
		copy_name(out->target, sizeof(out->target), j.target.p, j.target.n);
		break;
	case REC_CYCLE:
		out->value = j.value;
		out->threshold = j.threshold;
		out->lowthreshold = j.lowthreshold;
		copy_name(out->action, sizeof(out->action), j.action_name.p, j.action_name.n);
		copy_name(out->target, sizeof(out->target), j.target.p, j.target.n);
		break;
	default:
		break;
	}
	if (out->kind == REC_CONFIRMED)
		out->duration = j.seconds;
	if (out->kind == REC_EFFICACY) {
		out->before = j.before;
		out->after = j.after;
		out->value = j.value;
	}
}
