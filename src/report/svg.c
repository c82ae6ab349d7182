/* SPDX-License-Identifier: ISC */
/* Bar charts as inline SVG. Hand-written rather than gnuplot's svg terminal: the page
 * must be one file an operator can open anywhere, and --html should not need gnuplot
 * and its temporary files for a few rectangles. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "report/svg.h"

#define W 760.0
#define H 260.0
#define LEFT 64.0
#define RIGHT 16.0
#define TOP 44.0
#define BOTTOM 56.0

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

void
html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc((unsigned char)*s < 0x20 ? '?' : *s, f); break;
		}
	}
}

/* A round step for the axis: 1, 2 or 5 times a power of ten, about 4 ticks over span. */
static double
tick_step(double span)
{
	double raw = span / 4, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void
svg_open(FILE *f, const char *title, double h)
{
	fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>",
	    W, h, W, h);
	html_text(f, title);
	fprintf(f, "</title><text x=\"%.0f\" y=\"18\" class=\"t\">", LEFT);
	html_text(f, title);
	fputs("</text>", f);
}

static void
svg_legend(FILE *f, const char *const *names, size_t n, double y)
{
	double x = LEFT;

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">",
		    x, y, i < NPALETTE ? palette[i] : "#999", x + 14, y + 9);
		html_text(f, names[i]);
		fputs("</text>", f);
		x += 24 + 7 * (double)strnlen(names[i], 40);
	}
}

static void
bars_axis(FILE *f, const struct svg_chart *c, double lo, double hi, double *scale, double *zero)
{
	double ph = H - TOP - BOTTOM, step = tick_step(hi - lo);

	*scale = ph / (hi - lo);
	*zero = TOP + hi * *scale;
	for (double v = ceil(lo / step) * step; v <= hi + step / 1000; v += step) {
		double y = *zero - v * *scale;
		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"g\"/><text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
		    LEFT, W - RIGHT, y, y, LEFT - 4, y + 4, v);
	}
	fprintf(f, "<text x=\"12\" y=\"%.0f\" transform=\"rotate(-90 12 %.0f)\" text-anchor=\"middle\">",
	    TOP + ph / 2, TOP + ph / 2);
	html_text(f, c->unit);
	fputs("</text>", f);
}

void
svg_bars(FILE *f, const struct svg_chart *c)
{
	size_t ns = 0;
	double lo = 0, hi = 0, scale, zero;

	while (ns < SVG_SERIES && c->series[ns] != NULL)
		ns++;
	ns = ns ? ns : 1;
	for (size_t i = 0; i < c->nbars; i++)
		for (size_t s = 0; s < ns; s++) {
			double v = c->bars[i].value[s];
			if (isfinite(v))
				lo = v < lo ? v : lo, hi = v > hi ? v : hi;
		}
	if (hi - lo <= 0)
		hi = 1;
	svg_open(f, c->title, H);
	bars_axis(f, c, lo, hi, &scale, &zero);
	double slot = (W - LEFT - RIGHT) / (double)(c->nbars ? c->nbars : 1);
	double bw = slot * 0.8 / (double)ns;
	size_t every = c->nbars / 24 + 1;
	for (size_t i = 0; i < c->nbars; i++) {
		double x = LEFT + slot * (double)i + slot * 0.1;
		for (size_t s = 0; s < ns; s++) {
			double v = c->bars[i].value[s];
			if (!isfinite(v) || v == 0)
				continue;
			double y = v > 0 ? zero - v * scale : zero;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>",
			    x + bw * (double)s, y, bw > 0.5 ? bw : 0.5, fabs(v) * scale, palette[s]);
			html_text(f, c->bars[i].label);
			fprintf(f, ": %g</title></rect>", v);
		}
		if (i % every == 0) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" transform=\"rotate(35 %.1f %.0f)\">",
			    x, H - BOTTOM + 14, x, H - BOTTOM + 14);
			html_text(f, c->bars[i].label);
			fputs("</text>", f);
		}
	}
	fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"a\"/>", LEFT,
	    W - RIGHT, zero, zero);
	if (c->series[0] != NULL)
		svg_legend(f, c->series, ns, 24);
	fputs("</svg></figure>\n", f);
}

/* The colour of a host: its index among every host named in the chart. */
static size_t
part_index(const char **seen, size_t *nseen, size_t max, const char *name)
{
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i], name) == 0)
			return i;
	if (*nseen < max)
		seen[(*nseen)++] = name;
	return *nseen - 1;
}

void
svg_shares(FILE *f, const char *title, const struct svg_share *rows, size_t nrows)
{
	const char *seen[NPALETTE + 1];
	size_t nseen = 0;
	double rh = 18, h = TOP + rh * (double)nrows + 8, pw = W - 160 - RIGHT;

	svg_open(f, title, h);
	for (size_t r = 0; r < nrows; r++) {
		double total = 0, x = 160, y = TOP + rh * (double)r;
		for (size_t k = 0; k < rows[r].nparts; k++)
			total += rows[r].amount[k] > 0 ? rows[r].amount[k] : 0;
		fprintf(f, "<text x=\"156\" y=\"%.1f\" text-anchor=\"end\">", y + 12);
		html_text(f, rows[r].row);
		fputs("</text>", f);
		for (size_t k = 0; k < rows[r].nparts && total > 0; k++) {
			double w = rows[r].amount[k] > 0 ? pw * rows[r].amount[k] / total : 0;
			size_t c = part_index(seen, &nseen, NPALETTE, rows[r].part[k]);
			if (w <= 0)
				continue;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"><title>",
			    x, y, w, rh - 4, c < NPALETTE && strcmp(seen[c], rows[r].part[k]) == 0 ? palette[c] : "#999");
			html_text(f, rows[r].part[k]);
			fprintf(f, ": %.1f%%</title></rect>", 100 * rows[r].amount[k] / total);
			x += w;
		}
	}
	svg_legend(f, seen, nseen, 24);
	fputs("</svg></figure>\n", f);
}
