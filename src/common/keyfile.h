/* SPDX-License-Identifier: ISC */
/* Key files. A keys_file of "NAME KEY" lines (KEY: 64 hex digits), the format the collector and the
 * broker share: opened by secret_open's rule (the descriptor checked, not the name),
 * '#' comments and blank lines skipped, NAME folded as wire_host_fold does, the key
 * wiped from the line buffers once handed over. */
#ifndef VMM_KEYFILE_H
#define VMM_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/* Called once per key with the folded name; a second key for a folded name is the
 * callee's to refuse. 0, or -1 with err (the reader prefixes nothing: say file:line). */
typedef int (*keyfile_each)(void *arg, const char *folded, const uint8_t key[WIRE_KEY_BYTES],
    int lineno, char *err, size_t errlen);

/* what names NAME in the error ("HOST", "VM"). 0, or -1 with err naming file and line. */
int keyfile_read(const char *file, const char *what, keyfile_each each, void *arg, char *err,
    size_t errlen);

/* A file holding one key, 64 hex digits (an agent's collector_key_file, its
 * broker_key_file), by secret_open's rule; what names the key in errors. 0, or -1. */
int keyfile_read_one(const char *file, const char *what, uint8_t key[WIRE_KEY_BYTES], char *err,
    size_t errlen);

#endif
