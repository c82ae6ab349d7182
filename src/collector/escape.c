/* SPDX-License-Identifier: ISC */
/* Escaping: no message may forge a second line, send escape sequences to a terminal, or
 * hide or reorder what a reader sees (bidi controls, zero-width characters). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "common/strutil.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid UTF-8 (bad
 * lead byte, truncated, overlong, surrogate or past U+10FFFF). */
static size_t
collector_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t
collector_utf8_cut(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t cut;

	if (len <= max)
		return len;
	cut = max;
	/* u[cut] is the first byte left out: if it continues a sequence, the sequence
	 * straddles the cut, so back off to its lead byte (at most 3 steps) */
	while (cut > 0 && cut + 3 > max && (u[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

/* The code point of the valid n-byte UTF-8 sequence at s. */
static unsigned int
collector_utf8_cp(const unsigned char *s, size_t n)
{
	unsigned int cp = n == 1 ? s[0] : s[0] & (0xff >> (n + 1));

	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Characters that show nothing yet change what a reader sees: C1 controls (8-bit CSI/OSC
 * to some terminals), the bidi embeddings, overrides, isolates and marks (the "Trojan
 * Source" characters, which can make a line read as another), zero-width characters and
 * the BOM (which hide text or make two names look alike). */
static int
collector_invisible(unsigned int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

static size_t
collector_put_hex(char *out, size_t o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	out[o++] = '\\';
	out[o++] = 'x';
	out[o++] = hex[c >> 4];
	out[o++] = hex[c & 15];
	return o;
}

size_t
collector_escape(const char *s, size_t len, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 <= cap;) {
		unsigned char c = u[i];
		if (c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == 0x1b) {
			out[o++] = '\\';
			out[o++] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 'e';
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			o = collector_put_hex(out, o, c);
			i++;
			continue;
		}
		size_t n = collector_utf8_seq(u + i, len - i);
		if (n == 0) {
			o = collector_put_hex(out, o, c);
			i++;
			continue;
		}
		if (collector_invisible(collector_utf8_cp(u + i, n))) {
			if (o + 4 * n > cap - 1)
				break;
			for (size_t k = 0; k < n; k++)
				o = collector_put_hex(out, o, u[i + k]);
			i += n;
			continue;
		}
		if (o + n > cap - 1)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	if (cap > 0)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

/* The escape every JSON writer of the tree uses, under the collector's name. */
size_t
collector_json_escape(const char *s, size_t len, char *out, size_t cap)
{
	return vmm_json_escape(s, len, out, cap);
}
