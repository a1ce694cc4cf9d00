/* `ovc flame`: the folded stacks of the sites program, line by line in the
 * format flamegraph.pl and speedscope read, weighing what
 * `ovc report --json` says for each weight. */
#include "sites-helpers.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line: frames separated by ';', a space, a count. */
#define FOLDED_LINE "^[^;\n]+(;[^;\n]+)* [0-9]+$"

/* The folded stack of SITE as ovc flame should print it: the root, then the
 * functions from the outermost frame in. Fails when a frame has none (the
 * sites checked here are all in symbolized code). */
static char *expected_stack(const char *root, json_t *site)
{
	json_t *frames = json_object_get(site, "frames");
	size_t len = strlen(root) + 1, n = json_array_size(frames);
	char *text;

	for (size_t i = 0; i < n; i++)
		len += strlen(it_str(json_array_get(frames, i), "function")) + 1;
	text = malloc(len);
	ck_assert(text != NULL);
	strcpy(text, root);
	for (size_t i = n; i-- > 0;) {
		strcat(text, ";");
		strcat(text, it_str(json_array_get(frames, i), "function"));
	}
	return text;
}

/* Runs `ovc flame [--weight WEIGHT] DIR` and returns its stdout, checking
 * the exit status and that stderr is empty. */
static char *flame(const char *dir, const char *weight)
{
	char *argv[6], *out;
	int n = 0;
	struct it_result r;

	argv[n++] = (char *)it_env("OVC_BIN");
	argv[n++] = "flame";
	if (weight != NULL) {
		argv[n++] = "--weight";
		argv[n++] = (char *)weight;
	}
	argv[n++] = (char *)dir;
	argv[n] = NULL;
	it_run(argv, NULL, 60, &r);
	ck_assert_msg(r.code == 0, "ovc flame --weight %s: exit %d, stderr:\n%s",
		      weight ? weight : "(default)", r.code, r.err);
	ck_assert_msg(r.err[0] == '\0', "ovc flame: stderr:\n%s", r.err);
	out = r.out;
	r.out = NULL;
	it_result_free(&r);
	return out;
}

/* Checks the folded output TEXT against the sites of P for FIELD (the JSON
 * figure the weight stands for). */
static void check_folded(const char *text, json_t *p, const char *field)
{
	regex_t re;
	char *copy = strdup(text), *line, *save = NULL;
	long long sum = 0, want = 0;
	size_t lines = 0;
	json_t *sites = it_get(p, "sites"), *site, *seen = json_object();
	size_t i;

	ck_assert(regcomp(&re, FOLDED_LINE, REG_EXTENDED | REG_NOSUB) == 0);
	ck_assert_msg(text[0] != '\0' && text[strlen(text) - 1] == '\n',
		      "output does not end with a newline:\n%s", text);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		char *space = strrchr(line, ' ');
		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0,
			      "--weight for %s: line %zu is not a folded stack: "
			      "\"%s\"", field, lines + 1, line);
		ck_assert_msg(strncmp(line, "sites;", 6) == 0,
			      "line %zu does not start at the root \"sites\": %s",
			      lines + 1, line);
		*space = '\0';
		long long count = strtoll(space + 1, NULL, 10);
		ck_assert_msg(count > 0, "a stack that weighs 0: %s", line);
		ck_assert_msg(json_object_get(seen, line) == NULL,
			      "stack printed twice: %s", line);
		json_object_set_new(seen, line, json_integer(count));
		sum += count;
	}
	ck_assert_msg(lines > 0, "no stacks");
	/* Every site with weight is a line of its own (all its frames are
	 * symbolized and no two sites of this program share a stack), with
	 * that weight; the lines hold nothing else. */
	json_array_foreach(sites, i, site) {
		long long w = it_int(site, field);
		char *stack = expected_stack("sites", site);
		json_t *count = json_object_get(seen, stack);
		if (w > 0)
			ck_assert_msg(json_integer_value(count) == w,
				      "%s: %lld in the flame output, %s %lld "
				      "in the report:\n%s", stack,
				      json_integer_value(count), field, w, text);
		else
			ck_assert_msg(count == NULL, "%s: printed with weight "
				      "0", stack);
		want += w;
		free(stack);
	}
	ck_assert_msg(sum == want, "flame total %lld, report's %s total %lld",
		      sum, field, want);
	ck_assert_int_eq(json_object_size(seen), lines);
	json_decref(seen);
	regfree(&re);
	free(copy);
}

/* The line of the site allocated by FN (ending ";main;FN "): its count, or
 * -1 when there is none. */
static long long count_of(const char *text, const char *fn)
{
	char tail[256];
	const char *at;

	snprintf(tail, sizeof tail, ";main;%s ", fn);
	at = strstr(text, tail);
	if (at == NULL)
		return -1;
	return strtoll(at + strlen(tail), NULL, 10);
}

START_TEST(test_flame_folded_weights)
{
	char *dir = it_tempdir("flame");
	json_t *p, *report = st_run_report(dir, "sites", NULL, &p);
	char *untouched = flame(dir, "untouched");
	char *requested = flame(dir, "requested");
	char *touched = flame(dir, "touched");
	char *dflt = flame(dir, NULL);

	check_folded(untouched, p, "untouched_bytes");
	check_folded(requested, p, "requested_bytes");
	check_folded(touched, p, "touched_bytes");
	ck_assert_str_eq(dflt, untouched);

	/* The three sites, by what they did (sites.c): requested 256 MiB,
	 * 1 GiB, 512 MiB; touched all, nothing, a quarter (within 3%). */
	ck_assert_int_eq(count_of(requested, "touch_all"), 256 * IT_MIB);
	ck_assert_int_eq(count_of(requested, "touch_none"), IT_GIB);
	ck_assert_int_eq(count_of(requested, "touch_quarter"), 512 * IT_MIB);
	ck_assert_int_eq(count_of(untouched, "touch_none"), IT_GIB);
	ck_assert_msg(count_of(touched, "touch_none") == -1,
		      "touch_none has touched bytes:\n%s", touched);
	ck_assert_int_ge(count_of(touched, "touch_all"), 256 * IT_MIB * 97 / 100);
	ck_assert_int_ge(count_of(touched, "touch_quarter"), 128 * IT_MIB * 97 / 100);
	ck_assert_int_le(count_of(touched, "touch_quarter"), 128 * IT_MIB * 103 / 100);
	/* Outermost first: the program's entry point right after the root. */
	ck_assert_msg(strstr(requested, "sites;_start;__libc_start_main;") != NULL,
		      "not outermost first:\n%s", requested);

	free(untouched), free(requested), free(touched), free(dflt);
	json_decref(report);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Two runs of the same program in one directory: identical stacks are
 * merged by summing, so each count doubles. */
START_TEST(test_flame_merges_runs)
{
	char *dir = it_tempdir("flame-twice");
	char *argv[] = { (char *)it_program("sites"), NULL };
	struct it_result r;
	char *requested;

	for (int i = 0; i < 2; i++) {
		st_preload_run(dir, argv, NULL, 60, &r);
		ck_assert_msg(r.code == 0, "exit %d, stderr:\n%s", r.code, r.err);
		it_result_free(&r);
	}
	requested = flame(dir, "requested");
	ck_assert_int_eq(count_of(requested, "touch_all"), 2 * 256 * IT_MIB);
	ck_assert_int_eq(count_of(requested, "touch_none"), 2 * IT_GIB);
	ck_assert_int_eq(count_of(requested, "touch_quarter"), 2 * 512 * IT_MIB);
	free(requested);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flame");
	TCase *tc = tcase_create("flame");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_flame_folded_weights);
	tcase_add_test(tc, test_flame_merges_runs);
	suite_add_tcase(s, tc);
	return it_main(s);
}
