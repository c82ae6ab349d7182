/* SPDX-License-Identifier: ISC */
/* A byte buffer that grows by doubling up to a maximum its owner sets, so that what a
 * peer sends (a reply, a body, a queue of frames) can never grow it without limit.
 * Plain C with no dependency on the agent core (src/common/libvmmcommon.la). */
#ifndef VMM_COMMON_BUF_H
#define VMM_COMMON_BUF_H

#include <stddef.h>

struct vmm_buf {
	char *p;      /* the bytes, NUL-terminated once anything was reserved; NULL before */
	size_t len;   /* bytes held, the NUL not counted */
	size_t cap;   /* bytes allocated */
	size_t first; /* the first allocation */
	size_t max;   /* the most len may reach */
};

/* An empty buffer that allocates nothing yet: first bytes at the first reserve (doubled
 * from there as needed), never more than max bytes held. */
void vmm_buf_init(struct vmm_buf *b, size_t first, size_t max);
/* Room for len + more bytes and a NUL. 0, or -1 with errno E2BIG (past max: nothing
 * changes) or ENOMEM. Writing into p + len and then adding to len is allowed after it. */
int vmm_buf_reserve(struct vmm_buf *b, size_t more);
/* Append n bytes, keeping the NUL after them. 0, or -1 as vmm_buf_reserve (then nothing
 * was appended). */
int vmm_buf_append(struct vmm_buf *b, const void *data, size_t n);
/* Append printf output. 0, or -1 as vmm_buf_reserve (nothing appended) or EINVAL. */
int vmm_buf_printf(struct vmm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (all of them when n >= len), keeping the memory. */
void vmm_buf_consume(struct vmm_buf *b, size_t n);
/* Empty again, keeping the memory. */
void vmm_buf_reset(struct vmm_buf *b);
/* Hand the bytes to the caller, who frees them: "" when empty, NULL when out of memory.
 * The buffer is empty afterwards and owns nothing. */
char *vmm_buf_take(struct vmm_buf *b);
/* Free the memory; the buffer is empty and can be used again. */
void vmm_buf_free(struct vmm_buf *b);

/* Room for element n of the array *arrayp (a pointer to any element type, size bytes
 * each) that holds *cap: when n reaches it, the array is reallocated to twice as many
 * (first, the first time) and *cap updated. 0, or -1 with errno ENOMEM and the array
 * as it was. */
int vmm_array_grow(void *arrayp, size_t *cap, size_t n, size_t size, size_t first);

#endif
