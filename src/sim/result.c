/* SPDX-License-Identifier: ISC */
/* A simulation's results: per VM and per conf, handed to the output. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sim/engine.h"

static int
sim_topos(const struct sim *s, struct sim_result *r)
{
	const struct simfile *sf = s->sf;

	if ((r->topos = calloc(s->nconfs, sizeof(*r->topos))) == NULL)
		return -1;
	r->ntopos = s->nconfs;
	for (size_t i = 0; i < s->nconfs; i++) {
		const struct simconf *c = &s->confs[i];
		struct sim_topo *t = &r->topos[i];
		t->n = c->nlocal;
		t->policy = strdup(c->su->set.policy);
		t->names = calloc(c->nlocal, sizeof(*t->names));
		t->sites = calloc(c->nlocal, sizeof(*t->sites));
		t->cls = calloc(c->nlocal, sizeof(*t->cls));
		t->cost = calloc(c->nlocal, sizeof(*t->cost));
		if (t->policy == NULL || t->names == NULL || t->sites == NULL || t->cls == NULL || t->cost == NULL)
			return -1;
		for (size_t j = 0; j < c->nlocal; j++) {
			t->names[j] = sf->hosts[c->host[j]].name;
			t->sites[j] = sf->hosts[c->host[j]].site;
			t->cls[j] = c->cls[j];
			t->cost[j] = sf->hosts[c->host[j]].cost;
		}
	}
	return 0;
}

static long
sim_peak_rss(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

struct sim_result *
sim_result(struct sim *s, double seconds)
{
	struct sim_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->mode = sim_thesis(s) ? "thesis" : "ours";
	r->nvms = s->nvms;
	r->nhours = s->nhours;
	r->duration = s->sf->duration;
	r->start = s->sf->start;
	r->seconds = seconds;
	r->threads = s->nthreads;
	r->names = calloc(s->nvms, sizeof(*r->names));
	r->group = calloc(s->nvms, sizeof(*r->group));
	r->topo = calloc(s->nvms, sizeof(*r->topo));
	r->sla = calloc(s->nvms, sizeof(*r->sla));
	r->stats = calloc(s->nvms, sizeof(*r->stats));
	if (r->names == NULL || r->group == NULL || r->topo == NULL || r->sla == NULL ||
	    r->stats == NULL || sim_topos(s, r) < 0) {
		sim_result_free(r);
		return NULL;
	}
	for (size_t i = 0; i < s->nvms; i++) {
		struct vm *v = &s->vms[i];
		r->names[i] = v->name;
		v->name = NULL;
		r->group[i] = (size_t)(v->spec - s->sf->vms);
		r->topo[i] = v->sc->topo_index;
		r->sla[i] = v->sla;
		r->stats[i] = v->st;
		memset(&v->st, 0, sizeof(v->st));
	}
	r->hindsight = s->o->hindsight;
	r->nhosts = s->sf->nhosts;
	r->host_names = calloc(r->nhosts, sizeof(*r->host_names));
	r->arrivals = calloc(r->nhosts, sizeof(*r->arrivals));
	if (r->host_names == NULL || r->arrivals == NULL) {
		sim_result_free(r);
		return NULL;
	}
	for (size_t h = 0; h < r->nhosts; h++) {
		r->host_names[h] = s->sf->hosts[h].name;
		r->arrivals[h] = s->arrivals_at[h].a;
	}
	r->peak_rss_kib = sim_peak_rss();
	return r;
}

void
sim_result_free(struct sim_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->names != NULL && i < r->nvms; i++) {
		free(r->names[i]);
		if (r->stats != NULL) {
			free(r->stats[i].res);
			free(r->stats[i].hour_req);
			free(r->stats[i].hour_mov);
			free(r->stats[i].hind);
		}
	}
	for (size_t i = 0; r->topos != NULL && i < r->ntopos; i++) {
		free(r->topos[i].policy);
		free(r->topos[i].names);
		free(r->topos[i].sites);
		free(r->topos[i].cls);
		free(r->topos[i].cost);
	}
	free(r->topos);
	free(r->names);
	free(r->group);
	free(r->topo);
	free(r->sla);
	free(r->stats);
	free(r->host_names);
	free(r->arrivals);
	free(r);
}
