/* Helpers of the 'sites' suite (see sites-helpers.h). */
#include "sites-helpers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OVC_PROGRAMS_SRC
#error "OVC_PROGRAMS_SRC (the source directory of tests/programs) must be set"
#endif

static const char *function_of(json_t *frame)
{
	return json_string_value(json_object_get(frame, "function"));
}

json_t *st_sites_at(json_t *p, const char *fn)
{
	json_t *sites = it_get(p, "sites"), *site, *found = json_array();
	size_t i;

	ck_assert_msg(json_is_array(sites), "process without \"sites\"");
	json_array_foreach(sites, i, site) {
		const char *f = function_of(json_array_get(
			json_object_get(site, "frames"), 0));
		if (f != NULL && strcmp(f, fn) == 0)
			json_array_append(found, site);
	}
	return found;
}

json_t *st_sites_through(json_t *p, const char *substr)
{
	json_t *sites = it_get(p, "sites"), *site, *found = json_array();
	size_t i;

	ck_assert_msg(json_is_array(sites), "process without \"sites\"");
	json_array_foreach(sites, i, site) {
		json_t *frame;
		size_t j;
		json_array_foreach(json_object_get(site, "frames"), j, frame) {
			const char *f = function_of(frame);
			if (f != NULL && strstr(f, substr) != NULL) {
				json_array_append(found, site);
				break;
			}
		}
	}
	return found;
}

long long st_sum(json_t *sites, const char *field)
{
	json_t *site;
	long long sum = 0;
	size_t i;

	json_array_foreach(sites, i, site)
		sum += it_int(site, field);
	return sum;
}

json_t *st_frame(json_t *site, const char *substr)
{
	json_t *frame;
	size_t i;

	json_array_foreach(json_object_get(site, "frames"), i, frame) {
		const char *f = function_of(frame);
		if (f != NULL && strstr(f, substr) != NULL)
			return frame;
	}
	char *text = it_dump(site);
	ck_abort_msg("no frame of %s in site:\n%.6000s", substr, text);
	return NULL;
}

long long st_marked_line(const char *file, const char *marker)
{
	char path[PATH_MAX], tag[256];
	char *text, *line, *save = NULL;
	long long at = 0, n = 0;
	int found = 0;

	snprintf(path, sizeof path, "%s/%s", OVC_PROGRAMS_SRC, file);
	snprintf(tag, sizeof tag, "site: %s", marker);
	text = it_read_file(path, NULL);
	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	/* strtok_r would skip empty lines: count them by hand. */
	for (line = text; line != NULL; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		n++;
		char *hit = strstr(line, tag);
		if (hit == NULL)
			continue;
		/* the marker ends the comment: "site: x" must not match
		 * "site: x_y" */
		const char *rest = hit + strlen(tag);
		if (*rest == '\0' || strncmp(rest, " */", 3) == 0) {
			found++;
			at = n;
		}
	}
	free(text);
	ck_assert_msg(found == 1, "%s: %d lines marked \"%s\", expected 1", path,
		      found, tag);
	return at;
}

const char *st_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void st_preload_run(const char *dir, char *const argv[], const char *extra,
		    int timeout_s, struct it_result *r)
{
	char *env[4] = { NULL };

	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", it_env("OVC_LIB")) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	env[2] = (char *)extra;
	it_run(argv, env, timeout_s, r);
	free(env[0]), free(env[1]);
}

json_t *st_report_all(const char *dir)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", "--json",
			 "--all", (char *)dir, NULL };
	struct it_result r;
	json_error_t error;
	json_t *root;

	it_run(argv, NULL, 120, &r);
	ck_assert_msg(r.code == 0, "ovc report --json --all %s: exit %d, "
		      "stderr:\n%s", dir, r.code, r.err);
	root = json_loads(r.out, 0, &error);
	ck_assert_msg(root != NULL, "ovc report --json %s: not JSON: %s (line %d)"
		      "\n%.2000s", dir, error.text, error.line, r.out);
	ck_assert_str_eq(it_str(root, "format"), "ovc-report");
	ck_assert_int_eq(it_int(root, "version"), 1);
	it_result_free(&r);
	return root;
}

json_t *st_run_report(const char *dir, const char *name, const char *arg,
		      json_t **p)
{
	char *argv[] = { (char *)it_program(name), (char *)arg, NULL };
	struct it_result r;
	json_t *report;

	st_preload_run(dir, argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d, stderr:\n%s", name, r.code,
		      r.err);
	it_result_free(&r);
	report = st_report_all(dir);
	*p = it_process(report, name);
	ck_assert_str_eq(it_str(*p, "end.kind"), "exit");
	ck_assert_int_eq(it_int(*p, "end.code"), 0);
	ck_assert_int_eq(it_int(*p, "sites_omitted"), 0);
	return report;
}
