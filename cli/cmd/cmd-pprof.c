/* `ovc pprof`: the sites of the logs as pprof profiles (profile.proto,
 * gzipped), one per process image or all merged into one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/frames.h"
#include "read/model.h"
#include "render/pprof.h"
#include "cmd/commands.h"

#define DEFAULT_DIR "ovc-pprof"
#define DEFAULT_MERGED "ovc.pb.gz"

static void pprof_usage(FILE *f)
{
	fputs("usage: ovc pprof [-o FILE|DIR] [--merge] [--run ID] "
	      "[--no-symbolize] [PATH...]\n"
	      "  PATH      a log file, or a directory of logs (default: "
	      "ovc-out)\n"
	      "  -o DIR    one profile per process image, DIR/ovc.PID.K.pb.gz "
	      "(default\n"
	      "            " DEFAULT_DIR "); -o FILE (ending in .gz, or - for "
	      "stdout) when\n"
	      "            there is one image, or with --merge\n"
	      "  --merge   every process image in one profile (default file "
	      DEFAULT_MERGED "),\n"
	      "            told apart by the sample labels pid and exe\n"
	      "  --run ID  only the logs of that run\n"
	      "  --no-symbolize  addresses and mappings only: pprof names the "
	      "frames\n"
	      "            from the binaries (or a server from their build "
	      "ids)\n"
	      "Writes gzipped profile.proto with the sample types requested "
	      "(default),\n"
	      "touched, untouched, peak_live (bytes), blocks (count) and "
	      "leaked (bytes):\n"
	      "  go tool pprof -top -sample_index=untouched ovc-pprof/*.pb.gz\n"
	      "Prints the name of each file it writes.\n",
	      f);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Writes the profile of the processes of M selected by ONLY (NULL: all)
 * to PATH ("-": stdout). Returns an exit code. */
static int write_one(const struct ovc_model *m, const struct ovc_proc *only,
		     struct ovc_symbolizer *sym, const char *path)
{
	bool to_stdout = strcmp(path, "-") == 0;
	if (to_stdout && isatty(1)) {
		fputs("ovc: pprof: not writing a binary profile to a "
		      "terminal; give -o FILE\n",
		      stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_pprof *b = ovc_pprof_new(sym);
	bool ok = b != NULL;
	for (size_t i = 0; ok && i < m->nprocs; i++)
		if (!only || m->procs[i] == only)
			ok = ovc_pprof_add_proc(b, m->procs[i]);
	if (!ok) {
		ovc_pprof_free(b);
		fputs("ovc: out of memory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	FILE *out = ovc_open_output(path);
	if (!out) {
		ovc_pprof_free(b);
		return OVC_EXIT_USAGE;
	}
	ok = ovc_pprof_write(b, out);
	ovc_pprof_free(b);
	if (!ovc_close_output(out, path, ok, "profile"))
		return OVC_EXIT_USAGE;
	if (!to_stdout)
		printf("%s\n", path);
	return OVC_EXIT_OK;
}

/* One profile per process image in DIR, named after its log. */
static int write_dir(const struct ovc_model *m, struct ovc_symbolizer *sym,
		     const char *dir)
{
	if (ovc_mkdir_p(dir, 0777) != 0) {
		fprintf(stderr, "ovc: %s: cannot create the directory: %s\n",
			dir, strerror(errno));
		return OVC_EXIT_USAGE;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ovc_proc *p = m->procs[i];
		const char *name = p->log_name;
		size_t n = strlen(name);
		if (ends_with(name, ".jsonl"))
			n -= strlen(".jsonl");
		char *path;
		if (asprintf(&path, "%s/%.*s.pb.gz", dir, (int)n, name) < 0) {
			fputs("ovc: out of memory\n", stderr);
			return OVC_EXIT_USAGE;
		}
		int rc = write_one(m, p, sym, path);
		free(path);
		if (rc != OVC_EXIT_OK)
			return rc;
	}
	return OVC_EXIT_OK;
}

int ovc_cmd_pprof(int argc, char **argv)
{
	const char *run = NULL, *outpath = NULL;
	bool merge = false, symbolize = true;
	struct ovc_opts op = OVC_OPTS(argc, argv, "pprof", pprof_usage);
	for (const char *a; (a = ovc_opts_next(&op)); op.i++) {
		if (strcmp(a, "--merge") == 0)
			merge = true;
		else if (strcmp(a, "--no-symbolize") == 0)
			symbolize = false;
		else if (!ovc_opts_source(&op, &run, &outpath))
			return ovc_opts_bad(&op, a);
	}
	if (op.help)
		return OVC_EXIT_OK;
	if (outpath && !outpath[0]) {
		fputs("ovc: pprof: -o needs a file or a directory\n", stderr);
		return OVC_EXIT_USAGE;
	}
	struct ovc_model *m;
	int rc = ovc_read_operands(argc, argv, op.i, run, &m);
	if (!m)
		return rc;
	if (m->nprocs == 0) {
		fputs("ovc: pprof: no process logs (only run files): no "
		      "profile\n",
		      stderr);
		ovc_model_destroy(m);
		return OVC_EXIT_USAGE;
	}
	struct ovc_symbolizer *sym = symbolize ? ovc_sym_new() : NULL;
	bool file = outpath && !is_dir(outpath) &&
		    (strcmp(outpath, "-") == 0 || ends_with(outpath, ".gz"));
	int wrc;
	if (merge) {
		wrc = write_one(m, NULL, sym, outpath ? outpath : DEFAULT_MERGED);
	} else if (file && m->nprocs == 1) {
		wrc = write_one(m, m->procs[0], sym, outpath);
	} else if (file) {
		fprintf(stderr, "ovc: pprof: %zu process images: -o wants a "
				"directory (one profile each), or --merge\n",
			m->nprocs);
		wrc = OVC_EXIT_USAGE;
	} else {
		wrc = write_dir(m, sym, outpath ? outpath : DEFAULT_DIR);
	}
	ovc_sym_free(sym);
	ovc_model_destroy(m);
	return wrc != OVC_EXIT_OK ? wrc : rc;
}
