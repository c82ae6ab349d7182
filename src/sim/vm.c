/* SPDX-License-Identifier: ISC */
/* One simulated VM: its hosts, its residency, and setting it up and freeing it. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

const char *
vm_host_name(const struct sim *s, const struct vm *v, int local)
{
	return local < 0 ? "" : s->sf->hosts[v->sc->host[local]].name;
}

int
vm_local(const struct sim *s, const struct vm *v, const char *name)
{
	for (size_t i = 0; i < v->sc->nlocal; i++)
		if (strcmp(s->sf->hosts[v->sc->host[i]].name, name) == 0)
			return (int)i;
	return -1;
}

int
vm_known_in_order(const struct sim *s, const struct vm *v)
{
	if (v->known.nhosts < v->sc->nlocal)
		return 0;
	for (size_t i = 0; i < v->sc->nlocal; i++)
		if (strcmp(v->known.hosts[i].name, vm_host_name(s, v, (int)i)) != 0)
			return 0;
	return 1;
}

/* Residency: the time since the last checkpoint goes to where the VM was. */
void
vm_checkpoint(struct vm *v, double t)
{
	if (!v->down && t > v->since)
		v->st.res[2 * v->loc + (v->resting ? 1 : 0)] += t - v->since;
	v->since = t;
}

void
vm_guard_init(const struct sim *s, struct vm *v)
{
	const struct settings *set = &v->sc->su->set;

	if (sim_thesis(s))
		guard_init(v->guard, isnan(s->sf->thesis_sleep) ? set->cooldown : s->sf->thesis_sleep, 0);
	else
		guard_init(v->guard, set->cooldown, set->max_moves_per_hour);
}

static int
vm_traced(const struct sim_opts *o, const char *name, const char *spec)
{
	if (o->trace_all)
		return 1;
	for (const char *const *p = o->trace_vms; p != NULL && *p != NULL; p++)
		if (strcmp(*p, name) == 0 || strcmp(*p, spec) == 0)
			return 1;
	return 0;
}

static int
vm_start_host(const struct sim *s, struct vm *v, char *err, size_t errlen)
{
	const struct simconf *c = v->sc;
	const char *start = v->spec->start;

	v->loc = c->first;
	if (start == NULL)
		return 0;
	if (strcmp(start, "spread") == 0) {
		/* round the array, so that copies do not all start on one host */
		size_t n = c->topo.nhosts ? c->topo.nhosts : c->nlocal;
		v->loc = vm_local(s, v, c->topo.nhosts ? c->topo.hosts[v->copy % n] :
		    s->sf->hosts[c->host[v->copy % n]].name);
		return 0;
	}
	if ((v->loc = vm_local(s, v, start)) < 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': start = \"%s\" is not one of the hosts its conf %s names",
		    s->sf->path, v->spec->line, v->spec->name, start, c->path);
		return -1;
	}
	return 0;
}

int
vm_init(struct sim *s, struct vm *v, const struct sim_vmspec *spec, size_t copy, char *err,
    size_t errlen)
{
	const struct settings *set = &v->sc->su->set;
	struct rng bursts;
	char e[1024];

	v->spec = spec;
	v->copy = copy;
	if (spec->count > 1 ? asprintf(&v->name, "%s-%zu", spec->name, copy + 1) < 0 :
	    (v->name = strdup(spec->name)) == NULL) {
		v->name = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rng_seed(&v->noise, s->o->seed, v->name, "noise");
	rng_seed(&v->moves, s->o->seed, v->name, "moves");
	rng_seed(&bursts, s->o->seed, v->name, "bursts");
	if (gen_state_init(&v->demand, &spec->demand, &bursts, s->sf->duration) < 0 ||
	    vm_start_host(s, v, err, errlen) < 0)
		return -1;
	v->guard = &s->guards[v - s->vms];
	e[0] = '\0';
	if (setup_policy(v->sc->su)->init(&vmm_host_api, v->sc->su->conf, &v->sc->env, &v->pstate,
	    e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s:%d: VM '%s': policy %s: %s", s->sf->path, spec->line, v->name,
		    set->policy, e);
		return -1;
	}
	vm_guard_init(s, v);
	if (!sim_thesis(s)) {
		hosts_init(&v->known, set->host_memory, set->retry_backoff, set->retry_backoff_max,
		    set->direction);
		damper_init(&v->damp, &set->damping, 0);
		efficacy_init(&v->eff, (size_t)set->efficacy_window, set->direction);
		forecast_init(&v->fc, set->anticipate);
	}
	/* ours: the daemon's decider, damping included; the thesis: none of it */
	v->dec = (struct decider){ .policy = setup_policy(v->sc->su), .policy_state = v->pstate,
		.topo = v->sc->topo, .guard = v->guard, .known = sim_thesis(s) ? NULL : &v->known,
		.choice = sim_thesis(s) ? TARGET_ROUND_ROBIN : (enum target_choice)set->target_choice,
		.interval = set->interval, .base = set->base,
		.damp = sim_thesis(s) ? NULL : &v->damp, .eff = sim_thesis(s) ? NULL : &v->eff,
		.fc = sim_thesis(s) ? NULL : &v->fc,
		.direction = set->direction, .hold = { .c = sim_thesis(s) ? NULL : &set->hold,
		.offset = splay_offset(v->name, set->hold.splay), .st = &v->hold },
		.rules = sim_thesis(s) ? NULL : &set->targets,
		.seed = decide_seed(v->name) };
	v->believed = v->loc;
	v->sla = !isnan(spec->sla) ? spec->sla : s->sf->sla;
	v->next_sample = set->interval + (sim_thesis(s) ? 0 : v->dec.hold.offset);
	v->traced = vm_traced(s->o, v->name, spec->name);
	/* the thesis's daemon said every outcome; ours says a repeated one once, as the agent */
	if (s->o->log != NULL && !sim_thesis(s) && (v->said = calloc(1, sizeof(*v->said))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->st.res = calloc(2 * v->sc->nlocal, sizeof(*v->st.res));
	v->st.hour_req = calloc(s->nhours, sizeof(*v->st.hour_req));
	v->st.hour_mov = calloc(s->nhours, sizeof(*v->st.hour_mov));
	if (s->o->hindsight)
		v->st.hind = calloc(v->sc->nlocal, sizeof(*v->st.hind));
	if (v->st.res == NULL || v->st.hour_req == NULL || v->st.hour_mov == NULL ||
	    (s->o->hindsight && v->st.hind == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
vm_free(struct vm *v)
{
	if (v->pstate != NULL)
		v->dec.policy->fini(v->pstate);
	if (v->dec.known != NULL)
		hosts_free(&v->known);
	gen_state_free(&v->demand);
	free(v->name);
	free(v->st.res);
	free(v->st.hour_req);
	free(v->st.hour_mov);
	free(v->st.hind);
	free(v->said);
}
