/* `ovc report` on logs that are broken, hostile or huge: truncated at
 * every point of a real log, one bad line in the middle, binary garbage,
 * an unknown version, deeply nested and enormous JSON, a 1 GiB file of
 * zeros (sparse) and 1 GiB of valid records streamed through a FIFO. Each
 * ends with exit 0 (read) or 2 (not readable) and a message naming the
 * file, never a signal or a sanitizer report, in bounded memory (the max
 * RSS of the ovc process, from wait4's rusage). */
#include "hcommon.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `ovc report [--json] PATH`; returns the exit code (128+signal). */
static int report(const char *path, bool json, struct it_result *r)
{
	char *argv[] = { (char *)it_env("OVC_BIN"), "report", json ? "--json" : "--top=5",
			 (char *)path, NULL };
	it_run(argv, NULL, 240, r);
	ck_assert_msg(r->code == 0 || r->code == 2,
		      "ovc report %s: exit %d:\n%.3000s", path, r->code, r->err);
	ck_assert_msg(!strstr(r->err, "Sanitizer") && !strstr(r->err, "runtime error"),
		      "%s:\n%.4000s", path, r->err);
	if (r->code == 2)
		ck_assert_msg(strncmp(r->err, "ovc: ", 5) == 0 && strstr(r->err, path),
			      "exit 2 without a message naming the file:\n%.2000s", r->err);
	return r->code;
}

/* Max RSS in KiB of the largest child this test process waited for (each
 * Check test runs in a process of its own). */
static long children_max_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_maxrss;
}

/* Bound on ovc's max RSS: 64 MiB, and 1 GiB in the sanitizer build
 * (OVC_PLAIN_BUILD set by its wrapper), where ASan's quarantine and
 * shadow memory dominate. */
static long rss_bound_kib(void)
{
	return getenv("OVC_PLAIN_BUILD") ? 1024 * 1024 : 64 * 1024;
}

static char *real_log;     /* a log of h-stress with forks, whole */
static size_t real_len;

/* A real log to break: h-hello under the preload. */
static void make_real_log(char *dir)
{
	char *argv[] = { (char *)h_program("h-hello"), NULL };
	char *extra[] = { "OVC_SAMPLE=4K", NULL };
	struct it_result r;
	h_preload_run(dir, argv, extra, 30, &r);
	ck_assert_int_eq(r.code, 0);
	json_t *names = it_list_dir(dir, "ovc.");
	ck_assert_int_eq(json_array_size(names), 1);
	char *p;
	ck_assert(asprintf(&p, "%s/%s", dir, json_string_value(json_array_get(names, 0))) > 0);
	real_log = it_read_file(p, &real_len);
	ck_assert(real_log && real_len > 1000);
	unlink(p);
	free(p);
	json_decref(names);
	it_result_free(&r);
}

START_TEST(test_cli_truncated_everywhere)
{
	char *dir = it_tempdir("h-cli-trunc");
	make_real_log(dir);
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.1.0.jsonl", dir) > 0);
	int cuts = 0, ok = 0, body = 0;
	/* Every 3rd byte of the first line (the header), then every 11th. */
	size_t first = strchr(real_log, '\n') - real_log + 1;
	for (size_t n = 0; n < real_len; n += n < first + 2 ? 3 : 11) {
		struct it_result r;
		it_write_file(path, real_log, n);
		int code = report(path, n % 2 == 0, &r);
		ok += code == 0;
		cuts++;
		/* Cut after the header: always read (a torn last line is
		 * skipped silently). */
		if (n >= first) {
			body++;
			ck_assert_msg(code == 0, "cut at %zu: exit %d", n, code);
			ck_assert_msg(!strstr(r.err, "ovc:"), "cut at %zu:\n%s", n, r.err);
		}
		it_result_free(&r);
	}
	printf("cli: %d truncations of a %zu-byte log (%zu-byte header), %d "
	       "read\n", cuts, real_len, first, ok);
	ck_assert_int_ge(ok, body);
	free(path), free(real_log);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_bad_line_in_middle)
{
	char *dir = it_tempdir("h-cli-bad");
	make_real_log(dir);
	/* The whole log, and the same with line 3 garbled. */
	char *good, *bad;
	ck_assert(asprintf(&good, "%s/good.jsonl", dir) > 0);
	ck_assert(asprintf(&bad, "%s/bad.jsonl", dir) > 0);
	it_write_file(good, real_log, real_len);
	char *l3 = strchr(strchr(real_log, '\n') + 1, '\n') + 1;
	size_t head = (size_t)(l3 - real_log);
	char *text = malloc(real_len + 64);
	memcpy(text, real_log, head);
	memcpy(text + head, "{\"t\":\"s\",\"ns\":[[[\x01 garbage\n", 27);
	memcpy(text + head + 27, l3, real_len - head);
	it_write_file(bad, text, real_len + 27);
	json_t *a = it_report(good, NULL);
	char *err;
	json_t *b = it_report(bad, &err);
	ck_assert_msg(strstr(err, ":3:") != NULL, "no warning naming line 3:\n%s", err);
	json_t *pa = it_process(a, "h-hello"), *pb = it_process(b, "h-hello");
	ck_assert_int_eq(it_int(pb, "bad_lines"), 1);
	ck_assert_int_eq(it_int(pa, "calls.malloc"), it_int(pb, "calls.malloc"));
	ck_assert_int_eq(it_int(pa, "requested_bytes"), it_int(pb, "requested_bytes"));
	json_decref(a), json_decref(b);
	free(err), free(text), free(good), free(bad), free(real_log);
	it_rmtree(dir);
	free(dir);
}
END_TEST

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

START_TEST(test_cli_binary_garbage)
{
	char *dir = it_tempdir("h-cli-garbage");
	make_real_log(dir);
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.2.0.jsonl", dir) > 0);
	size_t n = 4 << 20;
	char *junk = malloc(n);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next();
		memcpy(junk + i, &v, 8);
	}
	struct it_result r;
	/* Garbage from the first byte: not a log. */
	it_write_file(path, junk, n);
	ck_assert_int_eq(report(path, true, &r), 2);
	it_result_free(&r);
	/* A real header, then 4 MiB of garbage: the header is read, the
	 * warnings are capped. */
	char *mixed = malloc(real_len + n);
	memcpy(mixed, real_log, real_len);
	memcpy(mixed + real_len, junk, n);
	it_write_file(path, mixed, real_len + n);
	ck_assert_int_eq(report(path, false, &r), 0);
	ck_assert_int_le(h_count_lines(r.err, "ovc:"), 12);
	it_result_free(&r);
	/* Garbage with newlines every few bytes, after a real header. */
	for (size_t i = 0; i < n; i++)
		if (next() % 40 == 0)
			junk[i] = '\n';
	memcpy(mixed + real_len, junk, n);
	it_write_file(path, mixed, real_len + n);
	ck_assert_int_eq(report(path, true, &r), 0);
	it_result_free(&r);
	/* The directory too: one bad file among good ones. */
	ck_assert_int_eq(report(dir, false, &r), 0);
	it_result_free(&r);
	free(mixed), free(junk), free(path), free(real_log);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_unknown_versions)
{
	char *dir = it_tempdir("h-cli-version");
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.3.0.jsonl", dir) > 0);
	const char *versions[] = { "2", "0", "-1", "\"1\"", "1.5", "99999999999999999999999",
				   "null", "[1]" };
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		char *text;
		struct it_result r;
		ck_assert(asprintf(&text, "{\"t\":\"proc\",\"format\":\"ovc-log\","
				   "\"version\":%s,\"pid\":5}\n", versions[i]) > 0);
		it_write_file(path, text, strlen(text));
		ck_assert_int_eq(report(path, false, &r), 2);
		it_result_free(&r);
		free(text);
	}
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Writes HEADER, then one line `{"t":"s","ns":` followed by SHAPE repeated
 * up to SIZE bytes, to PATH in small chunks (the test's own memory stays
 * small: a child forked from it would count it in its max RSS). */
static void write_deep(const char *path, const char *header, size_t hlen,
		       const char *shape, size_t size)
{
	FILE *f = fopen(path, "w");
	ck_assert(f != NULL);
	fwrite(header, 1, hlen, f);
	fputs("{\"t\":\"s\",\"ns\":", f);
	size_t unit = strlen(shape);
	for (size_t len = 0; len + unit < size; len += unit)
		fwrite(shape, 1, unit, f);
	fputc('\n', f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_cli_nested_and_enormous_json)
{
	char *dir = it_tempdir("h-cli-deep");
	make_real_log(dir);
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.4.0.jsonl", dir) > 0);
	size_t header = strchr(real_log, '\n') - real_log + 1;
	struct it_result r;
	const char *shapes[] = { "[", "{\"a\":", "\"", "9", "[1,", "\\u0000" };
	int files = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		/* Half a million levels (or a string / number that long) in
		 * a line just under 1 MiB, then the same in 64 MiB. */
		size_t sizes[] = { (1 << 20) - 200, 64 << 20 };
		for (int k = 0; k < 2; k++) {
			write_deep(path, real_log, header, shapes[s], sizes[k]);
			ck_assert_int_eq(report(path, k == 0, &r), 0);
			ck_assert_int_eq(h_count_lines(r.err, "ovc:"), 1);
			it_result_free(&r);
			files++;
		}
	}
	long rss = children_max_rss_kib();
	printf("cli: %d nested/enormous lines (up to 64 MiB) read with max "
	       "RSS %ld KiB\n", files, rss);
	ck_assert_int_lt(rss, rss_bound_kib());
	free(path), free(real_log);
	it_rmtree(dir);
	free(dir);
}
END_TEST

/* Size of the big inputs in MiB: DEF unless OVC_HARDENING_BIG_MIB says
 * otherwise (scripts/test --all uses less in the sanitizer build). */
static long big_mib(long def)
{
	const char *e = getenv("OVC_HARDENING_BIG_MIB");
	long v = e ? atol(e) : 0;
	return v > 0 && v < def ? v : def;
}

START_TEST(test_cli_sparse_gigabyte_of_zeros)
{
	char *dir = it_tempdir("h-cli-sparse");
	char *path;
	ck_assert(asprintf(&path, "%s/ovc.5.0.jsonl", dir) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)big_mib(1024) << 20), 0);
	close(fd);
	struct it_result r;
	ck_assert_int_eq(report(path, false, &r), 2);
	it_result_free(&r);
	ck_assert_int_eq(report(dir, true, &r), 2); /* no log in it */
	long rss = children_max_rss_kib();
	printf("cli: %ld MiB of zeros refused in %.2f s, max RSS %ld KiB\n",
	       big_mib(1024), r.seconds, rss);
	ck_assert_int_lt(rss, rss_bound_kib());
	it_result_free(&r);
	unlink(path);
	free(path);
	it_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_cli_streamed_gigabyte_log)
{
	char *dir = it_tempdir("h-cli-stream");
	make_real_log(dir);
	char *fifo;
	ck_assert(asprintf(&fifo, "%s/ovc.6.0.jsonl", dir) > 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	size_t header = strchr(real_log, '\n') - real_log + 1;
	/* The writer: the real header, then `s` records up to the size. */
	long long lines = 0;
	/* 256 MiB: the reader parses about 15 MB/s of records on this
	 * machine, so 1 GiB would take over a minute (docs/reliability.md). */
	const long long total = (long long)big_mib(256) << 20;
	char line[512];
	int len = snprintf(line, sizeof line,
		"{\"t\":\"s\",\"ns\":%d,\"vm\":1000000,\"rss\":50000,\"shared\":1000,"
		"\"live\":4096,\"peak_live\":8192,\"calls\":[1,2,3,4,5,6,7,8,9,10],"
		"\"failed\":[0,0,0,0,0,0,0,0,0,0],\"requested\":[10,20,30,40,50,60,"
		"70,80,90,100]}\n", 123456789);
	lines = (total - (long long)header) / len;
	/* The writer is connected before ovc opens the FIFO (ovc opens
	 * without blocking: with no writer yet it would read an empty
	 * file); our read end only keeps the writer from EPIPE meanwhile. */
	int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rfd, 0);
	int fd = open(fifo, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	pid_t w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		char *buf = malloc(1 << 20);
		size_t fill = 0;
		if (write(fd, real_log, header) != (ssize_t)header)
			_exit(1);
		for (long long i = 0; i < lines; i++) {
			memcpy(buf + fill, line, (size_t)len);
			fill += (size_t)len;
			if (fill + (size_t)len > (1 << 20) || i + 1 == lines) {
				for (size_t off = 0; off < fill;) {
					ssize_t k = write(fd, buf + off, fill - off);
					if (k <= 0)
						_exit(1);
					off += (size_t)k;
				}
				fill = 0;
			}
		}
		_exit(0);
	}
	close(fd);
	struct it_result r;
	ck_assert_int_eq(report(fifo, true, &r), 0);
	close(rfd);
	int st;
	waitpid(w, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	json_t *root = json_loads(r.out, 0, NULL);
	ck_assert(root != NULL);
	json_t *p = json_array_get(json_object_get(root, "processes"), 0);
	ck_assert_int_eq(it_int(p, "samples"), lines);
	ck_assert_int_eq(it_int(p, "calls.malloc"), 1);
	long rss = children_max_rss_kib();
	printf("cli: streamed %lld MiB (%lld records) in %.1f s, max RSS %ld KiB\n",
	       total >> 20, lines, r.seconds, rss);
	ck_assert_int_lt(rss, rss_bound_kib());
	json_decref(root);
	it_result_free(&r);
	free(fifo), free(real_log);
	it_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening-cli-input");
	TCase *tc = tcase_create("cli-input");
	tcase_set_timeout(tc, 280);
	tcase_add_test(tc, test_cli_truncated_everywhere);
	tcase_add_test(tc, test_cli_bad_line_in_middle);
	tcase_add_test(tc, test_cli_binary_garbage);
	tcase_add_test(tc, test_cli_unknown_versions);
	tcase_add_test(tc, test_cli_nested_and_enormous_json);
	tcase_add_test(tc, test_cli_sparse_gigabyte_of_zeros);
	tcase_add_test(tc, test_cli_streamed_gigabyte_log);
	suite_add_tcase(s, tc);
	return it_main(s);
}
