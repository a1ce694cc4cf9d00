/* Which files a report reads: the paths given, the logs of a directory
 * (read by several threads, merged in name order), each file once, and
 * the newest run's when the logs of several runs are there. One log is
 * read by logread.c. */
#include "read/logread.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovc/log-format.h"
#include "read/reader.h"

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
	if (!ovc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 64))
		return false;
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
