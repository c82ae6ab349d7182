/* SPDX-License-Identifier: ISC */
/* The broker's control socket (a line in, lines out, then the broker closes) and the
 * CLI's side of it: status, drain HOST [--deadline DURATION], undrain HOST. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/ctlsock.h"
#include "common/ev.h"
#include "common/log.h"

/* status --json of BROKER_MAX_VMS VMs and BROKER_MAX_HOSTS hosts fits */
#define CONTROL_MAX_ANSWER (2u << 20)

static size_t
control_status(struct broker *b, char *out, size_t cap)
{
	size_t o = 0;
	double now = ev_now();

	for (size_t i = 0; i < b->nvms && o < cap; i++) {
		const struct broker_vm *vm = &b->vms[i];
		o += (size_t)snprintf(out + o, cap - o, "vm %s: on %s, moves in the last hour %zu/%lld, in flight: %s%s%s\n",
		    vm->name, vm->location[0] ? vm->location : "unknown",
		    admit_window(vm->starts, vm->nstarts, now, NULL), (long long)vm->budget,
		    vm->target[0] ? vm->target : "none", vm->tenant ? ", tenant " : "",
		    vm->tenant ? vm->tenant->name : "");
	}
	for (size_t i = 0; i < b->ntenants && o < cap; i++) {
		const struct broker_tenant *t = b->tenants[i];
		o += (size_t)snprintf(out + o, cap - o, "tenant %s: moves in the last hour %zu/%lld\n", t->name,
		    admit_window(t->starts, t->nstarts, now, NULL), (long long)b->tenant_moves_per_hour);
	}
	for (size_t i = 0; i < b->nhosts && o < cap; i++) {
		const struct broker_host *h = &b->hosts[i];
		char drain[64] = "open";
		if (h->draining && h->drain_deadline > now)
			snprintf(drain, sizeof(drain), "draining, deadline in %.0f s", h->drain_deadline - now);
		else if (h->draining && h->drain_deadline > 0)
			snprintf(drain, sizeof(drain), "draining, deadline passed");
		else if (h->draining)
			snprintf(drain, sizeof(drain), "draining");
		o += (size_t)snprintf(out + o, cap - o, "host %s: incoming %d/%lld, %s\n", h->name,
		    h->incoming, (long long)b->max_incoming, drain);
	}
	return o < cap ? o : cap - 1;
}

static size_t
control_dispatch(struct broker *b, char *line, char *out, size_t cap)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "status") == 0)
		return control_status(b, out, cap);
	if (strcmp(line, "status --json") == 0)
		return broker_status_json(b, out, cap);
	int drain = strncmp(line, "drain ", 6) == 0;
	if (drain || strncmp(line, "undrain ", 8) == 0)
		return broker_drain(b, drain, line + (drain ? 6 : 8), out, cap);
	return (size_t)snprintf(out, cap,
	    "error: unknown command (status [--json], drain HOST [--deadline DURATION], undrain HOST)\n");
}

static void
control_accept(int lfd, int revents, void *arg)
{
	struct broker *b = arg;
	char line[512], *out;
	int fd;

	(void)revents;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (ctlsock_read_line(fd, line, sizeof(line)) == 0 &&
	    (out = malloc(CONTROL_MAX_ANSWER)) != NULL) {
		size_t len = control_dispatch(b, line, out, CONTROL_MAX_ANSWER);
		if (ctlsock_send(fd, out, len) < 0)
			log_warn("broker: control socket");
		free(out);
	}
	close(fd);
}

int
broker_control_open(struct broker *b, char *err, size_t errlen)
{
	if ((b->control_fd = ctlsock_listen(b->control_socket, 0117, err, errlen)) < 0)
		return -1;
	if (ev_fd_add(b->loop, b->control_fd, POLLIN, control_accept, b) < 0)
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

void
broker_control_close(struct broker *b)
{
	if (b->control_fd >= 0) {
		ev_fd_del(b->loop, b->control_fd);
		close(b->control_fd);
		unlink(b->control_socket);
	}
}

int
broker_control_client(const char *path, const char *line)
{
	return ctlsock_ask(path, line, "vmmanage-broker", "is the broker running?");
}
