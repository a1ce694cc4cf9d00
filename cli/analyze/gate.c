/* Gates: limits on process figures, parsed from the command line and
 * checked against a model (gate.h); told by render/render-gate.c. */
#include "analyze/gate.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"
#include "read/frames.h"
#include "analyze/leaks.h"
#include "analyze/suite.h"

static const struct {
	const char *name; /* option without "--" */
	bool is_size;     /* else a ratio; --no-abrupt-end takes nothing */
	const char *figure;
} limits[OVC_LIM_COUNT] = {
	[OVC_LIM_PEAK_LIVE] = {"max-peak-live", true, "peak live"},
	[OVC_LIM_PEAK_RSS] = {"max-peak-rss", true, "peak resident"},
	[OVC_LIM_UNTOUCHED] = {"max-untouched", true, "overcommit gap"},
	[OVC_LIM_TOUCHED_RATIO] = {"min-touched-ratio", false, "touched ratio"},
	[OVC_LIM_COMMIT_FRACTION] = {"max-commit-fraction", false,
				     "peak live / CommitLimit"},
	[OVC_LIM_LEAKED] = {"max-leaked", true, "leaked"},
	[OVC_LIM_ABRUPT] = {"no-abrupt-end", false, "end"},
};

const char ovc_gates_help[] =
	"gates (exit 1 when one fails):\n"
	"  --max-peak-live SIZE        peak live bytes at most SIZE (1G, "
	"512M, 1.5G)\n"
	"  --max-peak-rss SIZE         peak resident bytes at most SIZE\n"
	"  --max-untouched SIZE        overcommit gap (live never touched) at "
	"most SIZE\n"
	"  --min-touched-ratio R       touched / peak asked for at least R (0.5 "
	"or 50%)\n"
	"  --max-commit-fraction R     peak live / CommitLimit at most R\n"
	"  --max-leaked SIZE           bytes still live at exit (never "
	"freed) at most SIZE\n"
	"  --no-abrupt-end             no process killed by a signal or "
	"without an end\n"
	"  --check LIST                the same as one list: "
	"max-peak-live=1G,no-abrupt-end\n"
	"  --total                     limits apply to the totals instead "
	"of each\n"
	"                              process (peaks: the largest sum at "
	"one moment)\n"
	"  --only PATTERN[,PATTERN]    only processes whose exe path or name "
	"matches\n"
	"                              a shell glob\n"
	"  --junit FILE                also write the results as JUnit XML\n";

/* The non-negative number (decimals allowed) TEXT starts with, into *V,
 * and where it ends into *END; false when TEXT does not start with one. */
static bool parse_number(const char *text, double *v, char **end)
{
	errno = 0;
	if (!((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
		return false;
	*v = strtod(text, end);
	return !(errno || *end == text || !isfinite(*v) || *v < 0);
}

/* Parses a size: a number (decimals allowed) with an optional unit
 * (K, M, G, T, with or without iB; powers of 1024). */
static bool parse_size(const char *text, int64_t *out)
{
	char *end;
	double v;
	if (!parse_number(text, &v, &end))
		return false;
	char unit[16];
	if (strlen(end) + 2 > sizeof unit)
		return false;
	snprintf(unit, sizeof unit, "1%s", end);
	uint64_t mult;
	if (!ovc_parse_size(unit, &mult))
		return false;
	double b = v * (double)mult;
	if (b >= 9.2e18)
		return false;
	*out = (int64_t)(b + 0.5);
	return true;
}

/* Parses a ratio: a number in [0, 1], or a percentage "50%". */
static bool parse_ratio(const char *text, double *out)
{
	char *end;
	double v;
	if (!parse_number(text, &v, &end))
		return false;
	if (strcmp(end, "%") == 0)
		v /= 100.0;
	else if (*end)
		return false;
	*out = v;
	return true;
}

/* Sets limit NAME (without "--") to VALUE (NULL when none was given).
 * Returns 1 when set, 0 when NAME is no limit, -1 on a bad value. */
static int set_limit(struct ovc_gates *g, const char *name, size_t len,
		     const char *value, const char *cmd)
{
	for (int l = 0; l < OVC_LIM_COUNT; l++) {
		if (strlen(limits[l].name) != len ||
		    strncmp(limits[l].name, name, len) != 0)
			continue;
		if (l == OVC_LIM_ABRUPT) {
			if (value) {
				fprintf(stderr, "ovc: %s: --%s takes no value\n",
					cmd, limits[l].name);
				return -1;
			}
			g->set[l] = true;
			return 1;
		}
		if (!value) {
			fprintf(stderr, "ovc: %s: --%s needs a value\n", cmd,
				limits[l].name);
			return -1;
		}
		bool ok = limits[l].is_size ? parse_size(value, &g->bytes[l])
					    : parse_ratio(value, &g->ratio[l]);
		if (!ok) {
			fprintf(stderr, "ovc: %s: --%s wants %s, not '%s'\n",
				cmd, limits[l].name,
				limits[l].is_size
					? "a size (1G, 512M, 4096)"
					: "a ratio (0.5 or 50%)",
				value);
			return -1;
		}
		g->set[l] = true;
		return 1;
	}
	return 0;
}

bool ovc_gates_parse_list(struct ovc_gates *g, const char *list,
			  const char *cmd)
{
	const char *s = list;
	bool any = false;
	for (;;) {
		const char *e = strchrnul(s, ',');
		size_t n = (size_t)(e - s);
		if (n > 0) {
			char item[1024];
			if (n >= sizeof item) {
				fprintf(stderr, "ovc: %s: --check: item too "
						"long\n",
					cmd);
				return false;
			}
			memcpy(item, s, n);
			item[n] = '\0';
			const char *name = item[0] == '-' && item[1] == '-'
						   ? item + 2
						   : item;
			char *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			int rc;
			if (nl == 5 && strncmp(name, "total", 5) == 0 && !eq) {
				g->total = true;
				rc = 1;
			} else if (nl == 4 && strncmp(name, "only", 4) == 0 &&
				   eq && eq[1]) {
				g->only = strdup(eq + 1); /* lives as long as ovc */
				rc = g->only ? 1 : -1;
			} else {
				rc = set_limit(g, name, nl, eq ? eq + 1 : NULL,
					       cmd);
			}
			if (rc == 0)
				fprintf(stderr, "ovc: %s: --check: unknown "
						"limit '%s'\n",
					cmd, item);
			if (rc != 1)
				return false;
			any = true;
		}
		if (!*e)
			break;
		s = e + 1;
	}
	if (!any) {
		fprintf(stderr, "ovc: %s: --check needs limits, e.g. "
				"max-peak-live=1G\n",
			cmd);
		return false;
	}
	return true;
}

int ovc_gates_parse_opt(struct ovc_gates *g, int argc, char **argv, int *i,
			const char *cmd)
{
	const char *a = argv[*i];
	if (strncmp(a, "--", 2) != 0)
		return 0;
	const char *name = a + 2;
	const char *eq = strchr(name, '=');
	size_t nl = eq ? (size_t)(eq - name) : strlen(name);
	/* Options that take a value: from "=V" or the next argument. */
	static const char *const valued[] = {"check", "only", "junit"};
	bool takes = false;
	for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
		if (strlen(valued[k]) == nl && strncmp(valued[k], name, nl) == 0)
			takes = true;
	for (int l = 0; l < OVC_LIM_COUNT; l++)
		if (l != OVC_LIM_ABRUPT && strlen(limits[l].name) == nl &&
		    strncmp(limits[l].name, name, nl) == 0)
			takes = true;
	if (nl == 5 && strncmp(name, "total", 5) == 0 && !eq) {
		g->total = true;
		return 1;
	}
	if (nl == strlen(limits[OVC_LIM_ABRUPT].name) &&
	    strncmp(name, limits[OVC_LIM_ABRUPT].name, nl) == 0)
		return set_limit(g, name, nl, eq ? eq + 1 : NULL, cmd);
	if (!takes)
		return 0;
	const char *value = eq ? eq + 1 : NULL;
	if (!value) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "ovc: %s: --%.*s needs a value\n", cmd,
				(int)nl, name);
			return -1;
		}
		value = argv[++*i];
	}
	if (nl == 5 && strncmp(name, "check", 5) == 0)
		return ovc_gates_parse_list(g, value, cmd) ? 1 : -1;
	/* The options whose value is kept as it is, and must not be empty. */
	const struct {
		const char *name, *what;
		const char **to;
	} kept[] = {{"only", "a pattern", &g->only},
		    {"junit", "a file", &g->junit}};
	for (size_t k = 0; k < sizeof kept / sizeof *kept; k++) {
		if (strlen(kept[k].name) != nl ||
		    strncmp(name, kept[k].name, nl) != 0)
			continue;
		if (!value[0]) {
			fprintf(stderr, "ovc: %s: --%s needs %s\n", cmd,
				kept[k].name, kept[k].what);
			return -1;
		}
		*kept[k].to = value;
		return 1;
	}
	return set_limit(g, name, nl, value, cmd);
}

bool ovc_gates_any(const struct ovc_gates *g)
{
	for (int l = 0; l < OVC_LIM_COUNT; l++)
		if (g->set[l])
			return true;
	return false;
}

/* ---- checking ---- */

/* Frees the strings of case G (not G). */
static void case_clear(struct ovc_gate_case *g)
{
	free(g->classname);
	free(g->name);
	free(g->what);
	free(g->message);
}

void ovc_gate_cases_add(struct ovc_gate_cases *c, struct ovc_gate_case *g)
{
	if (c->oom)
		goto drop;
	if (!ovc_grow(&c->v, &c->cap, c->n, sizeof *c->v, 16)) {
		c->oom = true;
		goto drop;
	}
	c->v[c->n++] = *g;
	return;
drop:
	case_clear(g);
}

static const char *bytes(int64_t n, char *buf)
{
	return ovc_format_bytes(n > 0 ? (uint64_t)n : 0, buf, 24);
}

/* The figures a limit is checked on: of one process or of the totals. */
struct figures {
	int64_t peak_live, peak_rss, gap, commit_limit;
	bool at_once; /* the peaks are a suite's largest sums at one moment */
	bool has_ratio;
	double ratio;
	bool abrupt;
	const char *abrupt_why;
	struct ovc_leak leak;
	const char *leak_unknown; /* why the leaks are not known, or NULL */
};

/* Checks limit L on F; fills MSG and returns true when it fails. Sets
 * *SKIP when the figure is unknown. */
static bool check_one(const struct ovc_gates *g, int l,
		      const struct figures *f, char *msg, size_t size,
		      bool *skip)
{
	char a[24], b[24];
	*skip = false;
	switch ((enum ovc_limit)l) {
	case OVC_LIM_PEAK_LIVE:
	case OVC_LIM_PEAK_RSS:
	case OVC_LIM_UNTOUCHED: {
		int64_t v = l == OVC_LIM_PEAK_LIVE  ? f->peak_live
			    : l == OVC_LIM_PEAK_RSS ? f->peak_rss
						    : f->gap;
		snprintf(msg, size, "%s%s %s %s %s %s", limits[l].figure,
			 f->at_once && l != OVC_LIM_UNTOUCHED
				 ? " at one moment"
				 : "",
			 bytes(v, a), v > g->bytes[l] ? ">" : "<=",
			 limits[l].name, bytes(g->bytes[l], b));
		return v > g->bytes[l];
	}
	case OVC_LIM_TOUCHED_RATIO:
		if (!f->has_ratio) {
			snprintf(msg, size, "%s: nothing was live",
				 limits[l].figure);
			*skip = true;
			return false;
		}
		snprintf(msg, size, "%s %.4g %s %s %.4g", limits[l].figure,
			 f->ratio, f->ratio < g->ratio[l] ? "<" : ">=",
			 limits[l].name, g->ratio[l]);
		return f->ratio < g->ratio[l];
	case OVC_LIM_COMMIT_FRACTION: {
		if (f->commit_limit <= 0) {
			snprintf(msg, size, "CommitLimit unknown");
			*skip = true;
			return false;
		}
		double r = (double)f->peak_live / (double)f->commit_limit;
		snprintf(msg, size, "%s %.4g (%s of %s) %s %s %.4g",
			 limits[l].figure, r, bytes(f->peak_live, a),
			 bytes(f->commit_limit, b),
			 r > g->ratio[l] ? ">" : "<=", limits[l].name,
			 g->ratio[l]);
		return r > g->ratio[l];
	}
	case OVC_LIM_LEAKED: {
		if (f->leak_unknown) {
			snprintf(msg, size, "%s: not known (%s)",
				 limits[l].figure, f->leak_unknown);
			*skip = true;
			return false;
		}
		const struct ovc_leak *k = &f->leak;
		char c[24], est[64] = "";
		if (k->estimated)
			snprintf(est, sizeof est, " (estimated, ± %s)",
				 bytes(k->sd_bytes, c));
		snprintf(msg, size, "%s %s%s %s %s %s", limits[l].figure,
			 bytes(k->bytes, a), est,
			 k->bytes > g->bytes[l] ? ">" : "<=", limits[l].name,
			 bytes(g->bytes[l], b));
		return k->bytes > g->bytes[l];
	}
	case OVC_LIM_ABRUPT:
		snprintf(msg, size, "%s (no-abrupt-end)",
			 f->abrupt ? f->abrupt_why : "ended normally");
		return f->abrupt;
	case OVC_LIM_COUNT:
		break;
	}
	return false;
}

static void proc_figures(const struct ovc_model *m, const struct ovc_proc *p,
			 struct figures *f, char *why, size_t size)
{
	f->peak_live = p->peak_live_bytes;
	f->peak_rss = p->peak_rss_bytes;
	f->gap = ovc_proc_gap_bytes(p);
	f->has_ratio = ovc_proc_touched_ratio(p, &f->ratio);
	f->commit_limit = p->host.commit_limit_bytes > 0
				  ? p->host.commit_limit_bytes
				  : m->host.commit_limit_bytes;
	f->abrupt = ovc_proc_abrupt(p);
	f->leak_unknown = NULL;
	ovc_proc_leaks_known(p, &f->leak_unknown);
	ovc_proc_leak(p, &f->leak);
	if (p->end_kind == OVC_END_SIGNAL) {
		const char *ab = p->end_signal > 0 && p->end_signal < 65
					 ? sigabbrev_np((int)p->end_signal)
					 : NULL;
		snprintf(why, size, "killed by SIG%s", ab ? ab : "?");
	} else {
		snprintf(why, size, "log ended abruptly (killed by SIGKILL or "
				    "the OOM killer?)");
	}
	f->abrupt_why = why;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Adds the cases of every set limit for one subject. */
static void check_subject(const struct ovc_gates *g, struct ovc_gate_cases *c,
			  const struct figures *f, const char *classname,
			  const char *name, const char *what, double seconds)
{
	char msg[512];
	for (int l = 0; l < OVC_LIM_COUNT; l++) {
		if (!g->set[l])
			continue;
		bool skip;
		struct ovc_gate_case gc = {0};
		gc.failed = check_one(g, l, f, msg, sizeof msg, &skip);
		gc.skipped = skip;
		gc.classname = strdup(classname);
		gc.name = dupf("%s %s", name, limits[l].name);
		gc.what = strdup(what);
		gc.message = strdup(msg);
		gc.seconds = seconds;
		ovc_gate_cases_add(c, &gc);
	}
}

bool ovc_gates_evaluate(const struct ovc_gates *g, const struct ovc_model *m,
			struct ovc_gate_cases *c)
{
	bool *sel = calloc(m->nprocs + 1, sizeof *sel);
	char why[128];
	if (!sel) {
		fputs("ovc: out of memory\n", stderr);
		return false;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		sel[i] = ovc_proc_matches(m->procs[i], g->only);
		c->nsel += sel[i];
	}
	if (g->total && c->nsel) {
		struct ovc_totals t;
		struct figures f = {0};
		ovc_totals_compute(m, sel, &t);
		/* A suite's peaks are its largest sums at one moment. */
		f.peak_live = t.peak_live_at_once_bytes;
		f.peak_rss = t.peak_rss_at_once_bytes;
		f.at_once = true;
		f.gap = t.gap_sum_bytes;
		f.has_ratio = t.has_ratio;
		f.ratio = t.touched_ratio;
		f.commit_limit = m->host.commit_limit_bytes;
		f.abrupt = t.abrupt > 0;
		/* leaks: summed over the images whose leaks are known */
		double var = 0;
		for (size_t i = 0; i < m->nprocs; i++) {
			struct ovc_leak l;
			if (!sel[i])
				continue;
			ovc_proc_leak(m->procs[i], &l);
			f.leak.bytes += l.bytes;
			f.leak.estimated |= l.estimated;
			var += (double)l.sd_bytes * (double)l.sd_bytes;
		}
		f.leak.sd_bytes = (int64_t)(sqrt(var) + 0.5);
		snprintf(why, sizeof why, "%zu process image%s ended abruptly",
			 t.abrupt, t.abrupt == 1 ? "" : "s");
		f.abrupt_why = why;
		char *what = dupf("totals of %zu process image%s", t.images,
				  t.images == 1 ? "" : "s");
		check_subject(g, c, &f, "ovc.totals", "totals",
			      what ? what : "totals", 0.0);
		free(what);
	} else {
		for (size_t i = 0; i < m->nprocs; i++) {
			if (!sel[i])
				continue;
			const struct ovc_proc *p = m->procs[i];
			struct figures f = {0};
			proc_figures(m, p, &f, why, sizeof why);
			const char *exe = p->exe[0] ? ovc_path_base(p->exe) : "?";
			char *cls = dupf("ovc.%s", exe);
			char *name = dupf("%s pid %" PRId64 " (%s)", exe, p->pid,
					  p->log_name);
			char *what = dupf("%s (pid %" PRId64 ", %s)", p->exe,
					  p->pid, p->log_name);
			if (cls && name && what)
				check_subject(g, c, &f, cls, name, what,
					      (double)ovc_proc_duration_ns(p) /
						      1e9);
			else
				c->oom = true;
			free(cls);
			free(name);
			free(what);
		}
	}
	free(sel);
	return true;
}

void ovc_gate_cases_free(struct ovc_gate_cases *c)
{
	for (size_t i = 0; i < c->n; i++)
		case_clear(&c->v[i]);
	free(c->v);
}
