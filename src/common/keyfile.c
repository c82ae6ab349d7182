/* SPDX-License-Identifier: ISC */
/* The keys_file reader of the collector and the broker. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"
#include "common/secret.h"

static int
keyfile_line(char *line, const char *file, int lineno, const char *what, keyfile_each each,
    void *arg, char *err, size_t errlen)
{
	char name[WIRE_MAX_HOST + 2], hex[2 * WIRE_KEY_BYTES + 2], folded[WIRE_MAX_HOST + 1];
	uint8_t key[WIRE_KEY_BYTES];
	size_t binlen;
	int rc;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '#' || *line == '\0')
		return 0;
	if (sscanf(line, "%256s %65s", name, hex) != 2 || !wire_host_valid(name, strlen(name)) ||
	    strlen(hex) != 2 * WIRE_KEY_BYTES ||
	    sodium_hex2bin(key, sizeof(key), hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != sizeof(key)) {
		sodium_memzero(hex, sizeof(hex));
		return snprintf(err, errlen, "%s:%d: expected \"%s KEY\" with KEY as %d hex digits",
		    file, lineno, what, 2 * WIRE_KEY_BYTES), -1;
	}
	sodium_memzero(hex, sizeof(hex));
	if (wire_host_fold(name, strlen(name), folded) == 0) {
		snprintf(err, errlen, "%s:%d: \"%s\" is no host name", file, lineno, name);
		rc = -1;
	} else
		rc = each(arg, folded, key, lineno, err, errlen);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
keyfile_read(const char *file, const char *what, keyfile_each each, void *arg, char *err,
    size_t errlen)
{
	char line[1024];
	int lineno = 0, fd, rc = 0;
	FILE *f;

	if (sodium_init() < 0)
		return snprintf(err, errlen, "libsodium failed to initialise"), -1;
	if ((fd = secret_open(file, "keys_file", err, errlen)) < 0)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return snprintf(err, errlen, "keys_file %s: %s", file, strerror(errno)), -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL)
		rc = keyfile_line(line, file, ++lineno, what, each, arg, err, errlen);
	sodium_memzero(line, sizeof(line));
	fclose(f);
	return rc;
}

int
keyfile_read_one(const char *file, const char *what, uint8_t key[WIRE_KEY_BYTES], char *err,
    size_t errlen)
{
	char hex[160];
	size_t binlen;
	int fd = secret_open(file, what, err, errlen);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (f == NULL) {
		if (fd >= 0) {
			snprintf(err, errlen, "%s %s: %s", what, file, strerror(errno));
			close(fd);
		}
		return -1;
	}
	if (fgets(hex, sizeof(hex), f) == NULL)
		hex[0] = '\0';
	fclose(f);
	hex[strcspn(hex, " \t\r\n")] = '\0';
	int bad = sodium_hex2bin(key, WIRE_KEY_BYTES, hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != WIRE_KEY_BYTES;
	sodium_memzero(hex, sizeof(hex));
	if (bad)
		return snprintf(err, errlen, "%s %s: expected %d hex digits", what, file,
		    2 * WIRE_KEY_BYTES), -1;
	return 0;
}
