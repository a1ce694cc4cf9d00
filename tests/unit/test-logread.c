/* Unit tests of the streaming log reader (cli/read/logread.c) on good, torn,
 * garbage, wrong-version and hostile logs written to a temporary directory. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/diagnose.h"
#include "read/logread.h"
#include "read/model.h"
#include "fixture.h"


#define PROC                                                                   \
	"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,\"pid\":100,"    \
	"\"ppid\":99,\"exe\":\"/bin/x\",\"argv\":[\"x\",\"-y\"],\"run\":\"r1\"," \
	"\"origin\":\"start\",\"proc_start_ticks\":5,"                         \
	"\"start_unix_ns\":1000,\"start_mono_ns\":7,\"page_size\":4096,"       \
	"\"mem_total\":1000000,\"mem_available\":900000,"                     \
	"\"commit_limit\":800000,\"committed_as\":1000,"                      \
	"\"overcommit_memory\":0,\"overcommit_ratio\":50,\"interval_ms\":10,"  \
	"\"funcs\":[\"malloc\",\"calloc\",\"realloc\",\"reallocarray\","       \
	"\"free\",\"posix_memalign\",\"aligned_alloc\",\"memalign\","          \
	"\"valloc\",\"pvalloc\"],"                                             \
	"\"baseline\":{\"vm\":100,\"rss\":60,\"shared\":20}}\n"
#define ZERO10 "[0,0,0,0,0,0,0,0,0,0]"
#define SAMPLE(ns, vm, rss, sh, live, mallocs)                                 \
	"{\"t\":\"s\",\"ns\":" #ns ",\"vm\":" #vm ",\"rss\":" #rss             \
	",\"shared\":" #sh ",\"live\":" #live ",\"peak_live\":" #live          \
	",\"calls\":[" #mallocs ",0,0,0,0,0,0,0,0,0],\"failed\":" ZERO10       \
	",\"requested\":[" #live ",0,0,0,0,0,0,0,0,0]}\n"

static void setup(void)
{
	fx_setup_named("logread");
}

/* Writes LEN bytes of TEXT to DIR/NAME; returns the path (static). */
static const char *put_n(const char *name, const char *text, size_t len)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fx_dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static const char *put(const char *name, const char *text)
{
	return put_n(name, text, strlen(text));
}

static enum ovc_read_status read_with(const char *path,
				      const struct ovc_read_opts *o)
{
	enum ovc_read_status s = ovc_logread_file(fx_model, path, o);
	fflush(fx_err);
	return s;
}

static enum ovc_read_status read1(const char *path)
{
	struct ovc_read_opts o = {.err = fx_err};
	return read_with(path, &o);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_logread_good_log)
{
	const char *p = put("ovc.100.0.jsonl",
			    PROC SAMPLE(1000, 500, 200, 40, 50, 3)
				    SAMPLE(2000, 900, 400, 40, 300, 7)
					    SAMPLE(3000, 700, 300, 40, 100, 9)
	"{\"t\":\"end\",\"ns\":3500,\"kind\":\"exit\",\"code\":4,\"via\":\"exit\"}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_errlen, 0);
	ck_assert_uint_eq(fx_model->nprocs, 1);
	const struct ovc_proc *q = fx_model->procs[0];
	ck_assert_int_eq(q->pid, 100);
	ck_assert_int_eq(q->ppid, 99);
	ck_assert_str_eq(q->exe, "/bin/x");
	ck_assert_uint_eq(q->argc, 2);
	ck_assert_str_eq(q->argv[1], "-y");
	ck_assert_str_eq(q->run, "r1");
	ck_assert_int_eq(q->k, 0);
	ck_assert_uint_eq(q->samples, 3);
	ck_assert_int_eq(q->peak_vm_bytes, 900);
	ck_assert_int_eq(q->peak_rss_bytes, 400);
	ck_assert_int_eq(q->peak_anon_rss_bytes, 360);
	ck_assert_int_eq(q->peak_live_bytes, 300);
	ck_assert_int_eq(q->last_live_bytes, 100);
	ck_assert_int_eq(q->calls[OVC_FN_MALLOC], 9); /* the last sample */
	ck_assert_int_eq(q->requested[OVC_FN_MALLOC], 100);
	ck_assert_int_eq(q->baseline_rss_bytes, 60);
	ck_assert_int_eq(q->baseline_shared_bytes, 20);
	ck_assert(q->has_end);
	ck_assert_int_eq(q->end_code, 4);
	ck_assert_int_eq(q->last_ns, 3500);
	ck_assert_int_eq(q->host.commit_limit_bytes, 800000);
	ck_assert(!q->torn_tail);
	ck_assert_uint_eq(q->bad_lines, 0);
}
END_TEST

START_TEST(test_logread_torn_tail)
{
	const char *p = put("ovc.100.0.jsonl",
			    PROC SAMPLE(1000, 500, 200, 40, 50, 3)
				    "{\"t\":\"s\",\"ns\":2000,\"vm\":9");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_errlen, 0); /* a torn last line is normal */
	ck_assert_uint_eq(fx_model->nprocs, 1);
	ck_assert(fx_model->procs[0]->torn_tail);
	ck_assert_uint_eq(fx_model->procs[0]->samples, 1);
	ck_assert(!fx_model->procs[0]->has_end);
}
END_TEST

START_TEST(test_logread_garbage_line)
{
	const char *p = put("ovc.100.0.jsonl",
			    PROC SAMPLE(1000, 500, 200, 40, 50, 3)
			    "\x01\x02 this is not json\n"
			    SAMPLE(2000, 900, 400, 40, 300, 7));
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "ovc.100.0.jsonl:3: not valid JSON"));
	ck_assert_uint_eq(count_lines(fx_errbuf), 1);
	ck_assert_uint_eq(fx_model->procs[0]->samples, 2);
	ck_assert_int_eq(fx_model->procs[0]->calls[OVC_FN_MALLOC], 7);
	ck_assert_uint_eq(fx_model->procs[0]->bad_lines, 1);
}
END_TEST

/* Figures at the ends of the u64 range (issue 19): the preload writes
 * sizes and byte totals unsigned, up to UINT64_MAX; the reader takes every
 * one (saturated to INT64_MAX where a size may be anything), leaves digits
 * inside strings alone, and still refuses one past UINT64_MAX. */
START_TEST(test_logread_u64_extremes)
{
	const char *p = put("ovc.100.0.jsonl",
		PROC
		"{\"t\":\"s\",\"ns\":1000,\"vm\":500,\"rss\":200,"
		"\"shared\":40,\"live\":50,\"peak_live\":50,"
		"\"calls\":[18446744073709551615,0,0,0,0,0,0,0,0,9223372036854775807],"
		"\"failed\":" ZERO10 ","
		"\"requested\":[18446744073709551615,9223372036854775808,"
		"9223372036854775807,0,0,0,0,0,0,0],"
		"\"map_calls\":[1,600000,0,0],\"map_failed\":[0,0,0,0],"
		"\"map_bytes\":[4096,10555311626649600000,18446744073709551615,0],"
		"\"mapped\":4096,\"peak_mapped\":4096,\"committed\":0,"
		"\"peak_committed\":0}\n"
		"{\"t\":\"refuse\",\"ns\":1100,\"fn\":\"malloc\","
		"\"size\":18446744073709551615,\"live\":0,"
		"\"budget\":1073741824,\"site\":-1}\n"
		"{\"t\":\"refuse\",\"ns\":1200,\"fn\":\"malloc\","
		"\"size\":9223372036854775808,\"live\":0,"
		"\"budget\":1073741824,\"site\":-1}\n"
		"{\"t\":\"refuse\",\"ns\":1300,\"fn\":\"malloc\","
		"\"size\":9223372036854775807,\"live\":0,"
		"\"budget\":1073741824,\"site\":-1}\n"
		"{\"t\":\"refuse\",\"ns\":1400,\"fn\":\"malloc\","
		"\"size\":0,\"live\":0,\"budget\":1073741824,\"site\":-1}\n"
		/* digits in a string are not a number */
		"{\"t\":\"untraced\",\"ns\":1500,"
		"\"path\":\"/x/18446744073709551616\\\"99999999999999999999\","
		"\"why\":\"static\"}\n"
		/* past UINT64_MAX: not a figure the preload writes */
		"{\"t\":\"refuse\",\"ns\":1600,\"fn\":\"malloc\","
		"\"size\":18446744073709551616,\"live\":0,"
		"\"budget\":1073741824,\"site\":-1}\n"
		/* above INT64_MAX where the field is bounded: out of range */
		"{\"t\":\"s\",\"ns\":1700,\"vm\":9223372036854775808,"
		"\"rss\":200,\"shared\":40,\"live\":50,\"peak_live\":50,"
		"\"calls\":" ZERO10 ",\"failed\":" ZERO10 ","
		"\"requested\":" ZERO10 "}\n"
		"{\"t\":\"end\",\"ns\":3500,\"kind\":\"exit\",\"code\":0,"
		"\"via\":\"exit\"}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_msg(count_lines(fx_errbuf) == 2, "%s", fx_errbuf);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "ovc.100.0.jsonl:8: not valid JSON"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "ovc.100.0.jsonl:9: "));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "out of range (9223372036854775808)"));
	struct ovc_proc *q = fx_model->procs[0];
	ck_assert_uint_eq(q->bad_lines, 2);
	ck_assert_uint_eq(q->samples, 1);
	ck_assert_int_eq(q->calls[OVC_FN_MALLOC], INT64_MAX);
	ck_assert_int_eq(q->calls[OVC_FN_PVALLOC], INT64_MAX);
	ck_assert_int_eq(q->requested[OVC_FN_MALLOC], INT64_MAX);
	ck_assert_int_eq(q->requested[OVC_FN_CALLOC], INT64_MAX);
	ck_assert_int_eq(q->requested[OVC_FN_REALLOC], INT64_MAX);
	ck_assert_int_eq(q->map_calls[OVC_MFN_MUNMAP], 600000);
	ck_assert_int_eq(q->map_bytes[OVC_MFN_MMAP], 4096);
	ck_assert_int_eq(q->map_bytes[OVC_MFN_MUNMAP], INT64_MAX);
	ck_assert_int_eq(q->map_bytes[OVC_MFN_MREMAP], INT64_MAX);
	ck_assert(q->has_end);
	ck_assert_uint_eq(q->nuntraced, 1);
	ck_assert_str_eq(q->untraced[0].path,
			 "/x/18446744073709551616\"99999999999999999999");
	struct ovc_proc_extra *x = ovc_proc_extra(q);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->nrefuse, 4);
	ck_assert_int_eq(x->refuse[0].size_bytes, INT64_MAX);
	ck_assert_int_eq(x->refuse[1].size_bytes, INT64_MAX);
	ck_assert_int_eq(x->refuse[2].size_bytes, INT64_MAX);
	ck_assert_int_eq(x->refuse[3].size_bytes, 0);
}
END_TEST

START_TEST(test_logread_wrong_version)
{
	const char *p = put("ovc.100.0.jsonl",
			    "{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":2}\n");
	ck_assert_int_eq(read1(p), OVC_READ_BAD_VERSION);
	ck_assert_ptr_nonnull(
		strstr(fx_errbuf, "unsupported log version 2 (this ovc reads 1)"));
	ck_assert_uint_eq(count_lines(fx_errbuf), 1);
	ck_assert_uint_eq(fx_model->nprocs, 0);
}
END_TEST

START_TEST(test_logread_not_a_log)
{
	static const char *const cases[] = {
		"hello world\n",
		"[1,2,3]\n",
		"{\"t\":\"s\",\"ns\":1}\n",
		"{\"t\":\"proc\",\"format\":\"other\",\"version\":1}\n",
		"{\"t\":\"proc\",\"format\":\"ovc-log\"}\n",
		"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":\"1\"}\n",
		"",
		"\n\n\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rewind(fx_err);
		const char *p = put("ovc.1.0.jsonl", cases[i]);
		ck_assert_int_eq(read1(p), OVC_READ_NOT_LOG);
		ck_assert_msg(strstr(fx_errbuf, "not an ovc log") != NULL,
			      "case %zu: %s", i, fx_errbuf);
	}
	ck_assert_uint_eq(fx_model->nprocs, 0);
}
END_TEST

START_TEST(test_logread_hostile_types)
{
	const char *p = put(
		"ovc.100.0.jsonl",
		PROC
		"{\"t\":\"s\",\"ns\":1,\"vm\":\"big\"}\n"
		"{\"t\":\"s\",\"ns\":2,\"rss\":-5}\n"
		"{\"t\":\"s\",\"ns\":3,\"live\":2305843009213693952}\n"
		"{\"t\":\"s\",\"ns\":4,\"calls\":[1,2,3]}\n"
		"{\"t\":\"s\",\"ns\":5,\"calls\":[1,2,3,4,5,6,7,8,9,-1]}\n"
		"{\"t\":\"s\",\"ns\":6,\"failed\":{\"a\":1}}\n"
		"{\"t\":\"s\",\"ns\":7,\"live\":1.5}\n"
		"{\"t\":\"s\",\"ns\":99999999999999999999999}\n"
		"{\"t\":\"end\",\"code\":\"x\"}\n"
		"{\"ns\":8}\n"
		"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1}\n"
		"{\"t\":\"s\",\"ns\":9,\"vm\":10,\"rss\":5,\"shared\":50}\n"
		"{\"t\":\"future-record\",\"x\":[1,2]}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	/* 11 bad lines, 10 warned, one summary line */
	ck_assert_uint_eq(count_lines(fx_errbuf), 11);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":2: \"vm\" is not an integer"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":3: \"rss\" is out of range"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":5: \"calls\" is not an array of 10"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "1 more bad lines skipped"));
	const struct ovc_proc *q = fx_model->procs[0];
	ck_assert_uint_eq(q->samples, 1); /* only ns 9 was good */
	ck_assert_int_eq(q->peak_vm_bytes, 10);
	ck_assert_int_eq(q->peak_anon_rss_bytes, 0); /* shared > rss */
	ck_assert_int_eq(q->peak_live_bytes, 0);
	ck_assert_int_eq(q->calls[OVC_FN_MALLOC], 0);
	ck_assert(!q->has_end);
	ck_assert_uint_eq(q->bad_lines, 11);
}
END_TEST

START_TEST(test_logread_warning_limit)
{
	char *text = malloc(strlen(PROC) + 50 * 8 + 1);
	ck_assert_ptr_nonnull(text);
	strcpy(text, PROC);
	for (int i = 0; i < 50; i++)
		strcat(text, "garbage\n");
	const char *p = put("ovc.100.0.jsonl", text);
	free(text);
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(count_lines(fx_errbuf), 11);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ": 40 more bad lines skipped"));
}
END_TEST

START_TEST(test_logread_long_line)
{
	char line[2000];
	memset(line, ' ', sizeof line);
	memcpy(line, "{\"t\":\"s\",\"ns\":1}", 16);
	line[sizeof line - 1] = '\n';
	char *text = malloc(strlen(PROC) + sizeof line + 200);
	ck_assert_ptr_nonnull(text);
	sprintf(text, "%s%.*s%s", PROC, (int)sizeof line, line,
		SAMPLE(5, 10, 10, 0, 10, 1));
	const char *p = put("ovc.100.0.jsonl", text);
	free(text);
	struct ovc_read_opts o = {.err = fx_err, .max_line = 4096};
	ck_assert_int_eq(read_with(p, &o), OVC_READ_OK);
	ck_assert_uint_eq(fx_model->procs[0]->samples, 2);
	ovc_model_destroy(fx_model);
	fx_model = ovc_model_create();
	rewind(fx_err);
	o.max_line = 1024; /* longer than the proc line, shorter than line 2 */
	ck_assert_int_eq(read_with(p, &o), OVC_READ_OK);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":2: line longer than 1024 bytes"));
	ck_assert_uint_eq(fx_model->procs[0]->samples, 1);
}
END_TEST

START_TEST(test_logread_header_too_long)
{
	const char *p = put("ovc.100.0.jsonl", PROC SAMPLE(1, 1, 1, 0, 1, 1));
	struct ovc_read_opts o = {.err = fx_err, .max_line = 64};
	ck_assert_int_eq(read_with(p, &o), OVC_READ_NOT_LOG);
	ck_assert_uint_eq(fx_model->nprocs, 0);
}
END_TEST

START_TEST(test_logread_nul_byte)
{
	static const char text[] = PROC "{\"t\":\"s\",\"ns\":1}\0{\"x\":1}\n"
		SAMPLE(5, 10, 10, 0, 10, 1);
	const char *p = put_n("ovc.100.0.jsonl", text, sizeof text - 1);
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_model->procs[0]->samples, 1);
	ck_assert_uint_eq(fx_model->procs[0]->bad_lines, 1);
}
END_TEST

START_TEST(test_logread_deep_nesting)
{
	size_t depth = 100000;
	char *text = malloc(strlen(PROC) + 2 * depth + 2);
	ck_assert_ptr_nonnull(text);
	strcpy(text, PROC);
	size_t n = strlen(text);
	memset(text + n, '[', depth);
	memset(text + n + depth, ']', depth);
	strcpy(text + n + 2 * depth, "\n");
	const char *p = put("ovc.100.0.jsonl", text);
	free(text);
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_model->nprocs, 1);
	ck_assert_uint_eq(fx_model->procs[0]->bad_lines, 1);
}
END_TEST

START_TEST(test_logread_funcs_order)
{
	const char *p = put(
		"ovc.7.3.jsonl",
		"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,"
		"\"funcs\":[\"free\",\"brand_new\",\"malloc\"]}\n"
		"{\"t\":\"s\",\"calls\":[5,6,7],\"failed\":[0,0,1],"
		"\"requested\":[0,9,700]}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	const struct ovc_proc *q = fx_model->procs[0];
	ck_assert_int_eq(q->k, 3);
	ck_assert_int_eq(q->calls[OVC_FN_FREE], 5);
	ck_assert_int_eq(q->calls[OVC_FN_MALLOC], 7);
	ck_assert_int_eq(q->calls[OVC_FN_CALLOC], 0);
	ck_assert_int_eq(q->failed[OVC_FN_MALLOC], 1);
	ck_assert_int_eq(q->requested[OVC_FN_MALLOC], 700);
	ck_assert_int_eq(ovc_proc_total_requested(q), 700);
}
END_TEST

START_TEST(test_logread_missing_fields)
{
	const char *p = put("whatever.log",
			    "{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1}\n"
			    "{\"t\":\"s\",\"ns\":12}\n"
			    "{\"t\":\"end\"}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_errlen, 0);
	const struct ovc_proc *q = fx_model->procs[0];
	ck_assert_int_eq(q->pid, -1);
	ck_assert_int_eq(q->k, -1);
	ck_assert_str_eq(q->exe, "");
	ck_assert_str_eq(q->origin, "start");
	ck_assert_uint_eq(q->argc, 0);
	ck_assert_uint_eq(q->samples, 1);
	ck_assert_int_eq(q->last_ns, 12);
	ck_assert(q->has_end);
	ck_assert_int_eq(q->end_code, 0);
	ck_assert(!q->host.known);
}
END_TEST

START_TEST(test_logread_bad_header_field)
{
	const char *p = put("ovc.1.0.jsonl",
			    "{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,"
			    "\"pid\":\"twelve\",\"ppid\":3,\"argv\":\"x\"}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":1: \"pid\" is not an integer; default used"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, ":1: \"argv\" is not an array"));
	ck_assert_int_eq(fx_model->procs[0]->pid, -1);
	ck_assert_int_eq(fx_model->procs[0]->ppid, 3);
}
END_TEST

START_TEST(test_logread_run_file)
{
	const char *p = put(
		"ovc-run.50.0.jsonl",
		"{\"t\":\"run\",\"format\":\"ovc-log\",\"version\":1,\"run\":\"r1\","
		"\"pid\":51,\"ovc_pid\":50,\"argv\":[\"a\",\"b\"],"
		"\"start_unix_ns\":5}\n"
		"{\"t\":\"run_end\",\"kind\":\"signal\",\"signal\":9,"
		"\"duration_ns\":77}\n");
	ck_assert_int_eq(read1(p), OVC_READ_OK);
	ck_assert_uint_eq(fx_model->nprocs, 0);
	ck_assert_uint_eq(fx_model->nruns, 1);
	const struct ovc_run *r = fx_model->runs[0];
	ck_assert_str_eq(r->run, "r1");
	ck_assert_int_eq(r->pid, 51);
	ck_assert_int_eq(r->ovc_pid, 50);
	ck_assert_uint_eq(r->argc, 2);
	ck_assert(r->has_end);
	ck_assert_int_eq(r->end_kind, OVC_END_SIGNAL);
	ck_assert_int_eq(r->end_signal, 9);
	ck_assert_int_eq(r->duration_ns, 77);
}
END_TEST

START_TEST(test_logread_run_filter)
{
	const char *p = put("ovc.100.0.jsonl", PROC SAMPLE(1, 1, 1, 0, 1, 1));
	struct ovc_read_opts o = {.err = fx_err, .run = "r2"};
	ck_assert_int_eq(read_with(p, &o), OVC_READ_FILTERED);
	ck_assert_uint_eq(fx_model->nprocs, 0);
	o.run = "r1";
	ck_assert_int_eq(read_with(p, &o), OVC_READ_OK);
	ck_assert_uint_eq(fx_model->nprocs, 1);
}
END_TEST

START_TEST(test_logread_directory)
{
	put("ovc.100.0.jsonl", PROC SAMPLE(1, 1, 1, 0, 1, 1));
	put("ovc.100.1.jsonl", PROC);
	put("ovc.junk.jsonl", "not a log\n");
	put("notes.txt", "hello\n");
	put("ovc-run.9.0.jsonl",
	    "{\"t\":\"run\",\"format\":\"ovc-log\",\"version\":1}\n");
	char *paths[] = {fx_dir};
	size_t n = 0;
	struct ovc_read_opts o = {.err = fx_err};
	ck_assert_int_eq(ovc_logread_paths(fx_model, paths, 1, &o, &n), 0);
	fflush(fx_err);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(fx_model->nprocs, 2);
	ck_assert_uint_eq(fx_model->nruns, 1);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "ovc.junk.jsonl: not an ovc log"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "; skipped"));
	ck_assert_ptr_null(strstr(fx_errbuf, "notes.txt"));
}
END_TEST

START_TEST(test_logread_paths_explicit_bad)
{
	char good[512], bad[512], missing[512];
	snprintf(good, sizeof good, "%s", put("ovc.100.0.jsonl", PROC));
	snprintf(bad, sizeof bad, "%s", put("x.jsonl", "nope\n"));
	snprintf(missing, sizeof missing, "%s/absent", fx_dir);
	char *paths[] = {good, bad, missing, good};
	size_t n = 0;
	struct ovc_read_opts o = {.err = fx_err};
	ck_assert_int_eq(ovc_logread_paths(fx_model, paths, 4, &o, &n), 2);
	fflush(fx_err);
	ck_assert_uint_eq(n, 1); /* read once, though named twice */
	ck_assert_uint_eq(fx_model->nprocs, 1);
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "x.jsonl: not an ovc log"));
	ck_assert_ptr_nonnull(strstr(fx_errbuf, "absent: cannot open"));
}
END_TEST

static Suite *logread_suite(void)
{
	Suite *s = suite_create("logread");
	TCase *tc = tcase_create("logread");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, test_logread_good_log);
	tcase_add_test(tc, test_logread_torn_tail);
	tcase_add_test(tc, test_logread_garbage_line);
	tcase_add_test(tc, test_logread_u64_extremes);
	tcase_add_test(tc, test_logread_wrong_version);
	tcase_add_test(tc, test_logread_not_a_log);
	tcase_add_test(tc, test_logread_hostile_types);
	tcase_add_test(tc, test_logread_warning_limit);
	tcase_add_test(tc, test_logread_long_line);
	tcase_add_test(tc, test_logread_header_too_long);
	tcase_add_test(tc, test_logread_nul_byte);
	tcase_add_test(tc, test_logread_deep_nesting);
	tcase_add_test(tc, test_logread_funcs_order);
	tcase_add_test(tc, test_logread_missing_fields);
	tcase_add_test(tc, test_logread_bad_header_field);
	tcase_add_test(tc, test_logread_run_file);
	tcase_add_test(tc, test_logread_run_filter);
	tcase_add_test(tc, test_logread_directory);
	tcase_add_test(tc, test_logread_paths_explicit_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(logread_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
