/* Helpers of the hardening tests (see hcommon.h). */
#include "hcommon.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *h_program(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", it_env("OVC_HPROGRAMS"), name);
	ck_assert_msg(access(path, X_OK) == 0, "%s: %s", path, strerror(errno));
	return path;
}

const char *h_early_lib(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/libh-early.so", it_env("OVC_HPROGRAMS"));
	ck_assert_msg(access(path, R_OK) == 0, "%s: %s", path, strerror(errno));
	return path;
}

void h_preload_run(const char *dir, char *const argv[], char *const extra[],
		   int timeout_s, struct it_result *r)
{
	char *env[64];
	size_t n = 0;

	ck_assert(asprintf(&env[n++], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[n++], "OVC_OUTPUT=%s", dir) > 0);
	for (size_t i = 0; extra && extra[i] && n < 63; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	it_run(argv, env, timeout_s, r);
	free(env[0]), free(env[1]);
}

int h_count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (memmem(l, len, needle, strlen(needle)))
			n++;
		l = e ? e + 1 : l + len;
	}
	return n;
}

void h_assert_same(const struct it_result *r, int code, const char *exp_out,
		   const char *what)
{
	ck_assert_msg(r->code == code, "%s: exit %d, expected %d; stderr:\n%.3000s",
		      what, r->code, code, r->err);
	ck_assert_msg(strcmp(r->out, exp_out) == 0,
		      "%s: stdout differs from the plain run:\n%.2000s\n--- "
		      "expected:\n%.2000s",
		      what, r->out, exp_out);
	ck_assert_msg(!strstr(r->err, "Sanitizer") && !strstr(r->err, "runtime error"),
		      "%s: sanitizer report:\n%.4000s", what, r->err);
}

json_t *h_origin(json_t *report, const char *origin)
{
	json_t *all = it_processes(report, NULL), *out = json_array(), *p;
	size_t i;

	json_array_foreach(all, i, p) {
		json_t *o = json_object_get(p, "origin");
		if (json_is_string(o) && strcmp(json_string_value(o), origin) == 0)
			json_array_append(out, p);
	}
	json_decref(all);
	return out;
}

int h_mode(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

int h_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}
