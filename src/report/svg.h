/* SPDX-License-Identifier: ISC */
/* Bar charts as inline SVG for the HTML page: plain elements, no script, no font or
 * style from elsewhere, every text escaped. */
#ifndef VMM_REPORT_SVG_H
#define VMM_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* One bar, or one group of up to SVG_SERIES stacked or side-by-side values. */
#define SVG_SERIES 2

struct svg_bar {
	const char *label;             /* under the bar (every few bars when there are many) */
	double value[SVG_SERIES];
};

struct svg_chart {
	const char *title;
	const char *unit;              /* the y axis */
	const char *series[SVG_SERIES]; /* legend; NULL: fewer series */
	const struct svg_bar *bars;
	size_t nbars;
};

/* Vertical bars, the series side by side; negative values go below the axis. */
void svg_bars(FILE *f, const struct svg_chart *c);

/* One horizontal bar per row, split into shares of named parts (residency per host). */
struct svg_share {
	const char *row;               /* the VM */
	const char *const *part;       /* the hosts */
	const double *amount;          /* seconds on each */
	size_t nparts;
};
void svg_shares(FILE *f, const char *title, const struct svg_share *rows, size_t nrows);

/* Text for HTML and SVG alike: & < > " ' escaped; bytes below 0x20 shown as '?'. */
void html_text(FILE *f, const char *s);

#endif
