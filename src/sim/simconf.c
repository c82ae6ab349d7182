/* SPDX-License-Identifier: ISC */
/* Setting a simulation up: its confs, VMs and hosts, and freeing them again. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/engine.h"

static int sim_quiet;

static void
sim_warn(const char *msg)
{
	if (!sim_quiet)
		fprintf(stderr, "vmmanage-sim: warning: %s\n", msg);
}

static int
simconf_add_name(const char **names, size_t *n, const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return 0;
	names[(*n)++] = name;
	return 1;
}

static int
simconf_in(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* The conf's hosts (array, base, home, away) as simulation hosts. */
static int
simconf_map(const struct simfile *sf, const struct sim_vmspec *spec, struct simconf *c, char *err,
    size_t errlen)
{
	const struct settings *set = &c->su->set;
	size_t max = set->nhosts + set->nhome + set->naway + 1, n = 0;
	const char **names = calloc(max, sizeof(*names));

	c->host = calloc(max, sizeof(*c->host));
	c->cls = calloc(max, sizeof(*c->cls));
	c->at_home = calloc(max, sizeof(*c->at_home));
	if (names == NULL || c->host == NULL || c->cls == NULL || c->at_home == NULL) {
		free(names);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < set->nhosts; i++)
		simconf_add_name(names, &n, set->hosts[i]);
	for (size_t i = 0; i < set->nhome; i++)
		simconf_add_name(names, &n, set->home[i]);
	for (size_t i = 0; i < set->naway; i++)
		simconf_add_name(names, &n, set->away[i]);
	simconf_add_name(names, &n, set->base);
	c->base = -1;
	for (size_t i = 0; i < n; i++) {
		if ((c->host[i] = simfile_host(sf, names[i])) < 0) {
			snprintf(err, errlen, "%s:%d: VM '%s': %s names host '%s', which the simulation file does not define: add { name = \"%s\"; capacity = 8; cost = 0.1; } to hosts",
			    sf->path, spec->line, spec->name, c->path, names[i], names[i]);
			free(names);
			return -1;
		}
		c->cls[i] = set->base && strcmp(names[i], set->base) == 0 ? CLASS_BASE :
		    simconf_in(set->away, set->naway, names[i]) ? CLASS_AWAY : CLASS_ARRAY;
		if (c->cls[i] == CLASS_BASE)
			c->base = (int)i;
		c->at_home[i] = target_at_home(&c->topo, names[i]);
	}
	c->nlocal = n;
	free(names);
	if (n == 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': %s names no hosts: set hosts = [\"h1\", \"h2\"] (and base) in it",
		    sf->path, spec->line, spec->name, c->path);
		return -1;
	}
	c->first = 0;
	for (size_t i = 0; set->location != NULL && i < n; i++)
		if (strcmp(sf->hosts[c->host[i]].name, set->location) == 0)
			c->first = (int)i;
	return 0;
}

static struct simconf *
sim_conf(struct sim *s, const struct sim_vmspec *spec, char *err, size_t errlen)
{
	char e[2048];

	for (size_t i = 0; i < s->nconfs; i++)
		if (strcmp(s->confs[i].path, spec->conf) == 0)
			return &s->confs[i];
	struct simconf *c = &s->confs[s->nconfs];
	memset(c, 0, sizeof(*c));
	if ((c->path = strdup(spec->conf)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->nconfs++;
	if ((c->su = setup_load_policy(spec->conf, sim_warn, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s:%d: VM '%s': %s", s->sf->path, spec->line, spec->name, e);
		return NULL;
	}
	const struct settings *set = &c->su->set;
	c->topo = (struct topology){ .hosts = set->hosts, .nhosts = set->nhosts, .base = set->base,
		.home = set->home, .nhome = set->nhome, .away = set->away, .naway = set->naway };
	c->env.direction = set->direction;
	c->topo_index = s->nconfs - 1;
	return simconf_map(s->sf, spec, c, err, errlen) < 0 ? NULL : c;
}

/* Zeroed memory for n of size, in huge pages where the kernel gives them (THP in its
 * madvise mode): 10,000 VMs' structs and guards span tens of thousands of 4 KiB pages,
 * and the TLB missed on most cycles (GLIBC_TUNABLES=glibc.malloc.hugetlb=1 took a tenth
 * off a run). */
static void *
sim_huge(size_t n, size_t size, size_t *len)
{
	void *p;

	*len = 0;
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	size_t l = n * size > 0 ? n * size : 1;
	if ((p = mmap(NULL, l, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, l, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
	*len = l;
	return p;
}

static void
sim_huge_free(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}

int
sim_vms(struct sim *s, char *err, size_t errlen)
{
	const struct simfile *sf = s->sf;
	size_t total = 0, k = 0;

	sim_quiet = s->o->quiet; /* setup_load_policy's warn callback has no context */
	for (size_t i = 0; i < sf->nvms; i++)
		total += (size_t)sf->vms[i].count;
	if ((s->vms = sim_huge(total, sizeof(*s->vms), &s->vms_len)) == NULL ||
	    (s->guards = sim_huge(total, sizeof(*s->guards), &s->guards_len)) == NULL ||
	    (s->confs = calloc(sf->nvms, sizeof(*s->confs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sf->nvms; i++) {
		struct simconf *c = sim_conf(s, &sf->vms[i], err, errlen);
		if (c == NULL)
			return -1;
		for (size_t j = 0; j < (size_t)sf->vms[i].count; j++) {
			s->vms[k].sc = c;
			s->nvms = ++k;
			if (vm_init(s, &s->vms[k - 1], &sf->vms[i], j, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

double
sim_default_step(const struct sim *s)
{
	double step = 3600;

	for (size_t i = 0; i < s->nconfs; i++)
		if (s->confs[i].su->set.interval < step)
			step = s->confs[i].su->set.interval;
	return step < 1 ? 1 : step;
}

int
sim_hosts(struct sim *s, char *err, size_t errlen)
{
	const struct simfile *sf = s->sf;

	s->bg = calloc(sf->nhosts, sizeof(*s->bg));
	s->bgrng = calloc(sf->nhosts, sizeof(*s->bgrng));
	s->load = calloc(sf->nhosts, sizeof(*s->load));
	s->util = calloc(sf->nhosts, sizeof(*s->util));
	s->incoming = calloc(sf->nhosts, sizeof(*s->incoming));
	s->incoming_peak = calloc(sf->nhosts, sizeof(*s->incoming_peak));
	s->mem_used = calloc(sf->nhosts, sizeof(*s->mem_used));
	s->events = calloc((size_t)s->nthreads, sizeof(*s->events));
	s->log = calloc((size_t)s->nthreads, sizeof(*s->log));
	s->ltc = calloc((size_t)s->nthreads, sizeof(*s->ltc));
	s->started = calloc((size_t)s->nthreads, sizeof(*s->started));
	s->arrivals_at = calloc(sf->nhosts, sizeof(*s->arrivals_at));
	s->mload = calloc(sf->nhosts, sizeof(*s->mload));
	s->vm_host = calloc(s->nvms, sizeof(*s->vm_host));
	s->vm_d = calloc(s->nvms, sizeof(*s->vm_d));
	s->vm_at = calloc(s->nvms, sizeof(*s->vm_at));
	s->vm_to = calloc(s->nvms, sizeof(*s->vm_to));
	s->vm_pend = calloc(s->nvms, sizeof(*s->vm_pend));
	s->vm_mem = calloc(s->nvms, sizeof(*s->vm_mem));
	if (s->bg == NULL || s->bgrng == NULL || s->load == NULL || s->util == NULL ||
	    s->incoming == NULL || s->incoming_peak == NULL || s->mem_used == NULL ||
	    s->events == NULL || s->log == NULL || s->ltc == NULL || s->started == NULL ||
	    s->arrivals_at == NULL || s->mload == NULL || s->vm_host == NULL || s->vm_d == NULL ||
	    s->vm_at == NULL || s->vm_to == NULL || s->vm_pend == NULL || s->vm_mem == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* what one thread logs in one step: the simulator's own output, no peer's */
	for (int i = 0; i < s->nthreads; i++) {
		s->ltc[i].minute = INT64_MIN;
		vmm_buf_init(&s->events[i], 65536, SIM_STEP_OUTPUT_MAX);
		vmm_buf_init(&s->log[i], 65536, SIM_STEP_OUTPUT_MAX);
	}
	for (size_t h = 0; h < sf->nhosts; h++)
		s->arrivals_at[h].minute = INT64_MIN;
	for (size_t i = 0; i < s->nvms; i++) {
		s->vm_mem[i] = s->vms[i].spec->memory;
		s->any_memory |= s->vm_mem[i] != 0;
	}
	for (size_t i = 0; i < s->nconfs; i++)
		if (s->confs[i].base >= 0)
			s->arrivals_at[s->confs[i].host[s->confs[i].base]].a.base = 1;
	for (size_t h = 0; h < sf->nhosts; h++) {
		struct rng r;
		rng_seed(&r, s->o->seed, sf->hosts[h].name, "bursts");
		rng_seed(&s->bgrng[h], s->o->seed, sf->hosts[h].name, "background");
		if (gen_state_init(&s->bg[h], &sf->hosts[h].bg, &r, sf->duration) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->nvms; i++)
		vm_free(&s->vms[i]);
	sim_huge_free(s->vms, s->vms_len);
	sim_huge_free(s->guards, s->guards_len);
	for (size_t i = 0; i < s->nconfs; i++) {
		setup_free(s->confs[i].su);
		free(s->confs[i].path);
		free(s->confs[i].host);
		free(s->confs[i].cls);
		free(s->confs[i].at_home);
	}
	free(s->confs);
	for (size_t h = 0; s->bg != NULL && h < s->sf->nhosts; h++)
		gen_state_free(&s->bg[h]);
	free(s->bg);
	free(s->bgrng);
	free(s->load);
	free(s->util);
	free(s->incoming);
	free(s->incoming_peak);
	free(s->mem_used);
	for (int i = 0; i < s->nthreads; i++) {
		if (s->events)
			vmm_buf_free(&s->events[i]);
		if (s->log)
			vmm_buf_free(&s->log[i]);
	}
	free(s->events);
	free(s->log);
	free(s->ltc);
	for (int i = 0; s->started != NULL && i < s->nthreads; i++)
		free(s->started[i].p);
	free(s->started);
	for (size_t h = 0; s->arrivals_at != NULL && h < s->sf->nhosts; h++)
		free(s->arrivals_at[h].end);
	free(s->arrivals_at);
	free(s->moving);
	free(s->mload);
	free(s->hint_util);
	free(s->vm_host);
	free(s->vm_d);
	free(s->vm_at);
	free(s->vm_to);
	free(s->vm_pend);
	free(s->vm_mem);
}
