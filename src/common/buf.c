/* SPDX-License-Identifier: ISC */
/* The bounded doubling byte buffer. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void
vmm_buf_init(struct vmm_buf *b, size_t first, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->first = first > 0 ? first : 64;
	b->max = max;
}

int
vmm_buf_reserve(struct vmm_buf *b, size_t more)
{
	if (more > b->max || b->len > b->max - more) {
		errno = E2BIG;
		return -1;
	}
	size_t need = b->len + more + 1; /* max is at most SIZE_MAX - 1 bytes held */
	if (need < b->len + more) {
		errno = E2BIG;
		return -1;
	}
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : b->first;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

int
vmm_buf_append(struct vmm_buf *b, const void *data, size_t n)
{
	if (vmm_buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
vmm_buf_printf(struct vmm_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n < sizeof(small))
		return vmm_buf_append(b, small, (size_t)n);
	if (vmm_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
vmm_buf_consume(struct vmm_buf *b, size_t n)
{
	if (n >= b->len)
		n = b->len;
	if (n == 0)
		return;
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

void
vmm_buf_reset(struct vmm_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

char *
vmm_buf_take(struct vmm_buf *b)
{
	char *p = b->p != NULL ? b->p : strdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
vmm_buf_free(struct vmm_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
vmm_array_grow(void *arrayp, size_t *cap, size_t n, size_t size, size_t first)
{
	void *p;

	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : (first > n ? first : n + 1);
	if (ncap <= n || ncap > (size_t)-1 / size) {
		errno = ENOMEM;
		return -1;
	}
	/* arrayp points at a pointer to some element type: read and write it as bytes */
	memcpy(&p, arrayp, sizeof(p));
	if ((p = realloc(p, ncap * size)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(arrayp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}
