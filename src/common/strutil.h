/* SPDX-License-Identifier: ISC */
/* String helpers said once for the whole tree: the "did you mean" distance of every
 * config front end and the JSON string escape of every JSON writer. Plain C with no
 * dependency on the agent core (src/common/libvmmcommon.la). */
#ifndef VMM_COMMON_STRUTIL_H
#define VMM_COMMON_STRUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The edit distance above which vmm_edit_distance stops counting: names this long are
 * never near misses of each other. */
#define VMM_EDIT_FAR 99

/* Levenshtein distance between a and b (insertions, deletions, substitutions), for
 * suggesting a known name for a mistyped one. Either string of 63 bytes or more gives
 * VMM_EDIT_FAR: no table grows with the input. */
size_t vmm_edit_distance(const char *a, const char *b);

/* The whole of s (trailing blanks allowed) as a finite number: 0, or -1 when it is
 * empty, has anything else after the number, overflows, or is NaN or infinite. */
int vmm_parse_double(const char *s, double *out);

/* Is s one of the NULL-terminated list (which may be NULL)? */
int vmm_str_in(const char *s, const char *const *list);

/* The bytes s[0..len) as the inside of a JSON string: '"' and '\\' escaped with a
 * backslash, control bytes and DEL as \u00XX, every other byte (UTF-8 included) as is.
 * Writes at most cap bytes, NUL included, stopping before a byte whose escape would
 * not fit with room for the NUL; returns the bytes written without the NUL. */
size_t vmm_json_escape(const char *s, size_t len, char *out, size_t cap);

/* The NUL-terminated s as a whole JSON string, quotes included, escaped as above. */
void vmm_json_put(FILE *f, const char *s);

/* The thesis's date, what date(1) prints in the C locale ("Wed May  6 14:44:23 CEST
 * 2009"), in local time, into buf. Returns its length, or 0 (buf empty) when the time
 * cannot be shown: before 1970, past year 9999, or len too small. Every log line of the
 * agent, the simulator and the collector writes its date with this. */
size_t vmm_thesis_date(int64_t when, char *buf, size_t len);
struct tm;
/* How vmm_thesis_date tells local time: fn, or localtime_r when NULL (the default).
 * vmm_localtime_zone in common/localtime.h sets it. */
void vmm_thesis_date_localtime(int (*fn)(int64_t t, struct tm *tm));

/* FNV-1a, continued from h (VMM_FNV1A_BASIS to start): the VMs' seeds and splay, the
 * simulator's random streams, the report's name index and the state blocks' checksum
 * all hash with it, so that a name draws the same wherever it is hashed. */
#define VMM_FNV1A_BASIS UINT64_C(0xcbf29ce484222325)

static inline uint64_t
vmm_fnv1a(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *c = p; n-- > 0; c++)
		h = (h ^ *c) * UINT64_C(0x100000001b3);
	return h;
}

/* The same over a string up to its NUL; NULL hashes as "". */
static inline uint64_t
vmm_fnv1a_str(uint64_t h, const char *s)
{
	for (; s != NULL && *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

#endif
