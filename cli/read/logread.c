/* Reads ovc logs and run files line by line (jansson, one line at a time)
 * into the model, tolerating torn, garbage and hostile lines. */
#include "read/logread.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ovc/log-format.h"
#include "read/reader.h"

#ifndef OVC_REC_OVER
#define OVC_REC_OVER "over"
#endif
#ifndef OVC_REC_REFUSE
#define OVC_REC_REFUSE "refuse"
#endif
#ifndef OVC_REC_UNTRACED
#define OVC_REC_UNTRACED "untraced"
#endif

/* Reads the next line into *BUF (of *SIZE bytes, grown as needed up to
 * CAP; at most CAP - 1 bytes kept, NUL-terminated). Returns false at end
 * of file. *LEN is the length kept, *NL whether the line ended with '\n',
 * *LONG whether bytes were dropped. The buffer starts small: most lines
 * are short, and a report reads thousands of logs. */
static bool next_line(FILE *f, char **buf, size_t *size, size_t cap,
		      size_t *len, bool *nl, bool *too_long)
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
		if (n + 1 >= *size && *size < cap) {
			size_t ns = *size * 2 < cap ? *size * 2 : cap;
			char *nb = realloc(*buf, ns);
			if (nb) {
				*buf = nb;
				*size = ns;
			}
		}
		if (n + 1 < *size)
			(*buf)[n++] = (char)c;
		else
			*too_long = true;
	}
	(*buf)[n] = '\0';
	*len = n;
	return any;
}

/* Checks the first line. Returns OK with *IS_RUN set, or a refusal after
 * printing why. */
static enum ovc_read_status check_first(struct reader *r, json_t *o,
					const json_error_t *jerr, bool *is_run,
					bool in_dir)
{
	const char *tail = in_dir ? "; skipped" : "";
	if (!o) {
		ovc_rd_say(r->err,
			   "%s: not an ovc log (first line is not JSON: %s)%s",
			   r->path, jerr ? jerr->text : "empty", tail);
		return OVC_READ_NOT_LOG;
	}
	json_t *t = json_object_get(o, "t");
	json_t *fmt = json_object_get(o, "format");
	if (!json_is_object(o) || !json_is_string(t) ||
	    (strcmp(json_string_value(t), OVC_REC_PROC) != 0 &&
	     strcmp(json_string_value(t), OVC_REC_RUN) != 0)) {
		ovc_rd_say(
			r->err,
			"%s: not an ovc log (first line is not a proc or run "
			"record)%s",
			r->path, tail);
		return OVC_READ_NOT_LOG;
	}
	if (!json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), OVC_LOG_FORMAT) != 0) {
		ovc_rd_say(r->err,
			   "%s: not an ovc log (format is not \"%s\")%s",
			   r->path, OVC_LOG_FORMAT, tail);
		return OVC_READ_NOT_LOG;
	}
	json_t *ver = json_object_get(o, "version");
	if (!json_is_integer(ver)) {
		ovc_rd_say(r->err, "%s: not an ovc log (no version number)%s",
			   r->path, tail);
		return OVC_READ_NOT_LOG;
	}
	if (json_integer_value(ver) != OVC_LOG_VERSION) {
		ovc_rd_say(r->err,
			   "%s: unsupported log version %lld (this ovc reads "
			   "%d)%s",
			   r->path, (long long)json_integer_value(ver),
			   OVC_LOG_VERSION, tail);
		return OVC_READ_BAD_VERSION;
	}
	*is_run = strcmp(json_string_value(t), OVC_REC_RUN) == 0;
	return OVC_READ_OK;
}

static bool rd_over(struct reader *r, json_t *o, struct ovc_proc *p)
{
	return ovc_rd_alloc_event(r, o, false, p);
}

static bool rd_refuse(struct reader *r, json_t *o, struct ovc_proc *p)
{
	return ovc_rd_alloc_event(r, o, true, p);
}

/* What a record read well does to p->exec_last (an exec record was the
 * last): EXEC_KEEP leaves what the reader set, EXEC_OVER clears it (a
 * heartbeat or an end after an exec record means execve failed and the
 * image went on), EXEC_AS_WAS puts back what it was before the record (a
 * warning says nothing of the exec). */
enum exec_after { EXEC_KEEP, EXEC_OVER, EXEC_AS_WAS };

/* The records of a process log after its header, by type; a NULL reader:
 * a record that belongs in a header or a run file only. */
static const struct {
	const char *type;
	bool (*read)(struct reader *, json_t *, struct ovc_proc *);
	enum exec_after after;
} proc_records[] = {
	{OVC_REC_SAMPLE, ovc_rd_sample, EXEC_OVER},
	{OVC_REC_EXEC, ovc_rd_exec, EXEC_KEEP},
	{OVC_REC_END, ovc_rd_end, EXEC_OVER},
	{OVC_REC_WARN, ovc_rd_warn, EXEC_AS_WAS},
	{OVC_REC_MODULE, ovc_rd_module, EXEC_KEEP},
	{OVC_REC_SITE, ovc_rd_site, EXEC_KEEP},
	{OVC_REC_SITE_STATS, ovc_rd_site_stats, EXEC_KEEP},
	{OVC_REC_OVER, rd_over, EXEC_KEEP},
	{OVC_REC_REFUSE, rd_refuse, EXEC_KEEP},
	{OVC_REC_UNTRACED, ovc_rd_untraced, EXEC_KEEP},
	{OVC_REC_SNAPSHOT_END, ovc_rd_snapshot_end, EXEC_KEEP},
	{OVC_REC_PROC, NULL, EXEC_KEEP},
	{OVC_REC_RUN, NULL, EXEC_KEEP},
	{OVC_REC_RUN_END, NULL, EXEC_KEEP},
};

/* The record type of line O, or NULL when it has none (said, and the line
 * counted bad). */
static const char *line_type(struct reader *r, json_t *o)
{
	json_t *t = json_object_get(o, "t");
	if (json_is_string(t))
		return json_string_value(t);
	ovc_rd_why(r, "record without a \"t\" type");
	ovc_rd_bad_line(r);
	return NULL;
}

/* Applies one later line (object O) of a process log. */
static void proc_line(struct reader *r, json_t *o, struct ovc_proc *p)
{
	const char *type = line_type(r, o);
	if (!type)
		return;
	size_t k = 0, n = sizeof proc_records / sizeof proc_records[0];
	while (k < n && strcmp(type, proc_records[k].type) != 0)
		k++;
	/* Unknown record types are ignored: later versions may add some. */
	if (k == n)
		return;
	if (!proc_records[k].read) {
		ovc_rd_why(r, "unexpected \"%s\" record", type);
		ovc_rd_bad_line(r);
		return;
	}
	bool was_exec_last = p->exec_last;
	if (!proc_records[k].read(r, o, p)) {
		ovc_rd_bad_line(r);
		return;
	}
	if (proc_records[k].after == EXEC_OVER)
		p->exec_last = false;
	else if (proc_records[k].after == EXEC_AS_WAS)
		p->exec_last = was_exec_last;
}

static void run_line(struct reader *r, json_t *o, struct ovc_run *run)
{
	const char *type = line_type(r, o);
	if (!type)
		return;
	if (strcmp(type, OVC_REC_RUN_END) == 0 && !ovc_rd_run_end(r, o, run))
		ovc_rd_bad_line(r);
	if (strcmp(type, OVC_REC_SIDE) == 0 && !ovc_rd_side(r, o, run))
		ovc_rd_bad_line(r);
}

enum ovc_read_status ovc_logread_stream(struct ovc_model *m, const char *path,
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
	size_t size = cap < 16384 ? cap : 16384;
	char *buf = malloc(size);
	bool nl, too_long, is_run = false;
	struct ovc_proc *p = NULL;
	struct ovc_run *run = NULL;
	json_error_t jerr;

	if (!buf) {
		ovc_rd_say(r.err, "%s: out of memory", path);
		return OVC_READ_ERROR;
	}
	/* The first line decides whether this is a log at all. */
	do {
		if (!next_line(f, &buf, &size, cap, &len, &nl, &too_long)) {
			if (ferror(f)) {
				ovc_rd_say(r.err, "%s: cannot read: %s", path,
					   strerror(errno));
				st = OVC_READ_ERROR;
			} else {
				ovc_rd_say(r.err,
					   "%s: not an ovc log (empty file)%s",
					   path, in_dir ? "; skipped" : "");
				st = OVC_READ_NOT_LOG;
			}
			goto out;
		}
		r.lineno++;
	} while (len == 0 && !too_long && r.lineno < 16);
	json_t *first = too_long ? NULL : ovc_rd_load_line(buf, len, &jerr);
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
			ovc_rd_run_header(&r, first, run);
	} else {
		p = ovc_proc_create(path);
		if (p)
			ovc_rd_proc_header(&r, first, p);
	}
	json_decref(first);
	if (!run && !p) {
		ovc_rd_say(r.err, "%s: out of memory", path);
		st = OVC_READ_ERROR;
		goto out;
	}
	if (o && o->runs) {
		if (p)
			ovc_runs_note(o->runs, p->run, false, p->start_unix_ns,
				      NULL, 0);
		else
			ovc_runs_note(o->runs, run->run, true,
				      run->start_unix_ns, run->argv, run->argc);
	}
	if (o && o->run && strcmp(p ? p->run : run->run, o->run) != 0) {
		st = OVC_READ_FILTERED;
		goto out;
	}

	while (next_line(f, &buf, &size, cap, &len, &nl, &too_long)) {
		r.lineno++;
		if (too_long) {
			ovc_rd_why(&r, "line longer than %zu bytes",
				   r.max_line);
			ovc_rd_bad_line(&r);
			continue;
		}
		if (len == 0)
			continue;
		json_t *obj = ovc_rd_load_line(buf, len, &jerr);
		if (!obj || !json_is_object(obj)) {
			if (!nl) {
				/* A torn last line: the process was killed
				 * mid-write. Normal; no warning. */
				if (p)
					p->torn_tail = true;
			} else {
				ovc_rd_why(&r, "%s",
					   obj ? "not a JSON object"
					       : "not valid JSON");
				ovc_rd_bad_line(&r);
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
		ovc_rd_say(r.err,
			   "%s:%llu: read error: %s; the rest is ignored", path,
			   (unsigned long long)r.lineno, strerror(errno));
	if (r.suppressed)
		ovc_rd_say(r.err, "%s: %llu more bad lines skipped", path,
			   (unsigned long long)r.suppressed);
	if (p) {
		ovc_proc_trim(p);
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

/* A log is still being written while a sampler process holds its shared
 * flock (preload/ticker.c): after the program was killed, the sampler
 * writes what the program left and the end record. When the log's process
 * is gone but its sampler still writes, wait for it, at most 2 s; a log of
 * a process that still runs is read as it is now. */
static void settle(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		flock(fd, LOCK_UN);
		return;
	}
	char head[4096];
	ssize_t n = pread(fd, head, sizeof head - 1, 0);
	if (n <= 0)
		return;
	head[n] = '\0';
	const char *p = strstr(head, "\"pid\":");
	long pid = p ? strtol(p + 6, NULL, 10) : 0;
	if (pid <= 0 || pid > 4194304 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return;
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			flock(fd, LOCK_UN);
			return;
		}
	}
}

/* Opens PATH for reading without blocking on a FIFO and without following
 * it into a terminal; returns the stream or NULL (errno set). */
FILE *ovc_logread_open(const char *path, struct stat *st, bool regular_only)
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
	if (S_ISREG(st->st_mode))
		settle(fd);
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

enum ovc_read_status ovc_logread_file(struct ovc_model *m, const char *path,
				      const struct ovc_read_opts *o)
{
	struct stat st;
	FILE *f = ovc_logread_open(path, &st, false);
	if (!f) {
		ovc_rd_say(o && o->err ? o->err : stderr, "%s: cannot open: %s",
			   path, strerror(errno));
		return OVC_READ_ERROR;
	}
	enum ovc_read_status s = ovc_logread_stream(m, path, f, o, false);
	fclose(f);
	return s;
}
