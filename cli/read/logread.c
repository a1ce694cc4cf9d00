/* Reads ovc logs and run files line by line (jansson, one line at a time)
 * into the model, tolerating torn, garbage and hostile lines. */
#include "read/logread.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <time.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Applies one later line (object O) of a process log. */
static void proc_line(struct reader *r, json_t *o, struct ovc_proc *p)
{
	json_t *t = json_object_get(o, "t");
	if (!json_is_string(t)) {
		ovc_rd_why(r, "record without a \"t\" type");
		ovc_rd_bad_line(r);
		return;
	}
	const char *type = json_string_value(t);
	bool ok = true;
	bool was_exec_last = p->exec_last;
	if (strcmp(type, OVC_REC_SAMPLE) == 0) {
		ok = ovc_rd_sample(r, o, p);
		/* A heartbeat after an exec record means execve failed and
		 * the image went on. */
		if (ok)
			p->exec_last = false;
	} else if (strcmp(type, OVC_REC_EXEC) == 0) {
		ok = ovc_rd_exec(r, o, p);
	} else if (strcmp(type, OVC_REC_END) == 0) {
		ok = ovc_rd_end(r, o, p);
		if (ok)
			p->exec_last = false;
	} else if (strcmp(type, OVC_REC_WARN) == 0) {
		ok = ovc_rd_warn(r, o, p);
		if (ok)
			p->exec_last = was_exec_last;
	} else if (strcmp(type, OVC_REC_MODULE) == 0) {
		ok = ovc_rd_module(r, o, p);
	} else if (strcmp(type, OVC_REC_SITE) == 0) {
		ok = ovc_rd_site(r, o, p);
	} else if (strcmp(type, OVC_REC_SITE_STATS) == 0) {
		ok = ovc_rd_site_stats(r, o, p);
	} else if (strcmp(type, OVC_REC_OVER) == 0) {
		ok = ovc_rd_alloc_event(r, o, false, p);
	} else if (strcmp(type, OVC_REC_REFUSE) == 0) {
		ok = ovc_rd_alloc_event(r, o, true, p);
	} else if (strcmp(type, OVC_REC_UNTRACED) == 0) {
		ok = ovc_rd_untraced(r, o, p);
	} else if (strcmp(type, OVC_REC_SNAPSHOT_END) == 0) {
		ok = ovc_rd_snapshot_end(r, o, p);
	} else if (strcmp(type, OVC_REC_PROC) == 0 ||
		   strcmp(type, OVC_REC_RUN) == 0 ||
		   strcmp(type, OVC_REC_RUN_END) == 0) {
		ovc_rd_why(r, "unexpected \"%s\" record", type);
		ok = false;
	}
	/* Unknown record types are ignored: later versions may add some. */
	if (!ok)
		ovc_rd_bad_line(r);
}

static void run_line(struct reader *r, json_t *o, struct ovc_run *run)
{
	json_t *t = json_object_get(o, "t");
	if (!json_is_string(t)) {
		ovc_rd_why(r, "record without a \"t\" type");
		ovc_rd_bad_line(r);
		return;
	}
	if (strcmp(json_string_value(t), OVC_REC_RUN_END) == 0 &&
	    !ovc_rd_run_end(r, o, run))
		ovc_rd_bad_line(r);
	if (strcmp(json_string_value(t), OVC_REC_SIDE) == 0 &&
	    !ovc_rd_side(r, o, run))
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

/* Files of a directory read by one thread: NAMES[FROM..TO) into a model
 * of its own, its messages into a buffer, so that the whole reads as if
 * read in name order by one. */
struct job {
	const char *dir;
	char **names;
	size_t from, to;
	const struct ovc_read_opts *o;
	struct seen_set *seen;
	pthread_mutex_t *seen_lock;
	struct ovc_model *m;
	struct ovc_runs_seen runs;
	FILE *err;
	char *errbuf;
	size_t errlen;
	size_t nlogs, empty;
};

static void *read_job(void *arg)
{
	struct job *j = arg;
	struct ovc_read_opts ro = j->o ? *j->o : (struct ovc_read_opts){0};
	ro.err = j->err;
	if (ro.runs)
		ro.runs = &j->runs;
	size_t dl = strlen(j->dir);
	bool slash = dl > 0 && j->dir[dl - 1] == '/';
	for (size_t i = j->from; i < j->to; i++) {
		char *path = malloc(dl + strlen(j->names[i]) + 2);
		if (!path)
			continue;
		sprintf(path, "%s%s%s", j->dir, slash ? "" : "/", j->names[i]);
		struct stat st;
		FILE *f = ovc_logread_open(path, &st, true);
		if (!f) {
			ovc_rd_say(j->err, "%s: cannot open: %s; skipped", path,
				   strerror(errno));
		} else if (st.st_size == 0) {
			j->empty++; /* said once, by read_dir */
			fclose(f);
		} else {
			if (j->seen_lock)
				pthread_mutex_lock(j->seen_lock);
			bool dup = seen_before(j->seen, &st);
			if (j->seen_lock)
				pthread_mutex_unlock(j->seen_lock);
			if (!dup && ovc_logread_stream(j->m, path, f, &ro, true) ==
					    OVC_READ_OK)
				j->nlogs++;
			fclose(f);
		}
		free(path);
	}
	return NULL;
}

/* Most threads reading one directory, and the fewest files worth one. */
#define READ_THREADS 4
#define FILES_PER_THREAD 64

/* Reads the files NAMES (N, sorted) of directory DIR into M, on up to
 * READ_THREADS threads when there are many (a suite's directory holds
 * thousands of logs; parsing them is most of a report's time). The
 * processes, runs and messages come out in name order as with one thread.
 * Returns how many files were empty. */
static size_t read_names(struct ovc_model *m, const char *dir, char **names,
			 size_t n, const struct ovc_read_opts *o,
			 struct seen_set *seen, size_t *nlogs)
{
	FILE *err = o && o->err ? o->err : stderr;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = n / FILES_PER_THREAD;
	if (cpus > 0 && nt > (size_t)cpus)
		nt = (size_t)cpus;
	if (nt > READ_THREADS)
		nt = READ_THREADS;
	if (nt < 2)
		nt = 0; /* one thread: this one */
	struct job jobs[READ_THREADS];
	pthread_t tid[READ_THREADS];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t started = 0;
	for (size_t t = 0; t < nt; t++) {
		struct job *j = &jobs[t];
		*j = (struct job){.dir = dir, .names = names,
				  .from = n * t / nt, .to = n * (t + 1) / nt,
				  .o = o, .seen = seen, .seen_lock = &lock};
		j->m = ovc_model_create();
		j->err = open_memstream(&j->errbuf, &j->errlen);
		if (!j->m || !j->err ||
		    pthread_create(&tid[t], NULL, read_job, j) != 0) {
			if (j->err)
				fclose(j->err);
			free(j->errbuf);
			ovc_model_destroy(j->m);
			break;
		}
		started++;
	}
	size_t done_to = 0, empty = 0;
	for (size_t t = 0; t < started; t++) {
		struct job *j = &jobs[t];
		pthread_join(tid[t], NULL);
		fclose(j->err);
		if (j->errlen)
			fwrite(j->errbuf, 1, j->errlen, err);
		free(j->errbuf);
		for (size_t i = 0; i < j->m->nprocs; i++)
			ovc_model_add_proc(m, j->m->procs[i]);
		for (size_t i = 0; i < j->m->nruns; i++)
			ovc_model_add_run(m, j->m->runs[i]);
		j->m->nprocs = j->m->nruns = 0;
		ovc_model_destroy(j->m);
		if (o && o->runs)
			ovc_runs_merge(o->runs, &j->runs);
		ovc_runs_seen_free(&j->runs);
		*nlogs += j->nlogs;
		empty += j->empty;
		done_to = j->to;
	}
	if (done_to < n) {
		/* One thread (few files), or threads could not be had: the
		 * rest here. */
		struct job j = {.dir = dir, .names = names, .from = done_to,
				.to = n, .o = o, .seen = seen, .m = m,
				.err = err};
		read_job(&j);
		if (o && o->runs)
			ovc_runs_merge(o->runs, &j.runs);
		ovc_runs_seen_free(&j.runs);
		*nlogs += j.nlogs;
		empty += j.empty;
	}
	return empty;
}

/* Reads the logs of directory DIR; returns false when it cannot be read. */
static bool read_dir(struct ovc_model *m, const char *dir,
		     const struct ovc_read_opts *o, struct seen_set *seen,
		     size_t *nlogs)
{
	FILE *err = o && o->err ? o->err : stderr;
	DIR *d = opendir(dir);
	if (!d) {
		ovc_rd_say(err, "%s: cannot open directory: %s", dir,
			   strerror(errno));
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
	size_t empty = read_names(m, dir, names, n, o, seen, nlogs);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (empty)
		ovc_rd_say(err,
			   "%s: %zu empty log%s skipped: %s could not write "
			   "(a full disk, a file size limit) or %s killed "
			   "before its first record",
			   dir, empty, empty == 1 ? "" : "s",
			   empty == 1 ? "its process" : "their processes",
			   empty == 1 ? "was" : "were");
	return true;
}

/* The id of the newest run among the run files of the directories of
 * PATHS when there are several (malloc'd), else NULL. Only run files are
 * read: they are few and small, and they name every run of `ovc run`. */
static char *newest_run_file(char *const *paths, size_t n)
{
	struct ovc_runs_seen seen = {0};
	struct ovc_model *scratch = ovc_model_create();
	FILE *null = fopen("/dev/null", "we");
	struct ovc_read_opts ro = {.err = null, .runs = &seen};
	for (size_t i = 0; scratch && null && i < n; i++) {
		DIR *d = opendir(paths[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (!log_name(e->d_name) ||
			    strncmp(e->d_name, OVC_RUN_PREFIX,
				    strlen(OVC_RUN_PREFIX)) != 0)
				continue;
			char *path = malloc(strlen(paths[i]) +
					    strlen(e->d_name) + 2);
			if (!path)
				continue;
			sprintf(path, "%s/%s", paths[i], e->d_name);
			ovc_logread_file(scratch, path, &ro);
			free(path);
		}
		closedir(d);
	}
	const struct ovc_run_seen *r = ovc_runs_newest(&seen);
	char *id = seen.n > 1 && r ? strdup(r->run) : NULL;
	ovc_runs_seen_free(&seen);
	ovc_model_destroy(scratch);
	if (null)
		fclose(null);
	return id;
}

static int read_paths(struct ovc_model *m, char *const *paths, size_t n,
		      const struct ovc_read_opts *o, size_t *nlogs);

int ovc_logread_paths(struct ovc_model *m, char *const *paths, size_t n,
		      const struct ovc_read_opts *o, size_t *nlogs)
{
	if (!o || !o->newest_run || o->run)
		return read_paths(m, paths, n, o, nlogs);
	struct ovc_runs_seen local = {0};
	struct ovc_read_opts ro = *o;
	if (!ro.runs)
		ro.runs = &local;
	char *pre = newest_run_file(paths, n);
	ro.run = pre;
	int rc = read_paths(m, paths, n, &ro, nlogs);
	struct ovc_runs_seen *seen = ro.runs;
	seen->kept = NULL;
	if (pre) {
		for (size_t i = 0; i < seen->n; i++)
			if (strcmp(seen->v[i].run, pre) == 0)
				seen->kept = &seen->v[i];
	} else if (seen->n > 1) {
		/* Logs of several runs without run files (the preload used
		 * bare, or run files removed): the newest by its logs. */
		seen->kept = ovc_runs_newest(seen);
		ovc_model_keep_run(m, seen->kept->run);
	}
	free(pre);
	ovc_runs_seen_free(&local);
	return rc;
}

static int read_paths(struct ovc_model *m, char *const *paths, size_t n,
		      const struct ovc_read_opts *o, size_t *nlogs)
{
	FILE *err = o && o->err ? o->err : stderr;
	struct seen_set seen = {0};
	size_t count = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			ovc_rd_say(err, "%s: cannot open: %s", paths[i],
				   strerror(errno));
			rc = 2;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!read_dir(m, paths[i], o, &seen, &count))
				rc = 2;
			continue;
		}
		FILE *f = ovc_logread_open(paths[i], &st, false);
		if (!f) {
			ovc_rd_say(err, "%s: cannot open: %s", paths[i],
				   strerror(errno));
			rc = 2;
			continue;
		}
		if (!seen_before(&seen, &st)) {
			enum ovc_read_status s =
				ovc_logread_stream(m, paths[i], f, o, false);
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
