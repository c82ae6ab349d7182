/* Escaping: no message may forge a second line or send escape sequences to a terminal. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "collector.h"

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
		/* C1 controls (U+0080..U+009F) are 8-bit CSI/OSC to some terminals */
		if (n == 0 || (n == 2 && c == 0xc2 && u[i + 1] < 0xa0)) {
			o = collector_put_hex(out, o, c);
			i++;
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

size_t
collector_json_escape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 7 <= cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	if (cap > 0)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}
