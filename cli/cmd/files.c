/* The inputs and outputs of the ovc commands (files.h). */
#include "cmd/files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/logread.h"
#include "cmd/options.h"

static void no_logs(char *const *paths, size_t n)
{
	fputs("ovc: no ovc logs found in", stderr);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", paths[i]);
	fputs(" (files named ovc.*.jsonl or ovc-run.*.jsonl; make some with "
	      "`ovc run -- CMD`)\n",
	      stderr);
}

FILE *ovc_open_output(const char *outpath)
{
	if (!outpath || strcmp(outpath, "-") == 0)
		return stdout;
	FILE *out = fopen(outpath, "we");
	if (!out)
		fprintf(stderr, "ovc: %s: cannot create: %s\n", outpath,
			strerror(errno));
	return out;
}

int ovc_read_model_to(char *const *paths, size_t n, const char *run,
		      const char *outpath, struct ovc_model **m, FILE **out)
{
	*out = NULL;
	int rc = ovc_read_model(paths, n, run, m);
	if (!*m)
		return rc;
	*out = ovc_open_output(outpath);
	if (!*out) {
		ovc_model_destroy(*m);
		*m = NULL;
		return OVC_EXIT_USAGE;
	}
	return rc;
}

bool ovc_close_output(FILE *out, const char *outpath, bool ok,
		      const char *what)
{
	if (fflush(out) != 0)
		ok = false;
	if (out != stdout && fclose(out) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "ovc: %s: cannot write the %s\n",
			outpath ? outpath : "stdout", what);
	return ok;
}

int ovc_read_logs(char *const *paths, size_t n, const char *run,
		  bool require_logs, struct ovc_model **out)
{
	return ovc_read_logs_runs(paths, n, run, false, NULL, require_logs,
				  out);
}

int ovc_read_logs_runs(char *const *paths, size_t n, const char *run,
		       bool newest, struct ovc_runs_seen *runs,
		       bool require_logs, struct ovc_model **out)
{
	*out = NULL;
	struct ovc_model *m = ovc_model_create();
	if (!m) {
		fputs("ovc: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_read_opts ro = {.err = stderr, .run = run,
				   .newest_run = newest, .runs = runs};
	size_t nlogs = 0;
	int rc = ovc_logread_paths(m, paths, n, &ro, &nlogs);
	if (require_logs && nlogs == 0) {
		if (rc == 0)
			no_logs(paths, n);
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	ovc_model_link(m);
	*out = m;
	return rc;
}

int ovc_read_model(char *const *paths, size_t n, const char *run,
		   struct ovc_model **out)
{
	return ovc_read_logs(paths, n, run, true, out);
}

int ovc_mkdir_p(const char *path, unsigned mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*s = c;
		if (!c)
			break;
	}
	struct stat st;
	int rc = stat(p, &st);
	if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	}
	free(p);
	return rc;
}

bool ovc_write_record(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return false;
	size_t n = strlen(s);
	s[n] = '\n'; /* the terminating NUL's byte becomes the newline */
	ssize_t w = write(fd, s, n + 1);
	free(s);
	return w == (ssize_t)(n + 1);
}

char *ovc_absolute_dir(const char *dir)
{
	if (dir[0] == '/')
		return strdup(dir);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	char *abs = malloc(strlen(cwd) + strlen(dir) + 2);
	if (abs)
		sprintf(abs, "%s/%s", cwd, dir);
	free(cwd);
	return abs;
}

int ovc_read_operands(int argc, char **argv, int i, const char *run,
		      struct ovc_model **m)
{
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);
	return ovc_read_model(paths, n, run, m);
}

int ovc_read_operands_to(int argc, char **argv, int i, const char *run,
			 const char *outpath, struct ovc_model **m, FILE **out)
{
	size_t n;
	char *const *paths = ovc_paths_or_default(argc, argv, i, &n);
	return ovc_read_model_to(paths, n, run, outpath, m, out);
}
