/* The process tree of a run of many processes (`ovc report`, text): each
 * process under the one that started it, exec chains on one line, repeats
 * collapsed (×N); and the programs ovc could not follow (render-tree.h). */
#include "render/render-tree.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "render/format.h"

#define BYTES_W 10
#define TREE_LABEL_W 52    /* columns of the tree before its figures */
#define TREE_MAX_KIDS 12   /* kinds of children shown per node */
#define TREE_MAX_DEPTH 48  /* deeper processes are counted, not shown */
#define CHAIN_MAX 6        /* images named in one chain line */

/* Writes S with control characters replaced (names come from logs). */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* Columns S takes on a terminal (UTF-8: continuation bytes take none). */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Appends S to BUF (SIZE) at *LEN, control characters replaced, stopping
 * before the end of BUF. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 1 < size; s++)
		buf[(*len)++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[*len] = '\0';
}

/* ---- the tree, as shown: children of equal label merged ---- */

struct dnode {
	char *label;
	bool untraced;
	size_t count;    /* processes merged into this line */
	int64_t pid;     /* when count is 1 */
	int64_t live_max, gap_max;
	size_t descendants; /* processes below it */
	struct dnode **kids;
	size_t nkids, cap;
};

static void dnode_free(struct dnode *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nkids; i++)
		dnode_free(d->kids[i]);
	free(d->kids);
	free(d->label);
	free(d);
}

/* The kid of D labelled LABEL, made when missing; NULL when out of
 * memory. */
static struct dnode *kid(struct dnode *d, const char *label, bool untraced)
{
	for (size_t i = 0; i < d->nkids; i++)
		if (d->kids[i]->untraced == untraced &&
		    strcmp(d->kids[i]->label, label) == 0)
			return d->kids[i];
	if (d->nkids == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 4;
		struct dnode **nk = realloc(d->kids, ncap * sizeof *nk);
		if (!nk)
			return NULL;
		d->kids = nk;
		d->cap = ncap;
	}
	struct dnode *k = calloc(1, sizeof *k);
	if (!k || !(k->label = strdup(label))) {
		free(k);
		return NULL;
	}
	k->untraced = untraced;
	k->pid = -1;
	d->kids[d->nkids++] = k;
	return k;
}

/* What the tree says of untraced record U: "untraced: static", or where
 * its logs went ("logs in DIR"). */
static void untraced_note(const struct ovc_untraced *u, char *buf,
			  size_t size, bool words)
{
	size_t len = 0;
	buf[0] = '\0';
	append(buf, size, &len, "untraced: ");
	if (strcmp(u->why, "output") == 0 && u->output) {
		append(buf, size, &len, "logs in ");
		append(buf, size, &len, u->output);
	} else if (words) {
		append(buf, size, &len, ovc_untraced_reason(u->why));
	} else {
		append(buf, size, &len,
		       strcmp(u->why, OVC_UNTRACED_NO_LOG) == 0 ? "no log here"
		       : strcmp(u->why, "cleared") == 0 ? "LD_PRELOAD set empty"
							 : u->why);
	}
}

/* P's unlogged exec (ovc_proc_exec_unlogged) as an untraced record. */
static struct ovc_untraced unlogged_of(const struct ovc_proc *p)
{
	struct ovc_untraced u = {.t_ns = -1,
				 .path = p->exec_path,
				 .why = (char *)OVC_UNTRACED_NO_LOG};
	return u;
}

/* The line of node K: its images' executables, "sh → make → cc1". */
static void chain_label(const struct ovc_model *m, const struct ovc_tree *t,
			size_t k, char *buf, size_t size)
{
	const struct ovc_tree_node *nd = &t->nodes[k];
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nd->nimages; i++) {
		const struct ovc_proc *p = m->procs[nd->images[i]];
		if (i)
			append(buf, size, &len, " → ");
		if (i == CHAIN_MAX - 1 && nd->nimages > CHAIN_MAX) {
			append(buf, size, &len, "… → ");
			i = nd->nimages - 1;
			p = m->procs[nd->images[i]];
		}
		append(buf, size, &len,
		       p->exe[0] ? ovc_path_base(p->exe) : "?");
	}
	const struct ovc_proc *last = m->procs[nd->images[nd->nimages - 1]];
	if (last->end_kind == OVC_END_EXEC && !last->successor &&
	    last->exec_path) {
		append(buf, size, &len, " → ");
		append(buf, size, &len, ovc_path_base(last->exec_path));
		char note[256];
		struct ovc_untraced un = unlogged_of(last);
		untraced_note(&un, note, sizeof note, false);
		for (size_t u = 0; u < last->nuntraced; u++)
			if (ovc_untraced_exec_target(last, &last->untraced[u]))
				untraced_note(&last->untraced[u], note,
					      sizeof note, false);
		append(buf, size, &len, " (");
		append(buf, size, &len, note);
		append(buf, size, &len, ")");
	}
}

static bool add_node(const struct ovc_model *m, const struct ovc_tree *t,
		     struct dnode *parent, size_t k, size_t depth);

/* Adds node K (and what is below it) under PARENT, merging with a kid of
 * the same label. */
static bool add_node(const struct ovc_model *m, const struct ovc_tree *t,
		     struct dnode *parent, size_t k, size_t depth)
{
	char label[512];
	const struct ovc_tree_node *nd = &t->nodes[k];
	chain_label(m, t, k, label, sizeof label);
	struct dnode *d = kid(parent, label, false);
	if (!d)
		return false;
	size_t before = d->descendants;
	d->count++;
	parent->descendants++;
	d->pid = d->count == 1 ? m->procs[nd->images[0]]->pid : -1;
	for (size_t i = 0; i < nd->nimages; i++) {
		const struct ovc_proc *p = m->procs[nd->images[i]];
		if (p->peak_live_bytes > d->live_max)
			d->live_max = p->peak_live_bytes;
		int64_t gap = ovc_proc_gap_bytes(p);
		if (gap > d->gap_max)
			d->gap_max = gap;
		for (size_t u = 0; u < p->nuntraced; u++) {
			const struct ovc_untraced *un = &p->untraced[u];
			if (ovc_untraced_exec_target(p, un))
				continue;
			char ul[512];
			size_t len = 0;
			char note[256];
			untraced_note(un, note, sizeof note, false);
			append(ul, sizeof ul, &len, ovc_path_base(un->path));
			append(ul, sizeof ul, &len, " (");
			append(ul, sizeof ul, &len, note);
			append(ul, sizeof ul, &len, ")");
			struct dnode *ud = kid(d, ul, true);
			if (!ud)
				return false;
			ud->count++;
			d->descendants++;
		}
	}
	for (size_t c = 0; c < nd->nchildren; c++) {
		if (depth >= TREE_MAX_DEPTH) {
			d->descendants++; /* counted, not shown */
			continue;
		}
		if (!add_node(m, t, d, nd->children[c], depth + 1))
			return false;
	}
	parent->descendants += d->descendants - before;
	return true;
}

static size_t dnode_shown_kids(const struct dnode *d, size_t *keep)
{
	size_t n = d->nkids;
	for (size_t i = 0; i < n; i++)
		keep[i] = i;
	if (n <= TREE_MAX_KIDS)
		return n;
	/* The TREE_MAX_KIDS largest by peak live, then back in order. */
	for (size_t i = 0; i < TREE_MAX_KIDS; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < n; j++)
			if (d->kids[keep[j]]->live_max >
			    d->kids[keep[best]]->live_max)
				best = j;
		size_t tmp = keep[i];
		keep[i] = keep[best];
		keep[best] = tmp;
	}
	for (size_t i = 1; i < TREE_MAX_KIDS; i++)
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			size_t tmp = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = tmp;
		}
	return TREE_MAX_KIDS;
}

static void put_dnode(FILE *out, const struct dnode *d, const char *prefix,
		      bool last, bool root)
{
	char line[768], a[24], b[24];
	size_t len = 0;
	line[0] = '\0';
	append(line, sizeof line, &len, "  ");
	append(line, sizeof line, &len, prefix);
	if (!root)
		append(line, sizeof line, &len, last ? "└─ " : "├─ ");
	append(line, sizeof line, &len, d->label);
	if (d->count > 1) {
		char c[32];
		snprintf(c, sizeof c, " ×%zu", d->count);
		append(line, sizeof line, &len, c);
	}
	fputs(line, out);
	if (!d->untraced) {
		size_t w = columns(line);
		char pid[32] = "";
		if (d->count == 1 && d->pid >= 0)
			snprintf(pid, sizeof pid, "%" PRId64, d->pid);
		fprintf(out, "%*s%8s  %*s  %*s",
			w < TREE_LABEL_W ? (int)(TREE_LABEL_W - w) : 1, "", pid,
			BYTES_W, ovc_bytes(d->live_max, a), BYTES_W,
			ovc_bytes(d->gap_max, b));
	}
	fputc('\n', out);

	size_t *keep = malloc((d->nkids + 1) * sizeof *keep);
	if (!keep)
		return;
	size_t shown = dnode_shown_kids(d, keep);
	char sub[512];
	snprintf(sub, sizeof sub, "%s%s", prefix,
		 root ? "" : last ? "   " : "│  ");
	size_t hidden = 0, hidden_procs = 0;
	for (size_t i = shown; i < d->nkids; i++) {
		hidden++;
		hidden_procs += d->kids[keep[i]]->count +
				d->kids[keep[i]]->descendants;
	}
	for (size_t i = 0; i < shown; i++)
		put_dnode(out, d->kids[keep[i]], sub, i + 1 == shown && !hidden,
			  false);
	if (hidden)
		fprintf(out, "  %s└─ … %zu more kind%s of process (%zu "
			     "process%s)\n",
			sub, hidden, hidden == 1 ? "" : "s", hidden_procs,
			hidden_procs == 1 ? "" : "es");
	free(keep);
}

void ovc_render_text_tree(FILE *out, const struct ovc_model *m,
			  const struct ovc_tree *t)
{
	struct dnode top = {.pid = -1};
	bool ok = true;
	for (size_t r = 0; r < t->nroots && ok; r++)
		ok = add_node(m, t, &top, t->roots[r], 0);
	fprintf(out, "process tree (%zu process%s; ×N: N processes with the "
		     "same commands, figures the largest)\n",
		t->n, t->n == 1 ? "" : "es");
	fprintf(out, "  %-*s%8s  %*s  %*s\n", TREE_LABEL_W - 2, "", "pid",
		BYTES_W, "peak live", BYTES_W, "gap");
	if (!ok)
		fputs("  (out of memory)\n", out);
	for (size_t i = 0; i < top.nkids; i++)
		put_dnode(out, top.kids[i], "", true, true);
	for (size_t i = 0; i < top.nkids; i++)
		dnode_free(top.kids[i]);
	free(top.kids);
	fputc('\n', out);
}

/* ---- untraced programs ---- */

void ovc_render_text_untraced(FILE *out, const struct ovc_model *m)
{
	size_t total = 0, shown = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		total += ovc_proc_untraced_count(m->procs[i]);
	if (!total)
		return;
	fprintf(out, "untraced processes (%zu): programs ovc cannot look "
		     "into\n",
		total);
	for (size_t i = 0; i < m->nprocs && shown < 10; i++) {
		const struct ovc_proc *p = m->procs[i];
		bool unlogged = ovc_proc_exec_unlogged(p);
		struct ovc_untraced last = unlogged_of(p);
		for (size_t u = 0; u < p->nuntraced + unlogged && shown < 10;
		     u++) {
			const struct ovc_untraced *un =
				u < p->nuntraced ? &p->untraced[u] : &last;
			fputs("  ", out);
			put_safe(out, un->path);
			char note[256];
			untraced_note(un, note, sizeof note, true);
			fputs("  (", out);
			put_safe(out, note);
			fputs(")  started by ", out);
			put_safe(out, p->exe[0] ? ovc_path_base(p->exe) : "?");
			fprintf(out, " (pid %" PRId64 ")\n", p->pid);
			shown++;
		}
	}
	if (shown < total)
		fprintf(out, "  (%zu more in `--json`)\n", total - shown);
	fputc('\n', out);
}
