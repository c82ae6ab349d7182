/* SPDX-License-Identifier: ISC */
/* fleet.state's lines, one VM each (see fleet.c): written and read here only, so that
 * the parser can be fuzzed on its own. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server.h"

static const char *
fleet_text(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

void
fleet_format_vm(struct vmm_buf *b, const struct collector_vm *vm)
{
	vmm_buf_printf(b, "%s\t%" PRId64 "\t%" PRId64 "\t%d\t%s\t%s\t%s\t", vm->host, vm->last_seen,
	    vm->last_cycle, vm->silent, fleet_text(vm->location), fleet_text(vm->last_target),
	    fleet_text(vm->last_outcome));
	for (unsigned i = 0; i < vm->nmoves; i++)
		vmm_buf_printf(b, "%s%" PRId64, i ? "," : "", vm->moves[i]);
	vmm_buf_printf(b, "%s\n", vm->nmoves ? "" : "-");
}

static int
fleet_field_text(char *out, size_t cap, const char *f)
{
	if (strcmp(f, "-") == 0)
		f = "";
	if (strlen(f) >= cap)
		return -1;
	for (const char *p = f; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return -1;
	strcpy(out, f);
	return 0;
}

static int
fleet_field_int(const char *f, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(f, &end, 10);
	return errno != 0 || end == f || *end != '\0' || *out < 0 ? -1 : 0;
}

static int
fleet_parse_moves(struct collector_vm *vm, char *f)
{
	char *save, *t;

	if (strcmp(f, "-") == 0)
		return 0;
	for (t = strtok_r(f, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (vm->nmoves == FLEET_MOVES || fleet_field_int(t, &vm->moves[vm->nmoves]) < 0)
			return -1;
		vm->nmoves++;
	}
	return 0;
}

/* One line into vm; -1 when it is not one this file could hold. */
int
fleet_parse_line(char *line, struct collector_vm *vm, char host[COLLECTOR_MAX_HOST + 1])
{
	char *f[8], *save;
	size_t n = 0;
	int64_t silent;

	for (char *t = strtok_r(line, "\t", &save); t != NULL && n < 9; t = strtok_r(NULL, "\t", &save))
		if (n < 8)
			f[n++] = t;
		else
			return -1;
	memset(vm, 0, sizeof(*vm));
	if (n != 8 || !collector_host_valid(f[0], strlen(f[0])) || strlen(f[0]) > COLLECTOR_MAX_HOST ||
	    fleet_field_int(f[1], &vm->last_seen) < 0 || fleet_field_int(f[2], &vm->last_cycle) < 0 ||
	    fleet_field_int(f[3], &silent) < 0 || silent > 1 ||
	    fleet_field_text(vm->location, sizeof(vm->location), f[4]) < 0 ||
	    fleet_field_text(vm->last_target, sizeof(vm->last_target), f[5]) < 0 ||
	    fleet_field_text(vm->last_outcome, sizeof(vm->last_outcome), f[6]) < 0 ||
	    fleet_parse_moves(vm, f[7]) < 0)
		return -1;
	strcpy(host, f[0]);
	vm->host = host;
	vm->silent = (int)silent;
	return 0;
}

