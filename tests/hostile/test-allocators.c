/* Programs with an allocator of their own: jemalloc, tcmalloc and mimalloc
 * linked into the program, and preloaded before and after libovc.so. Each
 * run is bounded (a hang fails the test: jemalloc once deadlocked at the
 * first stack capture, issue 19), prints what it prints plain, leaves a
 * complete log, and the malloc family's counts are the program's own calls
 * plus the few that libc and thread start make, wherever ovc's hooks stand
 * in front of the allocator. Allocators that are not installed are skipped
 * with a note (scripts/setup installs all three). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Calls libc, the dynamic loader and thread start make on their own. */
#define SLACK 400

struct counts {
	long long malloc_, calloc_, realloc_, free_;
};

static const char *alloc_lib(const char *name)
{
	char var[64];
	snprintf(var, sizeof var, "OVC_ALLOC_%s", name);
	const char *path = getenv(var);
	return path && *path && access(path, R_OK) == 0 ? path : NULL;
}

static const char *program(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/%s", it_env("OVC_HOSTILE_PROGRAMS"), name);
	ck_assert_msg(access(path, X_OK) == 0, "%s missing", path);
	return path;
}

static struct counts parse(const char *out)
{
	struct counts c;
	ck_assert_msg(sscanf(out, "malloc %lld calloc %lld realloc %lld free %lld",
			     &c.malloc_, &c.calloc_, &c.realloc_, &c.free_) == 4,
		      "unexpected output: %s", out);
	return c;
}

static void near(json_t *p, const char *what, long long made, bool counted)
{
	long long n = it_int(p, what);
	if (counted)
		ck_assert_msg(n >= made && n <= made + SLACK,
			      "%s: %lld counted, the program made %lld", what, n,
			      made);
	else
		ck_assert_msg(n <= SLACK, "%s: %lld counted where ovc's hook "
			      "stands behind the allocator", what, n);
}

/* Whether a site of P has a frame in module MODULE_END (suffix). */
static bool site_in(json_t *p, const char *kind, const char *module_end)
{
	json_t *sites = json_object_get(p, "sites"), *s, *f;
	size_t i, j;
	json_array_foreach(sites, i, s) {
		json_t *k = json_object_get(s, "family");
		if (kind && (!json_is_string(k) ||
			     strcmp(json_string_value(k), kind) != 0))
			continue;
		json_array_foreach(json_object_get(s, "frames"), j, f) {
			const char *m = json_string_value(json_object_get(f, "module"));
			size_t lm = m ? strlen(m) : 0, le = strlen(module_end);
			if (lm >= le && strcmp(m + lm - le, module_end) == 0)
				return true;
		}
	}
	return false;
}

/* Runs ARGV under libovc.so with LD_PRELOAD=PRELOAD (bounded to 30 s; the
 * plain run takes a fraction of a second) and checks it against PLAIN. */
static void traced(const char *tag, char *const argv[], const char *preload,
		   const char *exe, const struct counts *plain_counts,
		   const char *plain_out, bool counted)
{
	char *dir = it_tempdir(tag);
	char *env[3];
	ck_assert(asprintf(&env[0], "LD_PRELOAD=%s", preload) > 0);
	ck_assert(asprintf(&env[1], "OVC_OUTPUT=%s", dir) > 0);
	env[2] = NULL;
	struct it_result r;
	it_run(argv, env, 30, &r);
	ck_assert_msg(r.code == 0, "%s: exit %d after %.1f s: %s", tag, r.code,
		      r.seconds, r.err);
	ck_assert_msg(strcmp(r.out, plain_out) == 0, "%s: printed %s", tag, r.out);
	ck_assert_msg(!strstr(r.err, "ovc: warning"), "%s: %s", tag, r.err);
	json_t *report = it_report(dir, NULL);
	json_t *p = it_process(report, exe);
	ck_assert_str_eq(it_str(p, "end.kind"), "exit");
	near(p, "calls.malloc", plain_counts->malloc_, counted);
	near(p, "calls.calloc", plain_counts->calloc_, counted);
	near(p, "calls.realloc", plain_counts->realloc_, counted);
	near(p, "calls.free", plain_counts->free_, counted);
	/* Stacks reach the program's code: through the malloc family's hooks
	 * where they are in front, and through mmap's (the allocator maps its
	 * large blocks) where they are not. */
	if (counted)
		ck_assert_msg(site_in(p, NULL, exe), "%s: no site in %s:\n%.3000s",
			      tag, exe, it_dump(json_object_get(p, "sites")));
	else if (it_int(p, "calls.mmap") > 0 && site_in(p, "mmap", ""))
		ck_assert_msg(site_in(p, "mmap", exe),
			      "%s: no mmap site reaches %s", tag, exe);
	json_decref(report);
	it_result_free(&r);
	it_rmtree(dir);
	free(dir), free(env[0]), free(env[1]);
}

static void allocator(const char *name)
{
	const char *lib = alloc_lib(name);
	if (!lib) {
		fprintf(stderr, "test-allocators: %s not installed: skipped\n", name);
		return;
	}
	const char *ovc = it_env("OVC_LIB");
	char linked_name[64], tag[96], preload[8192];
	snprintf(linked_name, sizeof linked_name, "h-allocs-%s", name);
	char *linked[] = { strdup(program(linked_name)), NULL };
	char *plain_prog[] = { strdup(program("h-allocs")), NULL };

	struct it_result plain;
	it_run(linked, NULL, 60, &plain);
	ck_assert_msg(plain.code == 0, "%s plain: exit %d: %s", name, plain.code,
		      plain.err);
	struct counts c = parse(plain.out);
	ck_assert_int_eq(c.malloc_ + c.calloc_ + c.realloc_ >= 4 * 15000, 1);

	/* Linked in: ovc's hooks come first, the allocator after them. */
	snprintf(tag, sizeof tag, "alloc-%s-linked", name);
	traced(tag, linked, ovc, linked_name, &c, plain.out, true);
	/* Preloaded after libovc.so: the same. */
	snprintf(tag, sizeof tag, "alloc-ovc-%s", name);
	snprintf(preload, sizeof preload, "%s:%s", ovc, lib);
	traced(tag, plain_prog, preload, "h-allocs", &c, plain.out, true);
	/* Preloaded before libovc.so: the program's malloc is the allocator's
	 * and never reaches ovc; its mmap calls do. */
	snprintf(tag, sizeof tag, "alloc-%s-ovc", name);
	snprintf(preload, sizeof preload, "%s:%s", lib, ovc);
	traced(tag, plain_prog, preload, "h-allocs", &c, plain.out, false);
	it_result_free(&plain);
	free(linked[0]), free(plain_prog[0]);
}

START_TEST(test_allocators_jemalloc)
{
	allocator("jemalloc");
}
END_TEST

START_TEST(test_allocators_tcmalloc)
{
	allocator("tcmalloc");
}
END_TEST

START_TEST(test_allocators_mimalloc)
{
	allocator("mimalloc");
}
END_TEST

int main(void)
{
	if (!alloc_lib("jemalloc") && !alloc_lib("tcmalloc") &&
	    !alloc_lib("mimalloc"))
		return 77;
	Suite *s = suite_create("allocators");
	TCase *tc = tcase_create("allocators");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_allocators_jemalloc);
	tcase_add_test(tc, test_allocators_tcmalloc);
	tcase_add_test(tc, test_allocators_mimalloc);
	suite_add_tcase(s, tc);
	return it_main(s);
}
