/* The text report: what people read after `ovc run` and `ovc report`. */
#include "render/render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ovc/options.h"
#include "analyze/diagnose.h"
#include "analyze/leaks.h"
#include "render/format.h"
#include "render/render-text.h"


/* The command line, quoted for a shell where needed, cut at about MAX
 * columns. */
void ovc_text_command(FILE *out, char *const *argv, size_t argc,
		      const char *fallback, size_t max)
{
	size_t w = 0;
	if (argc == 0) {
		fputs(fallback && fallback[0] ? fallback : "(unknown)", out);
		return;
	}
	for (size_t i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = a[0] != '\0';
		for (const char *c = a; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789-_./=:,+%@", *c))
				plain = false;
		if (i)
			w += (size_t)fprintf(out, " ");
		if (w > max) {
			fputs("...", out);
			return;
		}
		if (plain) {
			w += (size_t)fprintf(out, "%.*s", (int)(max + 8 - w), a);
			continue;
		}
		fputc('\'', out);
		w++;
		for (const char *c = a; *c && w <= max + 8; c++, w++) {
			if (*c == '\'')
				fputs("'\\''", out);
			else if ((unsigned char)*c < 0x20 || *c == 0x7f)
				fputc('?', out); /* no control bytes on a tty */
			else
				fputc(*c, out);
		}
		fputc('\'', out);
		w++;
	}
}

/* Writes S with control characters replaced, so a log cannot drive the
 * terminal. */
void ovc_text_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

void ovc_text_label(FILE *out, const char *l)
{
	fprintf(out, "  %-*s", LABEL_W, l);
}

void ovc_text_signal(int64_t sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < 65 ? sigabbrev_np((int)sig) : NULL;
	if (abbrev)
		snprintf(buf, size, "SIG%s (signal %" PRId64 ")", abbrev, sig);
	else
		snprintf(buf, size, "signal %" PRId64, sig);
}

const char *ovc_text_end_words(const struct ovc_proc *p, bool brief,
			       char *buf, size_t size)
{
	switch (p->end_kind) {
	case OVC_END_EXIT:
		snprintf(buf, size, "exit %" PRId64, p->end_code);
		break;
	case OVC_END_SIGNAL: {
		const char *a = p->end_signal > 0 && p->end_signal < 65
					? sigabbrev_np((int)p->end_signal)
					: NULL;
		snprintf(buf, size, "%sSIG%s", brief ? "" : "killed by ",
			 a ? a : "?");
		break;
	}
	case OVC_END_EXEC:
		snprintf(buf, size, "%s", brief ? "exec" : "replaced by exec");
		break;
	case OVC_END_SNAPSHOT:
		snprintf(buf, size, "%s",
			 brief ? "snapshot" : "watched by ovc snapshot");
		break;
	default:
		snprintf(buf, size, "%s", brief ? "abrupt" : "log ended abruptly");
	}
	return buf;
}

void ovc_render_opts_resolve(const struct ovc_render_opts *o,
			     struct ovc_render_opts *to)
{
	*to = o ? *o : (struct ovc_render_opts){0};
	if (!to->sym)
		to->sym = ovc_sym_new();
}

void ovc_render_opts_done(const struct ovc_render_opts *o,
			  struct ovc_render_opts *to)
{
	if (!o || to->sym != o->sym)
		ovc_sym_free(to->sym);
	to->sym = NULL;
}

/* The leak view (`ovc report --leaks`): per process image, what it still
 * held at exit, by site. */
static void put_leaks(FILE *out, const struct ovc_model *m,
		      const struct ovc_render_opts *o)
{
	bool sampled = false;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		struct ovc_leak l;
		ovc_proc_leak(p, &l);
		sampled |= l.estimated;
		fprintf(out, "process %" PRId64 ": ", p->pid);
		ovc_text_command(out, p->argv, p->argc, p->exe, CMD_MAX);
		fputc('\n', out);
		ovc_text_label(out, "ended");
		ovc_text_end(out, p);
		ovc_render_text_leaks(p, out, o);
		fputc('\n', out);
	}
	if (sampled)
		fputs("Leaks of blocks smaller than OVC_LARGE are estimated "
		      "from the sampled ones;\n'±' is one standard error: "
		      "the true figure is within two of them\n95% of the "
		      "time (docs/log-format.md, `live_sd`).\n",
		      out);
}

static void put_run(FILE *out, const struct ovc_model *m,
		    const struct ovc_run *r)
{
	char a[48], sig[48];
	size_t traced = 0;
	for (size_t i = 0; i < m->nprocs; i++)
		if (strcmp(m->procs[i]->run, r->run) == 0)
			traced++;
	fputs("run ", out);
	ovc_text_command(out, r->argv, r->argc, "(unknown command)", CMD_MAX);
	fputc('\n', out);
	ovc_text_label(out, "ended");
	if (!r->has_end)
		fputs("unknown (no run_end record)", out);
	else if (r->end_kind == OVC_END_SIGNAL) {
		ovc_text_signal(r->end_signal, sig, sizeof sig);
		fprintf(out, "killed by %s", sig);
	} else
		fprintf(out, "exit %" PRId64, r->end_code);
	if (r->has_end && r->duration_ns >= 0)
		fprintf(out, " after %s",
			ovc_render_duration(r->duration_ns, a, sizeof a));
	fputc('\n', out);
	ovc_text_label(out, "traced");
	if (traced == 0)
		fputs("no process: was the command statically linked, "
		      "setuid, or did it clear LD_PRELOAD?\n",
		      out);
	else
		fprintf(out, "%zu process image%s\n", traced,
			traced == 1 ? "" : "s");
	if (r->nside) {
		ovc_text_label(out, "untraced");
		fprintf(out, "%zu process%s wrote no log:\n",
			r->nside + (size_t)r->side_dropped,
			r->nside + r->side_dropped == 1 ? "" : "es");
		for (size_t i = 0; i < r->nside; i++) {
			fputs("                     ", out);
			ovc_text_safe(out, r->side[i].exe[0] ? r->side[i].exe : "?");
			fprintf(out, " (pid %" PRId64 "): ", r->side[i].pid);
			ovc_text_safe(out, r->side[i].msg);
			fputc('\n', out);
		}
	}
	ovc_text_label(out, "run id");
	ovc_text_safe(out, r->run);
	fputc('\n', out);
}

static void put_host(FILE *out, const struct ovc_host *h)
{
	fputs("machine (from the first log)\n", out);
	if (!h->known) {
		fputs("  unknown: no log recorded it\n", out);
		return;
	}
	ovc_render_text_machine(out, h, "committed by all processes at start");
}

void ovc_render_text_machine(FILE *out, const struct ovc_host *h,
			     const char *committed_as_note)
{
	char b[24];
	if (h->mem_total_bytes >= 0)
		ovc_render_bytes_line(out, "MemTotal", h->mem_total_bytes, "RAM");
	if (h->commit_limit_bytes >= 0)
		ovc_render_bytes_line(out, "CommitLimit", h->commit_limit_bytes,
			       "what strict overcommit would allow");
	if (h->committed_as_bytes >= 0)
		ovc_render_bytes_line(out, "Committed_AS", h->committed_as_bytes,
			       committed_as_note);
	ovc_text_label(out, "overcommit mode");
	switch (h->overcommit_memory) {
	case 0:
		fputs("0 heuristic: only obviously excessive requests fail\n",
		      out);
		break;
	case 1:
		fputs("1 always: every request succeeds\n", out);
		break;
	case 2:
		fprintf(out, "2 never (strict): requests beyond CommitLimit "
			     "(%s) fail\n",
			ovc_bytes(h->commit_limit_bytes, b));
		break;
	default:
		fputs("unknown\n", out);
	}
}

/* Orders runs newest first (ovc_runs_newest's order, reversed). */
static int cmp_newest(const void *a, const void *b)
{
	const struct ovc_run_seen *x = *(const struct ovc_run_seen *const *)a;
	const struct ovc_run_seen *y = *(const struct ovc_run_seen *const *)b;
	if (x->start_unix_ns != y->start_unix_ns)
		return x->start_unix_ns > y->start_unix_ns ? -1 : 1;
	return -strcmp(x->run, y->run);
}

/* The first lines of a report of the newest of several runs: that there
 * are several, which one this is, and how to see the others. */
static void put_runs_seen(FILE *out, const struct ovc_runs_seen *rs,
			  const char *dir)
{
	enum { LISTED = 10 };
	fprintf(out, "%s holds %zu runs: this report is of the newest, run ",
		dir ? dir : "the logs read", rs->n);
	ovc_text_safe(out, rs->kept->run[0] ? rs->kept->run : "(no run id)");
	fputs(" (`--run ID` for another, `--all-runs` for every one)\n", out);
	const struct ovc_run_seen **v = malloc(rs->n * sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < rs->n; i++)
		v[i] = &rs->v[i];
	qsort(v, rs->n, sizeof *v, cmp_newest);
	for (size_t i = 0; i < rs->n && i < LISTED; i++) {
		const struct ovc_run_seen *r = v[i];
		char when[32] = "start unknown";
		time_t t = (time_t)(r->start_unix_ns / 1000000000);
		struct tm tm;
		if (r->start_unix_ns >= 0 && localtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%s ", r == rs->kept ? "*" : " ");
		ovc_text_safe(out, r->run[0] ? r->run : "(no run id)");
		fprintf(out, "  %s  %6zu log%s  ", when, r->logs,
			r->logs == 1 ? " " : "s");
		ovc_text_safe(out, r->command ? r->command
					 : r->has_file ? "" : "(no run file)");
		fputc('\n', out);
	}
	if (rs->n > LISTED)
		fprintf(out, "  (%zu older runs: `ovc report --all-runs --json` "
			     "lists them)\n",
			rs->n - LISTED);
	fputc('\n', out);
	free(v);
}

bool ovc_render_text(const struct ovc_model *m, FILE *out,
		     const struct ovc_render_opts *o)
{
	if (o && o->runs && o->runs->kept)
		put_runs_seen(out, o->runs, o->dir);
	/* A suite of many processes: details of the top few only. */
	size_t max_detail = o && o->max_detail ? o->max_detail
			    : m->nprocs > 8     ? 3
						: 8;
	/* Runs: the first few (a suite run test by test makes hundreds). */
	for (size_t i = 0; i < m->nruns && i < 3; i++) {
		if (i)
			fputc('\n', out);
		put_run(out, m, m->runs[i]);
	}
	if (m->nruns > 3)
		fprintf(out, "\n(%zu more runs: `ovc report --json` lists "
			     "them)\n",
			m->nruns - 3);
	if (m->nprocs == 0 && m->nruns > 0)
		return !ferror(out); /* the run says that nothing was traced */
	if (m->nruns)
		fputc('\n', out);
	if (m->nprocs == 0) {
		fputs("no process logs", out);
		if (o && o->dir) {
			fputs(" in ", out);
			ovc_text_safe(out, o->dir);
		}
		fputs("\n", out);
		return !ferror(out);
	}
	/* One symbolizer for the whole report: modules (libc above all) are
	 * shared by the processes, and opening one costs. */
	struct ovc_render_opts to;
	ovc_render_opts_resolve(o, &to);
	if (to.leaks) {
		put_leaks(out, m, &to);
		ovc_render_opts_done(o, &to);
		return !ferror(out);
	}
	ovc_render_text_suite(m, out, &to);

	size_t *order = malloc(m->nprocs * sizeof *order);
	size_t shown = m->nprocs;
	if (order && m->nprocs > max_detail) {
		ovc_rank_procs(m, o ? o->proc_sort : OVC_PSORT_GAP, order);
		/* Keep the first by the sort key, in log order. */
		shown = max_detail;
		for (size_t i = 1; i < shown; i++)
			for (size_t j = i; j > 0 && order[j - 1] > order[j]; j--) {
				size_t t = order[j];
				order[j] = order[j - 1];
				order[j - 1] = t;
			}
	} else if (order) {
		for (size_t i = 0; i < m->nprocs; i++)
			order[i] = i;
	} else {
		shown = m->nprocs < max_detail ? m->nprocs : max_detail;
	}
	for (size_t i = 0; i < shown; i++) {
		ovc_text_proc(out, m, m->procs[order ? order[i] : i], &to);
		fputc('\n', out);
	}
	ovc_render_opts_done(o, &to);
	free(order);
	if (shown < m->nprocs)
		fprintf(out,
			"(%zu more processes are in the tables above; "
			"`ovc report --json` has them all)\n\n",
			m->nprocs - shown);
	put_host(out, &m->host);
	return !ferror(out);
}
