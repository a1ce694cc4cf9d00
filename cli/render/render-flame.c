/* Folded stacks of the sites ("root;...;leaf COUNT" lines), the input of
 * flamegraph.pl, inferno and speedscope. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "read/frames.h"
#include "render/render.h"

struct stack {
	char *text;    /* "root;frame;...;frame" */
	int64_t count; /* bytes */
};

struct stacks {
	struct stack *v;
	size_t n, cap;
};

/* Adds frame NAME to stack B (';' before all but the first). */
static void buf_name(struct ovc_text *b, const char *name)
{
	size_t len = strlen(name);
	if (!ovc_text_room(b, len + 1))
		return;
	if (b->len)
		b->s[b->len++] = ';';
	/* ';' separates frames and a line ends the stack: neither may
	 * appear in a name, nor may other control characters. An empty
	 * name would merge with its neighbour. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		b->s[b->len++] = c == ';' || c < 0x20 || c == 0x7f ? '_' : (char)c;
	}
	if (len == 0)
		b->s[b->len++] = '?';
	b->s[b->len] = '\0';
}

static int64_t weigh(const struct ovc_site_figures *f, enum ovc_flame_weight w)
{
	switch (w) {
	case OVC_WEIGHT_REQUESTED:
		return f->requested_bytes;
	case OVC_WEIGHT_TOUCHED:
		return f->touched_bytes;
	case OVC_WEIGHT_UNTOUCHED:
		break;
	}
	return f->untouched_bytes;
}

/* Adds the stacks of P's sites to ST; false when out of memory. */
static bool add_proc(struct stacks *st, const struct ovc_proc *p,
		     enum ovc_flame_weight w, struct ovc_symbolizer *sym)
{
	const char *root = p->exe[0] ? ovc_path_base(p->exe)
		       : p->argc ? ovc_path_base(p->argv[0])
				 : "?";
	for (size_t i = 0; i < p->nsites; i++) {
		const struct ovc_site *s = &p->sites[i];
		if (!s->has_figures)
			continue;
		struct ovc_site_figures f;
		ovc_site_figures(s, &f);
		int64_t count = weigh(&f, w);
		if (count <= 0)
			continue;
		struct ovc_text b = {0};
		buf_name(&b, root);
		if (s->frames_dropped)
			buf_name(&b, "[more frames]");
		/* Outermost first: the log has them innermost first. */
		for (size_t k = s->nframes; k-- > 0 && !b.oom;) {
			struct ovc_frame_info fi;
			char label[512];
			ovc_frame_describe(sym, p, &s->frames[k], &fi);
			buf_name(&b, ovc_frame_label(&fi, label, sizeof label));
		}
		if (b.oom) {
			free(b.s);
			return false;
		}
		if (!ovc_grow(&st->v, &st->cap, st->n, sizeof *st->v, 256)) {
			free(b.s);
			return false;
		}
		st->v[st->n++] = (struct stack){b.s, count};
	}
	return true;
}

static int cmp_stack(const void *a, const void *b)
{
	return strcmp(((const struct stack *)a)->text,
		      ((const struct stack *)b)->text);
}

bool ovc_render_flame(const struct ovc_model *m, FILE *out,
		      enum ovc_flame_weight weight, struct ovc_symbolizer *sym)
{
	struct stacks st = {0};
	bool ok = true;
	for (size_t i = 0; i < m->nprocs && ok; i++)
		ok = add_proc(&st, m->procs[i], weight, sym);
	if (ok && st.n > 1)
		qsort(st.v, st.n, sizeof *st.v, cmp_stack);
	for (size_t i = 0; ok && i < st.n;) {
		int64_t sum = 0;
		size_t j = i;
		for (; j < st.n && strcmp(st.v[j].text, st.v[i].text) == 0; j++)
			sum = st.v[j].count > INT64_MAX - sum ? INT64_MAX
							      : sum + st.v[j].count;
		fprintf(out, "%s %" PRId64 "\n", st.v[i].text, sum);
		i = j;
	}
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i].text);
	free(st.v);
	return ok && !ferror(out);
}
