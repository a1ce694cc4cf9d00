/* Reads ovc logs and run files line by line (jansson, one line at a time)
 * into the model, tolerating torn, garbage and hostile lines. */
#include "read/logread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/diagnose.h"
#include "ovc/log-format.h"

#ifndef OVC_REC_OVER
#define OVC_REC_OVER "over"
#endif
#ifndef OVC_REC_REFUSE
#define OVC_REC_REFUSE "refuse"
#endif
#ifndef OVC_REC_UNTRACED
#define OVC_REC_UNTRACED "untraced"
#endif

/* Sizes above this (1 EiB) are not from a real process: the line is bad. */
#define ABSURD_BYTES ((int64_t)1 << 60)
/* Times above this (about 146 years in ns) are bad too. */
#define ABSURD_NS ((int64_t)1 << 62)
/* Limits on what is kept of a header, whatever the line holds. */
#define MAX_STRING 4096
#define MAX_ARGV_BYTES (64 * 1024)
#define MAX_ARGC 4096
#define MAX_FUNCS 64

/* One file being read. */
struct reader {
	const char *path;
	FILE *err;
	unsigned max_warnings;
	size_t max_line;
	uint64_t lineno;
	unsigned warned;
	uint64_t suppressed;
	bool said_unknown_site, said_unknown_module, said_dup_site,
		said_site_cap, said_oom;
	char why[256]; /* what is wrong with the current line */
};

static void say(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(FILE *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ovc: ", err);
	vfprintf(err, fmt, ap);
	fputc('\n', err);
	va_end(ap);
}

static void set_why(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

/* Reports the current line as bad (r->why), within the warning budget. */
static void bad_line(struct reader *r)
{
	if (r->warned >= r->max_warnings) {
		r->suppressed++;
		return;
	}
	r->warned++;
	say(r->err, "%s:%llu: %s; line skipped", r->path,
	    (unsigned long long)r->lineno, r->why);
}

/* Reads the next line into BUF (capacity CAP, at most CAP - 1 bytes kept,
 * NUL-terminated). Returns false at end of file. *LEN is the length kept,
 * *NL whether the line ended with '\n', *LONG whether bytes were dropped. */
static bool next_line(FILE *f, char *buf, size_t cap, size_t *len, bool *nl,
		      bool *too_long)
{
	size_t n = 0;
	int c;
	bool any = false;
	*too_long = false;
	*nl = false;
	while ((c = getc_unlocked(f)) != EOF) {
		any = true;
		if (c == '\n') {
			*nl = true;
			break;
		}
		if (n + 1 < cap)
			buf[n++] = (char)c;
		else
			*too_long = true;
	}
	buf[n] = '\0';
	*len = n;
	return any;
}

/* ---- integers past INT64_MAX ----
 *
 * The preload writes its figures unsigned: a request's size (a refused
 * malloc(SIZE_MAX)) and its byte totals (which saturate at UINT64_MAX) may
 * pass INT64_MAX, and jansson, whose integers are long long, rejects a
 * line that holds one. Such an integer, outside strings, is written as a
 * string of its digits before the line is parsed; get_int and get_counts
 * read that string back as the figure, saturated to INT64_MAX (8 EiB: the
 * model's figures are int64_t) where the field takes any size. */

/* The value of S when it is a whole number in (INT64_MAX, UINT64_MAX]
 * written in decimal digits only. */
static bool big_digits(const char *s, size_t n, uint64_t *out)
{
	if (n < 19 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	if (v <= INT64_MAX)
		return false;
	*out = v;
	return true;
}

/* A copy of the line S (LEN bytes) with every integer above INT64_MAX
 * outside strings quoted, and its length in *OUT_LEN; NULL when there is
 * none (the common case, decided by one pass) or no memory. */
static char *quote_big_ints(const char *s, size_t len, size_t *out_len)
{
	size_t run = 0, i;
	for (i = 0; i < len; i++) {
		run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
		if (run == 19)
			break;
	}
	if (i == len)
		return NULL;
	/* At most two quotes per 19 bytes of digits. */
	char *out = malloc(len + len / 9 + 3);
	if (!out)
		return NULL;
	size_t n = 0;
	bool in_str = false, quoted = false;
	for (i = 0; i < len;) {
		char c = s[i];
		if (in_str) {
			out[n++] = c;
			i++;
			if (c == '\\' && i < len)
				out[n++] = s[i++];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			out[n++] = c;
			i++;
			continue;
		}
		if ((c >= '0' && c <= '9') || c == '-') {
			size_t j = i;
			while (j < len && ((s[j] >= '0' && s[j] <= '9') ||
					   s[j] == '-' || s[j] == '+' ||
					   s[j] == '.' || s[j] == 'e' || s[j] == 'E'))
				j++;
			uint64_t v;
			bool big = big_digits(s + i, j - i, &v);
			if (big)
				out[n++] = '"';
			memcpy(out + n, s + i, j - i);
			n += j - i;
			if (big)
				out[n++] = '"', quoted = true;
			i = j;
			continue;
		}
		out[n++] = c;
		i++;
	}
	if (!quoted) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/* Parses one line with jansson, big integers quoted first. */
static json_t *load_line(const char *buf, size_t len, json_error_t *jerr)
{
	size_t qlen;
	char *q = quote_big_ints(buf, len, &qlen);
	json_t *o = json_loadb(q ? q : buf, q ? qlen : len, 0, jerr);
	free(q);
	return o;
}

/* Whether V is a figure past INT64_MAX that load_line quoted. */
static bool json_big(json_t *v, uint64_t *out)
{
	return json_is_string(v) &&
	       big_digits(json_string_value(v), json_string_length(v), out);
}

/* Field access: MISSING leaves the output alone, BAD sets r->why. */
enum field { FLD_MISSING, FLD_OK, FLD_BAD };

static enum field get_int(struct reader *r, json_t *o, const char *key,
			  int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return FLD_MISSING;
	uint64_t big;
	if (json_big(v, &big)) {
		/* Any size: saturated. A bounded field: out of range. */
		if (max != INT64_MAX) {
			set_why(r, "\"%s\" is out of range (%llu)", key,
				(unsigned long long)big);
			return FLD_BAD;
		}
		*out = INT64_MAX;
		return FLD_OK;
	}
	if (!json_is_integer(v)) {
		set_why(r, "\"%s\" is not an integer", key);
		return FLD_BAD;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		set_why(r, "\"%s\" is out of range (%lld)", key, (long long)x);
		return FLD_BAD;
	}
	*out = (int64_t)x;
	return FLD_OK;
}

static enum field get_str(struct reader *r, json_t *o, const char *key,
			  const char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return FLD_MISSING;
	if (!json_is_string(v)) {
		set_why(r, "\"%s\" is not a string", key);
		return FLD_BAD;
	}
	*out = json_string_value(v);
	return FLD_OK;
}

/* Copy of S cut to MAX_STRING bytes (at a UTF-8 boundary). */
static char *dup_bounded(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

/* Replaces *DST with a bounded copy of SRC; false when out of memory. */
static bool set_string(char **dst, const char *src)
{
	char *c = dup_bounded(src, MAX_STRING);
	if (!c)
		return false;
	free(*dst);
	*dst = c;
	return true;
}

/* Reads an array of strings (argv) into *ARGV and *ARGC, bounded. */
static enum field get_argv(struct reader *r, json_t *o, const char *key,
			   char ***argv, size_t *argc)
{
	json_t *a = json_object_get(o, key);
	if (!a || json_is_null(a))
		return FLD_MISSING;
	if (!json_is_array(a)) {
		set_why(r, "\"%s\" is not an array", key);
		return FLD_BAD;
	}
	size_t n = json_array_size(a);
	if (n > MAX_ARGC)
		n = MAX_ARGC;
	char **v = calloc(n + 1, sizeof *v);
	if (!v) {
		set_why(r, "out of memory");
		return FLD_BAD;
	}
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n && total < MAX_ARGV_BYTES; i++) {
		json_t *e = json_array_get(a, i);
		const char *s = json_is_string(e) ? json_string_value(e) : "?";
		char *c = dup_bounded(s, MAX_ARGV_BYTES - total);
		if (!c)
			break;
		total += strlen(c) + 1;
		v[k++] = c;
	}
	for (size_t i = 0; i < *argc; i++)
		free((*argv)[i]);
	free(*argv);
	*argv = v;
	*argc = k;
	return FLD_OK;
}

/* Reads an array of NFUNCS non-negative integers into OUT[NFUNCS]. */
static enum field get_counts(struct reader *r, json_t *o, const char *key,
			     size_t nfuncs, int64_t *out)
{
	json_t *a = json_object_get(o, key);
	if (!a || json_is_null(a))
		return FLD_MISSING;
	if (!json_is_array(a) || json_array_size(a) != nfuncs) {
		set_why(r, "\"%s\" is not an array of %zu integers", key,
			nfuncs);
		return FLD_BAD;
	}
	for (size_t i = 0; i < nfuncs; i++) {
		json_t *e = json_array_get(a, i);
		uint64_t big;
		if (json_big(e, &big)) {
			out[i] = INT64_MAX; /* a byte total: saturated */
			continue;
		}
		if (!json_is_integer(e) || json_integer_value(e) < 0) {
			set_why(r, "\"%s\"[%zu] is not a non-negative integer",
				key, i);
			return FLD_BAD;
		}
		out[i] = (int64_t)json_integer_value(e);
	}
	return FLD_OK;
}

/* A header field that is present but wrong: warn, keep the default. */
static void header_field(struct reader *r, enum field f)
{
	if (f == FLD_BAD) {
		char keep[sizeof r->why];
		memcpy(keep, r->why, sizeof keep);
		set_why(r, "%s; default used", keep);
		if (r->warned < r->max_warnings) {
			r->warned++;
			say(r->err, "%s:%llu: %s", r->path,
			    (unsigned long long)r->lineno, r->why);
		} else {
			r->suppressed++;
		}
	}
}

static void note_ns(struct ovc_proc *p, int64_t ns)
{
	if (p->first_ns < 0 || ns < p->first_ns)
		p->first_ns = ns;
	if (ns > p->last_ns)
		p->last_ns = ns;
}

static void read_funcs(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *a = json_object_get(o, "funcs");
	if (!a) {
		/* Sane default: the order of log-format.h. */
		for (int i = 0; i < OVC_FN_COUNT; i++)
			p->func_pos[i] = i;
		p->nfuncs = OVC_FN_COUNT;
		return;
	}
	if (!json_is_array(a) || json_array_size(a) > MAX_FUNCS) {
		set_why(r, "\"funcs\" is not an array of at most %d names",
			MAX_FUNCS);
		header_field(r, FLD_BAD);
		for (int i = 0; i < OVC_FN_COUNT; i++)
			p->func_pos[i] = i;
		p->nfuncs = OVC_FN_COUNT;
		return;
	}
	p->nfuncs = json_array_size(a);
	for (size_t i = 0; i < p->nfuncs; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e))
			continue;
		for (int f = 0; f < OVC_FN_COUNT; f++)
			if (p->func_pos[f] < 0 &&
			    strcmp(json_string_value(e), ovc_func_name(f)) == 0)
				p->func_pos[f] = (int)i;
	}
}

/* "map_funcs": the order of the map_* arrays of the samples. */
static void read_map_funcs(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *a = json_object_get(o, "map_funcs");
	if (!a)
		return;
	if (!json_is_array(a) || json_array_size(a) > MAX_FUNCS) {
		set_why(r, "\"map_funcs\" is not an array of at most %d names",
			MAX_FUNCS);
		header_field(r, FLD_BAD);
		return;
	}
	p->nmap_funcs = json_array_size(a);
	for (int f = 0; f < OVC_MFN_COUNT; f++)
		p->map_pos[f] = -1;
	for (size_t i = 0; i < p->nmap_funcs; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e))
			continue;
		for (int f = 0; f < OVC_MFN_COUNT; f++)
			if (p->map_pos[f] < 0 &&
			    strcmp(json_string_value(e), ovc_map_func_names[f]) == 0)
				p->map_pos[f] = (int)i;
	}
}

static void read_proc_header(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *s;
	struct ovc_host *h = &p->host;
	enum field f;

	header_field(r, get_int(r, o, "pid", 0, INT32_MAX, &p->pid));
	header_field(r, get_int(r, o, "ppid", 0, INT32_MAX, &p->ppid));
	if ((f = get_str(r, o, "exe", &s)) == FLD_OK)
		set_string(&p->exe, s);
	header_field(r, f);
	header_field(r, get_argv(r, o, "argv", &p->argv, &p->argc));
	if ((f = get_str(r, o, "run", &s)) == FLD_OK)
		set_string(&p->run, s);
	header_field(r, f);
	if ((f = get_str(r, o, "origin", &s)) == FLD_OK)
		set_string(&p->origin, s);
	header_field(r, f);
	if ((f = get_str(r, o, "parent_log", &s)) == FLD_OK)
		set_string(&p->parent_log, s);
	header_field(r, f);
	header_field(r, get_int(r, o, "proc_start_ticks", 0, INT64_MAX,
				&p->proc_start_ticks));
	header_field(r, get_int(r, o, "start_unix_ns", 0, INT64_MAX,
				&p->start_unix_ns));
	header_field(r, get_int(r, o, "start_mono_ns", 0, INT64_MAX,
				&p->start_mono_ns));
	header_field(r, get_int(r, o, "interval_ms", 0, INT32_MAX,
				&p->interval_ms));
	header_field(r, get_int(r, o, "sample", 0, ABSURD_BYTES,
				&p->sample_bytes));
	header_field(r, get_int(r, o, "page_size", 1, (int64_t)1 << 40,
				&h->page_size));
	header_field(r, get_int(r, o, "mem_total", 0, ABSURD_BYTES,
				&h->mem_total_bytes));
	header_field(r, get_int(r, o, "mem_available", 0, ABSURD_BYTES,
				&h->mem_available_bytes));
	header_field(r, get_int(r, o, "commit_limit", 0, ABSURD_BYTES,
				&h->commit_limit_bytes));
	header_field(r, get_int(r, o, "committed_as", 0, ABSURD_BYTES,
				&h->committed_as_bytes));
	header_field(r, get_int(r, o, "overcommit_memory", -1, 2,
				&h->overcommit_memory));
	header_field(r, get_int(r, o, "overcommit_ratio", -1, INT32_MAX,
				&h->overcommit_ratio));
	h->known = h->mem_total_bytes >= 0 || h->commit_limit_bytes >= 0 ||
		   h->overcommit_memory >= 0;
	read_funcs(r, o, p);
	read_map_funcs(r, o, p);

	json_t *b = json_object_get(o, "baseline");
	if (b && json_is_object(b)) {
		int64_t vm = -1, rss = -1, sh = -1;
		header_field(r, get_int(r, b, "vm", 0, ABSURD_BYTES, &vm));
		header_field(r, get_int(r, b, "rss", 0, ABSURD_BYTES, &rss));
		header_field(r, get_int(r, b, "shared", 0, ABSURD_BYTES, &sh));
		p->baseline_vm_bytes = vm > 0 ? vm : 0;
		p->baseline_rss_bytes = rss > 0 ? rss : 0;
		p->baseline_shared_bytes = sh > 0 ? sh : 0;
	} else if (b) {
		set_why(r, "\"baseline\" is not an object");
		header_field(r, FLD_BAD);
	}
	/* OVC_BUDGET / OVC_PREFAULT, when they were set. */
	int64_t budget = -1;
	const char *mode = "";
	header_field(r, get_int(r, o, "budget", 0, ABSURD_BYTES, &budget));
	header_field(r, get_str(r, o, "budget_mode", &mode));
	bool prefault = json_is_true(json_object_get(o, "prefault"));
	if (budget >= 0 || prefault)
		ovc_proc_note_budget(p, budget, mode, prefault);

	json_t *cg = json_object_get(o, "cgroup");
	if (cg && !json_is_null(cg)) {
		struct ovc_cgroup c = {.max_bytes = -1, .oom_kill_start = -1};
		int64_t version = 0;
		const char *dir = "";
		enum field cf = FLD_OK;
		if (!json_is_object(cg)) {
			set_why(r, "\"cgroup\" is not an object");
			cf = FLD_BAD;
		} else if ((cf = get_int(r, cg, "version", 1, 2, &version)) != FLD_BAD &&
			   (cf = get_str(r, cg, "dir", &dir)) != FLD_BAD &&
			   (cf = get_int(r, cg, "max", 0, INT64_MAX,
					&c.max_bytes)) != FLD_BAD &&
			   (cf = get_int(r, cg, "oom_kill", 0, INT64_MAX,
					&c.oom_kill_start)) != FLD_BAD) {
			c.version = (int)version;
			snprintf(c.dir, sizeof c.dir, "%s", dir);
			if (c.version && c.dir[0])
				ovc_proc_note_cgroup(p, &c);
		}
		header_field(r, cf);
	}
}

/* The kernel's high-water marks of a sample (-1 where absent) into P's
 * peaks; RSS and ANON are the sample's resident and anonymous resident.
 * The kernel keeps no anonymous high-water mark: where VmHWM rose since
 * the last sample, the peak fell between the two, and at it the anonymous
 * part was at least VmHWM minus the larger of the two samples' file pages
 * (exact while those stay put, as they mostly do). */
static void kernel_peaks(struct ovc_proc *p, int64_t rss, int64_t anon,
			 int64_t vm_peak, int64_t hwm)
{
	if (vm_peak < 0 || hwm < 0)
		return;
	p->kernel_peaks = true;
	if (vm_peak > p->peak_vm_bytes)
		p->peak_vm_bytes = vm_peak;
	if (hwm > p->peak_rss_bytes)
		p->peak_rss_bytes = hwm;
	int64_t file = rss - anon;
	if (p->last_hwm_bytes < 0 && p->baseline_rss_bytes >= 0 &&
	    p->baseline_shared_bytes >= 0 &&
	    p->baseline_shared_bytes <= p->baseline_rss_bytes) {
		/* before the first sample: the image's start */
		p->last_hwm_bytes = p->baseline_rss_bytes;
		p->last_file_bytes = p->baseline_shared_bytes;
	}
	if (p->last_hwm_bytes >= 0 && hwm > p->last_hwm_bytes &&
	    hwm > rss && p->last_file_bytes >= 0) {
		int64_t most = file > p->last_file_bytes ? file : p->last_file_bytes;
		if (hwm - most > p->peak_anon_rss_bytes)
			p->peak_anon_rss_bytes = hwm - most;
	}
	p->last_hwm_bytes = hwm;
	p->last_file_bytes = file;
}

/* Applies an `s` record to P; false (r->why set) when the line is bad. All
 * fields are checked before any is applied. */
static bool read_sample(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, vm = -1, rss = -1, sh = -1, live = -1, peak = -1;
	int64_t calls[MAX_FUNCS], failed[MAX_FUNCS], req[MAX_FUNCS];
	enum field fc, ff, fr;
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_int(r, o, "vm", 0, ABSURD_BYTES, &vm) == FLD_BAD ||
	    get_int(r, o, "rss", 0, ABSURD_BYTES, &rss) == FLD_BAD ||
	    get_int(r, o, "shared", 0, ABSURD_BYTES, &sh) == FLD_BAD ||
	    get_int(r, o, "live", 0, ABSURD_BYTES, &live) == FLD_BAD ||
	    get_int(r, o, "peak_live", 0, ABSURD_BYTES, &peak) == FLD_BAD)
		return false;
	if ((fc = get_counts(r, o, "calls", p->nfuncs, calls)) == FLD_BAD ||
	    (ff = get_counts(r, o, "failed", p->nfuncs, failed)) == FLD_BAD ||
	    (fr = get_counts(r, o, "requested", p->nfuncs, req)) == FLD_BAD)
		return false;
	/* the mmap family: optional (logs before it have none) */
	int64_t mcalls[MAX_FUNCS], mfailed[MAX_FUNCS], mbytes[MAX_FUNCS];
	int64_t mapped = -1, pmapped = -1, com = -1, pcom = -1;
	enum field mc, mf, mb;
	if ((mc = get_counts(r, o, "map_calls", p->nmap_funcs, mcalls)) == FLD_BAD ||
	    (mf = get_counts(r, o, "map_failed", p->nmap_funcs, mfailed)) == FLD_BAD ||
	    (mb = get_counts(r, o, "map_bytes", p->nmap_funcs, mbytes)) == FLD_BAD ||
	    get_int(r, o, "mapped", 0, ABSURD_BYTES, &mapped) == FLD_BAD ||
	    get_int(r, o, "peak_mapped", 0, ABSURD_BYTES, &pmapped) == FLD_BAD ||
	    get_int(r, o, "committed", 0, ABSURD_BYTES, &com) == FLD_BAD ||
	    get_int(r, o, "peak_committed", 0, ABSURD_BYTES, &pcom) == FLD_BAD)
		return false;
	/* the kernel's figures and the joint peak: optional (newer logs) */
	int64_t vm_peak = -1, hwm = -1, ranon = -1, huge = -1, asked = -1;
	if (get_int(r, o, OVC_FIELD_VM_PEAK, 0, ABSURD_BYTES, &vm_peak) == FLD_BAD ||
	    get_int(r, o, OVC_FIELD_RSS_HWM, 0, ABSURD_BYTES, &hwm) == FLD_BAD ||
	    get_int(r, o, OVC_FIELD_RSS_ANON, 0, ABSURD_BYTES, &ranon) == FLD_BAD ||
	    get_int(r, o, OVC_FIELD_HUGETLB, 0, ABSURD_BYTES, &huge) == FLD_BAD ||
	    get_int(r, o, "peak_asked", 0, ABSURD_BYTES, &asked) == FLD_BAD)
		return false;
	int64_t bound = -1, written = -1;
	if (get_int(r, o, "peak_live_bound", 0, ABSURD_BYTES, &bound) == FLD_BAD ||
	    get_int(r, o, "written_since_fork", 0, ABSURD_BYTES, &written) == FLD_BAD)
		return false;
	if (written > p->written_since_fork_bytes)
		p->written_since_fork_bytes = written;
	if (bound > p->peak_live_bound_bytes)
		p->peak_live_bound_bytes = bound;

	p->samples++;
	if (ns >= 0)
		note_ns(p, ns);
	const int64_t before[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = p->peak_live_bytes, [OVC_SER_VM] = p->peak_vm_bytes,
		[OVC_SER_RSS] = p->peak_rss_bytes,
		[OVC_SER_ANON] = p->peak_anon_rss_bytes};
	if (ranon >= 0 && rss >= 0 && ranon <= rss)
		sh = rss - ranon; /* the kernel's own anonymous count */
	if (vm >= 0) {
		p->last_vm_bytes = vm;
		if (vm > p->peak_vm_bytes)
			p->peak_vm_bytes = vm;
	}
	if (rss >= 0) {
		/* Without "shared" all of rss counts as anonymous (an upper
		 * bound); shared above rss is nonsense: no anonymous pages. */
		int64_t anon = sh < 0 ? rss : sh <= rss ? rss - sh : 0;
		kernel_peaks(p, rss, anon, vm_peak, hwm);
		p->last_rss_bytes = rss;
		p->last_anon_rss_bytes = anon;
		if (rss > p->peak_rss_bytes)
			p->peak_rss_bytes = rss;
		if (anon > p->peak_anon_rss_bytes)
			p->peak_anon_rss_bytes = anon;
	}
	if (live >= 0) {
		p->last_live_bytes = live;
		if (live > p->peak_live_bytes)
			p->peak_live_bytes = live;
	}
	if (peak > p->peak_live_bytes)
		p->peak_live_bytes = peak;
	if (asked > p->peak_asked_bytes)
		p->peak_asked_bytes = asked;
	if (huge > p->hugetlb_bytes)
		p->hugetlb_bytes = huge;
	/* A peak that rose between the last sample and this one (the exact
	 * peak_live, the kernel's high-water marks) is drawn just before
	 * this sample, so the chart shows the same peak as the figures. */
	const int64_t after[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = p->peak_live_bytes, [OVC_SER_VM] = p->peak_vm_bytes,
		[OVC_SER_RSS] = p->peak_rss_bytes,
		[OVC_SER_ANON] = p->peak_anon_rss_bytes};
	const int64_t now[OVC_SER_COUNT] = {
		[OVC_SER_LIVE] = live, [OVC_SER_VM] = vm, [OVC_SER_RSS] = rss,
		[OVC_SER_ANON] = rss < 0 ? -1 : sh < 0 ? rss : sh <= rss ? rss - sh : 0};
	int64_t between[OVC_SER_COUNT];
	bool any = false;
	for (int i = 0; i < OVC_SER_COUNT; i++) {
		between[i] = after[i] > before[i] && after[i] > now[i] ? after[i] : -1;
		any |= between[i] >= 0;
	}
	if (any && ns > 0)
		ovc_proc_note_peak(p, ns - 1, between);
	ovc_proc_note_sample(p, ns, live, vm, rss, sh);
	for (int f = 0; f < OVC_FN_COUNT; f++) {
		int pos = p->func_pos[f];
		if (pos < 0)
			continue;
		if (fc == FLD_OK)
			p->calls[f] = calls[pos];
		if (ff == FLD_OK)
			p->failed[f] = failed[pos];
		if (fr == FLD_OK)
			p->requested[f] = req[pos];
	}
	if (mc == FLD_OK)
		p->has_maps = true;
	for (int f = 0; f < OVC_MFN_COUNT; f++) {
		int pos = p->map_pos[f];
		if (pos < 0 || (size_t)pos >= p->nmap_funcs)
			continue;
		if (mc == FLD_OK)
			p->map_calls[f] = mcalls[pos];
		if (mf == FLD_OK)
			p->map_failed[f] = mfailed[pos];
		if (mb == FLD_OK)
			p->map_bytes[f] = mbytes[pos];
	}
	if (mapped >= 0)
		p->mapped_bytes = mapped;
	if (pmapped > p->peak_mapped_bytes)
		p->peak_mapped_bytes = pmapped;
	if (mapped > p->peak_mapped_bytes)
		p->peak_mapped_bytes = mapped;
	if (com >= 0)
		p->committed_bytes = com;
	if (pcom > p->peak_committed_bytes)
		p->peak_committed_bytes = pcom;
	if (com > p->peak_committed_bytes)
		p->peak_committed_bytes = com;
	return true;
}

static bool read_exec(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1;
	const char *path = "";
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_str(r, o, "path", &path) == FLD_BAD)
		return false;
	if (ns >= 0)
		note_ns(p, ns);
	set_string(&p->exec_path, path);
	p->exec_last = true;
	return true;
}

static bool read_end(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, code = 0;
	const char *via = "";
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_int(r, o, "code", INT32_MIN, INT32_MAX, &code) == FLD_BAD ||
	    get_str(r, o, "via", &via) == FLD_BAD)
		return false;
	if (ns >= 0)
		note_ns(p, ns);
	p->has_end = true;
	p->end_code = code;
	set_string(&p->end_via, via);
	return true;
}

static bool read_warn(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1;
	const char *msg = "";
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_str(r, o, "msg", &msg) == FLD_BAD)
		return false;
	if (ns >= 0)
		note_ns(p, ns);
	p->warn_records++;
	if (!p->first_warn)
		p->first_warn = dup_bounded(msg, 200);
	return true;
}

static enum field get_bool(struct reader *r, json_t *o, const char *key,
			   bool *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return FLD_MISSING;
	if (!json_is_boolean(v)) {
		set_why(r, "\"%s\" is not true or false", key);
		return FLD_BAD;
	}
	*out = json_is_true(v);
	return FLD_OK;
}

/* Says something about the current line once per file (flag *SAID): not a
 * bad line, the log is well formed but inconsistent or too large. */
static void say_once(struct reader *r, bool *said, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say_once(struct reader *r, bool *said, const char *fmt, ...)
{
	if (*said)
		return;
	*said = true;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say(r->err, "%s:%llu: %s", r->path, (unsigned long long)r->lineno, msg);
}

#define MAX_BUILD_ID 128 /* hex digits; GNU build ids are 40 */

static bool read_module(struct reader *r, json_t *o, struct ovc_proc *p)
{
	struct ovc_module m = {.id = -1, .base = -1, .lo = -1, .hi = -1,
			       .path = "", .build_id = ""};
	const char *path = "", *bid = "";
	if (get_int(r, o, "id", 0, INT64_MAX, &m.id) == FLD_BAD ||
	    get_str(r, o, "path", &path) == FLD_BAD ||
	    get_str(r, o, "build_id", &bid) == FLD_BAD ||
	    get_int(r, o, "base", 0, INT64_MAX, &m.base) == FLD_BAD ||
	    get_int(r, o, "lo", 0, INT64_MAX, &m.lo) == FLD_BAD ||
	    get_int(r, o, "hi", 0, INT64_MAX, &m.hi) == FLD_BAD)
		return false;
	if (m.lo > m.hi)
		m.lo = m.hi = -1; /* a range that cannot be: unknown */
	if (m.id < 0) {
		set_why(r, "\"mod\" record without an \"id\"");
		return false;
	}
	for (const char *c = bid; *c; c++) {
		if (!strchr("0123456789abcdefABCDEF", *c) ||
		    c - bid >= MAX_BUILD_ID) {
			set_why(r, "\"build_id\" is not a hex string");
			return false;
		}
	}
	char *cpath = dup_bounded(path, MAX_STRING);
	m.path = cpath;
	m.build_id = (char *)bid;
	/* A repeated id keeps its first record (ids are never reused). */
	if (!cpath || ovc_proc_add_module(p, &m) < 0)
		say_once(r, &r->said_oom, "out of memory; modules dropped");
	free(cpath);
	return true;
}

static bool read_site(struct reader *r, json_t *o, struct ovc_proc *p)
{
	static struct ovc_frame frames[OVC_MAX_FRAMES];
	int64_t id = -1;
	if (get_int(r, o, "id", 0, INT64_MAX, &id) == FLD_BAD)
		return false;
	if (id < 0) {
		set_why(r, "\"site\" record without an \"id\"");
		return false;
	}
	json_t *a = json_object_get(o, "frames");
	if (!json_is_array(a)) {
		set_why(r, "\"frames\" is not an array");
		return false;
	}
	size_t n = json_array_size(a), kept = 0;
	bool unknown_mod = false;
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(a, i);
		json_t *fm = json_array_get(f, 0), *fo = json_array_get(f, 1);
		if (!json_is_array(f) || json_array_size(f) != 2 ||
		    !json_is_integer(fm) || !json_is_integer(fo) ||
		    json_integer_value(fm) < -1 || json_integer_value(fo) < 0) {
			set_why(r, "\"frames\"[%zu] is not a [module, offset] "
				"pair", i);
			return false;
		}
		if (kept == OVC_MAX_FRAMES)
			continue;
		frames[kept].mod = (int64_t)json_integer_value(fm);
		frames[kept].offset = (uint64_t)json_integer_value(fo);
		if (frames[kept].mod >= 0 && !ovc_proc_module(p, frames[kept].mod))
			unknown_mod = true;
		kept++;
	}
	if (unknown_mod)
		say_once(r, &r->said_unknown_module,
			 "site %lld names a module with no \"mod\" record; its "
			 "frames there are shown as module ids (said once)",
			 (long long)id);
	const char *kind = "malloc";
	if (get_str(r, o, "kind", &kind) == FLD_BAD)
		return false;
	bool dup = false;
	struct ovc_site *s = ovc_proc_add_site(p, id, frames, kept, &dup);
	if (s) {
		s->frames_dropped += n - kept;
		s->kind = strcmp(kind, "mmap") == 0     ? OVC_FAMILY_MMAP
			  : strcmp(kind, "mapped") == 0 ? OVC_FAMILY_MAPPED
							: OVC_FAMILY_MALLOC;
	} else if (dup) {
		say_once(r, &r->said_dup_site,
			 "site %lld is defined again; the first definition is "
			 "kept (said once)",
			 (long long)id);
	} else if (p->nsites >= OVC_MAX_SITES) {
		say_once(r, &r->said_site_cap,
			 "more than %d sites; the rest are counted, not "
			 "shown",
			 OVC_MAX_SITES);
	} else {
		say_once(r, &r->said_oom, "out of memory; sites dropped");
	}
	return true;
}

static bool read_site_stats(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1, id = -1, blocks = 0, req = 0, live = 0, peak = 0,
		touched = 0, unprobed = 0, live_touched = -1, com = 0, pcom = 0,
		live_blocks = -1, live_sd = 0;
	bool sampled = false, shared = false;
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_int(r, o, "id", 0, INT64_MAX, &id) == FLD_BAD ||
	    get_int(r, o, "blocks", 0, INT64_MAX, &blocks) == FLD_BAD ||
	    get_int(r, o, "requested", 0, INT64_MAX, &req) == FLD_BAD ||
	    get_int(r, o, "live", 0, ABSURD_BYTES, &live) == FLD_BAD ||
	    get_int(r, o, "peak_live", 0, ABSURD_BYTES, &peak) == FLD_BAD ||
	    get_int(r, o, "touched", 0, INT64_MAX, &touched) == FLD_BAD ||
	    get_int(r, o, "unprobed", 0, ABSURD_BYTES, &unprobed) == FLD_BAD ||
	    get_int(r, o, "live_touched", 0, ABSURD_BYTES, &live_touched) ==
		    FLD_BAD ||
	    get_bool(r, o, "sampled", &sampled) == FLD_BAD ||
	    get_bool(r, o, "shared_pages", &shared) == FLD_BAD ||
	    get_int(r, o, "committed", 0, ABSURD_BYTES, &com) == FLD_BAD ||
	    get_int(r, o, "peak_committed", 0, ABSURD_BYTES, &pcom) == FLD_BAD ||
	    get_int(r, o, "live_blocks", 0, ABSURD_BYTES, &live_blocks) ==
		    FLD_BAD ||
	    get_int(r, o, "live_sd", 0, ABSURD_BYTES, &live_sd) == FLD_BAD)
		return false;
	if (id < 0) {
		set_why(r, "\"ss\" record without an \"id\"");
		return false;
	}
	if (ns >= 0)
		note_ns(p, ns);
	struct ovc_site *s = ovc_proc_site(p, id);
	if (!s) {
		/* Sites beyond the cap were dropped on purpose. */
		if (!p->sites_dropped)
			say_once(r, &r->said_unknown_site,
				 "\"ss\" record of site %lld, which has no "
				 "\"site\" record; ignored (said once)",
				 (long long)id);
		return true;
	}
	/* Cumulative figures: the last record holds the totals. */
	s->has_figures = true;
	s->blocks = blocks;
	s->requested_bytes = req;
	s->live_bytes = live;
	s->peak_live_bytes = peak;
	s->touched_bytes = touched;
	s->unprobed_bytes = unprobed;
	s->sampled = sampled;
	s->shared_pages = shared;
	s->has_live_touched = live_touched >= 0;
	s->live_touched_bytes = live_touched;
	s->committed_bytes = com;
	s->peak_committed_bytes = pcom;
	s->live_blocks = live_blocks;
	s->live_sd_bytes = live_sd;
	s->sample_bytes = p->sample_bytes;
	return true;
}

/* A `snapshot_end` record: why `ovc snapshot --watch` stopped. */
static bool read_snapshot_end(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1;
	const char *why = "";
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_str(r, o, "why", &why) == FLD_BAD)
		return false;
	if (ns >= 0)
		note_ns(p, ns);
	if (!set_string(&p->snapshot_end, why))
		say_once(r, &r->said_oom, "out of memory");
	return true;
}

/* An `untraced` record: a program this image started that ovc cannot
 * follow. Kept (up to OVC_MAX_UNTRACED) for the process tree and totals. */
static bool read_untraced(struct reader *r, json_t *o, struct ovc_proc *p)
{
	int64_t ns = -1;
	const char *path = "", *why = "", *output = NULL;
	if (get_int(r, o, "ns", 0, ABSURD_NS, &ns) == FLD_BAD ||
	    get_str(r, o, "path", &path) == FLD_BAD ||
	    get_str(r, o, "why", &why) == FLD_BAD ||
	    get_str(r, o, "output", &output) == FLD_BAD)
		return false;
	if (ns >= 0)
		note_ns(p, ns);
	if (p->nuntraced >= OVC_MAX_UNTRACED) {
		p->untraced_dropped++;
		return true;
	}
	if (p->nuntraced == p->untraced_cap) {
		size_t ncap = p->untraced_cap ? p->untraced_cap * 2 : 4;
		struct ovc_untraced *nu =
			realloc(p->untraced, ncap * sizeof *nu);
		if (!nu) {
			set_why(r, "out of memory");
			return false;
		}
		p->untraced = nu;
		p->untraced_cap = ncap;
	}
	struct ovc_untraced *u = &p->untraced[p->nuntraced];
	u->t_ns = ns;
	u->path = dup_bounded(path, MAX_STRING);
	u->why = dup_bounded(why, 64);
	u->output = output ? dup_bounded(output, MAX_STRING) : NULL;
	if (!u->path || !u->why || (output && !u->output)) {
		free(u->path);
		free(u->why);
		free(u->output);
		set_why(r, "out of memory");
		return false;
	}
	p->nuntraced++;
	return true;
}

/* An `over` or `refuse` record: an allocation and the limit it met. */
static bool read_alloc_event(struct reader *r, json_t *o, bool refuse,
			     struct ovc_proc *p)
{
	struct ovc_alloc_event e = {.seen = true, .t_ns = -1, .size_bytes = -1,
				    .live_bytes = -1, .limit_bytes = -1,
				    .site = -1};
	const char *fn = "", *limit = "";
	if (get_int(r, o, "ns", 0, ABSURD_NS, &e.t_ns) == FLD_BAD ||
	    get_str(r, o, "fn", &fn) == FLD_BAD ||
	    get_int(r, o, "size", 0, INT64_MAX, &e.size_bytes) == FLD_BAD ||
	    get_int(r, o, "live", 0, INT64_MAX, &e.live_bytes) == FLD_BAD ||
	    get_int(r, o, refuse ? "budget" : "limit_bytes", 0, INT64_MAX,
		    &e.limit_bytes) == FLD_BAD ||
	    get_int(r, o, "site", -1, INT64_MAX, &e.site) == FLD_BAD ||
	    (!refuse && get_str(r, o, "limit", &limit) == FLD_BAD))
		return false;
	if (e.t_ns >= 0)
		note_ns(p, e.t_ns);
	snprintf(e.fn, sizeof e.fn, "%s", fn);
	if (refuse)
		ovc_proc_note_refuse(p, &e);
	else
		ovc_proc_note_over(p, limit, &e);
	return true;
}

static void read_run_header(struct reader *r, json_t *o, struct ovc_run *run)
{
	const char *s;
	enum field f;
	if ((f = get_str(r, o, "run", &s)) == FLD_OK)
		set_string(&run->run, s);
	header_field(r, f);
	header_field(r, get_int(r, o, "pid", 0, INT32_MAX, &run->pid));
	header_field(r, get_int(r, o, "ovc_pid", 0, INT32_MAX, &run->ovc_pid));
	header_field(r, get_argv(r, o, "argv", &run->argv, &run->argc));
	header_field(r, get_int(r, o, "start_unix_ns", 0, INT64_MAX,
				&run->start_unix_ns));
}

static bool read_run_end(struct reader *r, json_t *o, struct ovc_run *run)
{
	const char *kind = "";
	int64_t code = -1, sig = -1, dur = -1;
	if (get_str(r, o, "kind", &kind) == FLD_BAD ||
	    get_int(r, o, "code", INT32_MIN, INT32_MAX, &code) == FLD_BAD ||
	    get_int(r, o, "signal", 0, 1024, &sig) == FLD_BAD ||
	    get_int(r, o, "duration_ns", 0, ABSURD_NS, &dur) == FLD_BAD)
		return false;
	if (strcmp(kind, "signal") == 0) {
		if (sig < 1) {
			set_why(r, "run_end of kind signal without a signal");
			return false;
		}
		run->end_kind = OVC_END_SIGNAL;
	} else if (strcmp(kind, "exit") == 0) {
		run->end_kind = OVC_END_EXIT;
	} else {
		set_why(r, "unknown run_end kind \"%.40s\"", kind);
		return false;
	}
	run->has_end = true;
	run->end_code = code;
	run->end_signal = sig;
	run->duration_ns = dur;
	return true;
}

/* Checks the first line. Returns OK with *IS_RUN set, or a refusal after
 * printing why. */
static enum ovc_read_status check_first(struct reader *r, json_t *o,
					const json_error_t *jerr, bool *is_run,
					bool in_dir)
{
	const char *tail = in_dir ? "; skipped" : "";
	if (!o) {
		say(r->err, "%s: not an ovc log (first line is not JSON: %s)%s",
		    r->path, jerr ? jerr->text : "empty", tail);
		return OVC_READ_NOT_LOG;
	}
	json_t *t = json_object_get(o, "t");
	json_t *fmt = json_object_get(o, "format");
	if (!json_is_object(o) || !json_is_string(t) ||
	    (strcmp(json_string_value(t), OVC_REC_PROC) != 0 &&
	     strcmp(json_string_value(t), OVC_REC_RUN) != 0)) {
		say(r->err,
		    "%s: not an ovc log (first line is not a proc or run "
		    "record)%s",
		    r->path, tail);
		return OVC_READ_NOT_LOG;
	}
	if (!json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), OVC_LOG_FORMAT) != 0) {
		say(r->err, "%s: not an ovc log (format is not \"%s\")%s",
		    r->path, OVC_LOG_FORMAT, tail);
		return OVC_READ_NOT_LOG;
	}
	json_t *ver = json_object_get(o, "version");
	if (!json_is_integer(ver)) {
		say(r->err, "%s: not an ovc log (no version number)%s",
		    r->path, tail);
		return OVC_READ_NOT_LOG;
	}
	if (json_integer_value(ver) != OVC_LOG_VERSION) {
		say(r->err, "%s: unsupported log version %lld (this ovc reads %d)%s",
		    r->path, (long long)json_integer_value(ver),
		    OVC_LOG_VERSION, tail);
		return OVC_READ_BAD_VERSION;
	}
	*is_run = strcmp(json_string_value(t), OVC_REC_RUN) == 0;
	return OVC_READ_OK;
}

/* Applies one later line (object O) of a process log. */
static void proc_line(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *t = json_object_get(o, "t");
	if (!json_is_string(t)) {
		set_why(r, "record without a \"t\" type");
		bad_line(r);
		return;
	}
	const char *type = json_string_value(t);
	bool ok = true;
	bool was_exec_last = p->exec_last;
	if (strcmp(type, OVC_REC_SAMPLE) == 0) {
		ok = read_sample(r, o, p);
		/* A heartbeat after an exec record means execve failed and
		 * the image went on. */
		if (ok)
			p->exec_last = false;
	} else if (strcmp(type, OVC_REC_EXEC) == 0) {
		ok = read_exec(r, o, p);
	} else if (strcmp(type, OVC_REC_END) == 0) {
		ok = read_end(r, o, p);
		if (ok)
			p->exec_last = false;
	} else if (strcmp(type, OVC_REC_WARN) == 0) {
		ok = read_warn(r, o, p);
		if (ok)
			p->exec_last = was_exec_last;
	} else if (strcmp(type, OVC_REC_MODULE) == 0) {
		ok = read_module(r, o, p);
	} else if (strcmp(type, OVC_REC_SITE) == 0) {
		ok = read_site(r, o, p);
	} else if (strcmp(type, OVC_REC_SITE_STATS) == 0) {
		ok = read_site_stats(r, o, p);
	} else if (strcmp(type, OVC_REC_OVER) == 0) {
		ok = read_alloc_event(r, o, false, p);
	} else if (strcmp(type, OVC_REC_REFUSE) == 0) {
		ok = read_alloc_event(r, o, true, p);
	} else if (strcmp(type, OVC_REC_UNTRACED) == 0) {
		ok = read_untraced(r, o, p);
	} else if (strcmp(type, OVC_REC_SNAPSHOT_END) == 0) {
		ok = read_snapshot_end(r, o, p);
	} else if (strcmp(type, OVC_REC_PROC) == 0 ||
		   strcmp(type, OVC_REC_RUN) == 0 ||
		   strcmp(type, OVC_REC_RUN_END) == 0) {
		set_why(r, "unexpected \"%s\" record", type);
		ok = false;
	}
	/* Unknown record types are ignored: later versions may add some. */
	if (!ok)
		bad_line(r);
}

static void run_line(struct reader *r, json_t *o, struct ovc_run *run)
{
	json_t *t = json_object_get(o, "t");
	if (!json_is_string(t)) {
		set_why(r, "record without a \"t\" type");
		bad_line(r);
		return;
	}
	if (strcmp(json_string_value(t), OVC_REC_RUN_END) == 0 &&
	    !read_run_end(r, o, run))
		bad_line(r);
}

static enum ovc_read_status read_stream(struct ovc_model *m, const char *path,
					FILE *f, const struct ovc_read_opts *o,
					bool in_dir)
{
	struct reader r = {
		.path = path,
		.err = o && o->err ? o->err : stderr,
		.max_warnings = o && o->max_warnings ? o->max_warnings
						     : OVC_READ_MAX_WARNINGS,
		.max_line = o && o->max_line ? o->max_line : OVC_READ_MAX_LINE,
	};
	enum ovc_read_status st = OVC_READ_OK;
	size_t cap = r.max_line + 1, len;
	char *buf = malloc(cap);
	bool nl, too_long, is_run = false;
	struct ovc_proc *p = NULL;
	struct ovc_run *run = NULL;
	json_error_t jerr;

	if (!buf) {
		say(r.err, "%s: out of memory", path);
		return OVC_READ_ERROR;
	}
	/* The first line decides whether this is a log at all. */
	do {
		if (!next_line(f, buf, cap, &len, &nl, &too_long)) {
			if (ferror(f)) {
				say(r.err, "%s: cannot read: %s", path,
				    strerror(errno));
				st = OVC_READ_ERROR;
			} else {
				say(r.err, "%s: not an ovc log (empty file)%s",
				    path, in_dir ? "; skipped" : "");
				st = OVC_READ_NOT_LOG;
			}
			goto out;
		}
		r.lineno++;
	} while (len == 0 && !too_long && r.lineno < 16);
	json_t *first = too_long ? NULL : load_line(buf, len, &jerr);
	if (too_long)
		snprintf(jerr.text, sizeof jerr.text, "longer than %zu bytes",
			 r.max_line);
	st = check_first(&r, first, &jerr, &is_run, in_dir);
	if (st != OVC_READ_OK) {
		json_decref(first);
		goto out;
	}
	if (is_run) {
		run = ovc_run_create(path);
		if (run)
			read_run_header(&r, first, run);
	} else {
		p = ovc_proc_create(path);
		if (p)
			read_proc_header(&r, first, p);
	}
	json_decref(first);
	if (!run && !p) {
		say(r.err, "%s: out of memory", path);
		st = OVC_READ_ERROR;
		goto out;
	}
	if (o && o->run && strcmp(p ? p->run : run->run, o->run) != 0) {
		st = OVC_READ_FILTERED;
		goto out;
	}

	while (next_line(f, buf, cap, &len, &nl, &too_long)) {
		r.lineno++;
		if (too_long) {
			set_why(&r, "line longer than %zu bytes", r.max_line);
			bad_line(&r);
			continue;
		}
		if (len == 0)
			continue;
		json_t *obj = load_line(buf, len, &jerr);
		if (!obj || !json_is_object(obj)) {
			if (!nl) {
				/* A torn last line: the process was killed
				 * mid-write. Normal; no warning. */
				if (p)
					p->torn_tail = true;
			} else {
				set_why(&r, "%s",
					obj ? "not a JSON object"
					    : "not valid JSON");
				bad_line(&r);
				if (p)
					p->bad_lines++;
			}
			json_decref(obj);
			continue;
		}
		uint64_t before = r.warned + r.suppressed;
		if (p)
			proc_line(&r, obj, p);
		else
			run_line(&r, obj, run);
		if (p && r.warned + r.suppressed != before)
			p->bad_lines++;
		json_decref(obj);
	}
	if (ferror(f))
		say(r.err, "%s:%llu: read error: %s; the rest is ignored", path,
		    (unsigned long long)r.lineno, strerror(errno));
	if (r.suppressed)
		say(r.err, "%s: %llu more bad lines skipped", path,
		    (unsigned long long)r.suppressed);
	if (p) {
		ovc_model_add_proc(m, p);
		p = NULL;
	} else {
		ovc_model_add_run(m, run);
		run = NULL;
	}
out:
	ovc_proc_destroy(p);
	ovc_run_destroy(run);
	free(buf);
	return st;
}

/* Opens PATH for reading without blocking on a FIFO and without following
 * it into a terminal; returns the stream or NULL (errno set). */
static FILE *open_log(const char *path, struct stat *st, bool regular_only)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, st) != 0 || S_ISDIR(st->st_mode) ||
	    (regular_only && !S_ISREG(st->st_mode))) {
		int e = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

enum ovc_read_status ovc_logread_file(struct ovc_model *m, const char *path,
				      const struct ovc_read_opts *o)
{
	struct stat st;
	FILE *f = open_log(path, &st, false);
	if (!f) {
		say(o && o->err ? o->err : stderr, "%s: cannot open: %s", path,
		    strerror(errno));
		return OVC_READ_ERROR;
	}
	enum ovc_read_status s = read_stream(m, path, f, o, false);
	fclose(f);
	return s;
}

struct seen {
	dev_t dev;
	ino_t ino;
};

struct seen_set {
	struct seen *v;
	size_t n, cap;
};

/* True when the file was met before; records it otherwise. */
static bool seen_before(struct seen_set *s, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
			return true;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct seen *nv = realloc(s->v, nc * sizeof *nv);
		if (!nv)
			return false;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = (struct seen){st->st_dev, st->st_ino};
	return false;
}

static bool log_name(const char *name)
{
	size_t n = strlen(name), sl = strlen(OVC_LOG_SUFFIX);
	if (n <= sl || strcmp(name + n - sl, OVC_LOG_SUFFIX) != 0)
		return false;
	return strncmp(name, OVC_LOG_PREFIX, strlen(OVC_LOG_PREFIX)) == 0 ||
	       strncmp(name, OVC_RUN_PREFIX, strlen(OVC_RUN_PREFIX)) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the logs of directory DIR; returns false when it cannot be read. */
static bool read_dir(struct ovc_model *m, const char *dir,
		     const struct ovc_read_opts *o, struct seen_set *seen,
		     size_t *nlogs)
{
	FILE *err = o && o->err ? o->err : stderr;
	DIR *d = opendir(dir);
	if (!d) {
		say(err, "%s: cannot open directory: %s", dir, strerror(errno));
		return false;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!log_name(e->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nn = realloc(names, nc * sizeof *nn);
			if (!nn)
				break;
			names = nn;
			cap = nc;
		}
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	size_t dl = strlen(dir);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	for (size_t i = 0; i < n; i++) {
		char *path = malloc(dl + strlen(names[i]) + 2);
		if (path) {
			sprintf(path, "%s%s%s", dir, slash ? "" : "/", names[i]);
			struct stat st;
			FILE *f = open_log(path, &st, true);
			if (!f) {
				say(err, "%s: cannot open: %s; skipped", path,
				    strerror(errno));
			} else {
				if (!seen_before(seen, &st) &&
				    read_stream(m, path, f, o, true) ==
					    OVC_READ_OK)
					(*nlogs)++;
				fclose(f);
			}
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return true;
}

int ovc_logread_paths(struct ovc_model *m, char *const *paths, size_t n,
		      const struct ovc_read_opts *o, size_t *nlogs)
{
	FILE *err = o && o->err ? o->err : stderr;
	struct seen_set seen = {0};
	size_t count = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			say(err, "%s: cannot open: %s", paths[i],
			    strerror(errno));
			rc = 2;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!read_dir(m, paths[i], o, &seen, &count))
				rc = 2;
			continue;
		}
		FILE *f = open_log(paths[i], &st, false);
		if (!f) {
			say(err, "%s: cannot open: %s", paths[i],
			    strerror(errno));
			rc = 2;
			continue;
		}
		if (!seen_before(&seen, &st)) {
			enum ovc_read_status s =
				read_stream(m, paths[i], f, o, false);
			if (s == OVC_READ_OK)
				count++;
			else if (s != OVC_READ_FILTERED)
				rc = 2;
		}
		fclose(f);
	}
	free(seen.v);
	if (nlogs)
		*nlogs = count;
	return rc;
}
