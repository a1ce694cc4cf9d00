/* Unit tests of leaks (cli/analyze/leaks.c) and of the pprof profile
 * (cli/render/render-pprof.c): a hand-written log read into the model, the
 * profile decoded again with protobuf-c and checked field by field. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fixture.h"
#include "analyze/leaks.h"
#include "read/logread.h"
#include "read/model.h"
#include "render/pprof.h"
#include "profile.pb-c.h"

#define PROC(pid)                                                              \
	"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,\"pid\":" #pid   \
	",\"ppid\":99,\"exe\":\"/opt/app/bin/app\",\"argv\":[\"app\"],"       \
	"\"run\":\"r1\",\"origin\":\"start\",\"start_unix_ns\":1000}\n"
#define MODS                                                                   \
	"{\"t\":\"mod\",\"id\":0,\"path\":\"/opt/app/bin/app\",\"base\":4096," \
	"\"lo\":4096,\"hi\":8192,\"build_id\":\"abcd\"}\n"                    \
	"{\"t\":\"mod\",\"id\":3,\"path\":\"/nonexistent/libc.so.6\","         \
	"\"base\":65536,\"lo\":65536,\"hi\":131072,\"build_id\":\"\"}\n"
#define SITES                                                                  \
	"{\"t\":\"site\",\"id\":7,\"frames\":[[0,272],[3,80],[-1,99999]]}\n"   \
	"{\"t\":\"ss\",\"ns\":5,\"id\":7,\"blocks\":2,\"requested\":400,"     \
	"\"live\":300,\"peak_live\":400,\"touched\":100,\"unprobed\":0,"      \
	"\"live_blocks\":1,\"live_sd\":0,\"sampled\":false,"                  \
	"\"shared_pages\":false}\n"                                            \
	"{\"t\":\"site\",\"id\":8,\"frames\":[[0,300],[3,80]]}\n"              \
	"{\"t\":\"ss\",\"ns\":5,\"id\":8,\"blocks\":90,\"requested\":9000,"   \
	"\"live\":5000,\"peak_live\":9000,\"touched\":9000,\"unprobed\":0,"   \
	"\"live_blocks\":50,\"live_sd\":1200,\"sampled\":true,"               \
	"\"shared_pages\":true}\n"                                             \
	"{\"t\":\"site\",\"id\":9,\"frames\":[[0,300]]}\n"                     \
	"{\"t\":\"ss\",\"ns\":5,\"id\":9,\"blocks\":1,\"requested\":64,"      \
	"\"live\":0,\"peak_live\":64,\"touched\":0,\"unprobed\":0,"           \
	"\"live_blocks\":0,\"live_sd\":0,\"sampled\":false,"                  \
	"\"shared_pages\":false}\n"
#define END "{\"t\":\"end\",\"ns\":9,\"kind\":\"exit\",\"code\":0}\n"

static void setup(void)
{
	fx_setup_named("pprof");
}

/* Writes TEXT as log NAME and reads it into fx_model. */
static void read_log(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", fx_dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	struct ovc_read_opts o = {.err = fx_err};
	ck_assert_int_eq(ovc_logread_file(fx_model, path, &o), OVC_READ_OK);
}

START_TEST(test_pprof_leaks)
{
	read_log("ovc.100.0.jsonl", PROC(100) MODS SITES END);
	read_log("ovc.101.0.jsonl", PROC(101) MODS SITES); /* killed */
	ovc_model_link(fx_model);
	ck_assert_uint_eq(fx_errlen, 0);
	struct ovc_proc *p = fx_model->procs[0], *q = fx_model->procs[1];
	ck_assert_int_eq(p->pid, 100);
	const char *why = "x";
	ck_assert(ovc_proc_leaks_known(p, &why));
	ck_assert_ptr_null(why);
	ck_assert(!ovc_proc_leaks_known(q, &why));
	ck_assert_ptr_nonnull(why);

	struct ovc_leak l;
	ovc_site_leak(ovc_proc_site(p, 7), &l);
	ck_assert_int_eq(l.bytes, 300);
	ck_assert_int_eq(l.blocks, 1);
	ck_assert_int_eq(l.sd_bytes, 0);
	ck_assert(!l.estimated);
	ovc_site_leak(ovc_proc_site(p, 8), &l);
	ck_assert(l.estimated);
	ck_assert_int_eq(l.sd_bytes, 1200);

	ovc_proc_leak(p, &l);
	ck_assert_int_eq(l.bytes, 5300);
	ck_assert_int_eq(l.blocks, 51);
	ck_assert_int_eq(l.sd_bytes, 1200); /* sqrt(1200^2 + 0^2) */
	ck_assert(l.estimated);
	ovc_proc_leak(q, &l); /* not known: nothing */
	ck_assert_int_eq(l.bytes, 0);

	size_t order[3];
	ck_assert_uint_eq(ovc_proc_rank_leaks(p, order), 2);
	ck_assert_int_eq(p->sites[order[0]].id, 8);
	ck_assert_int_eq(p->sites[order[1]].id, 7);
}
END_TEST

/* The profile of the processes of fx_model (merged), decoded. */
static Perftools__Profiles__Profile *profile_of(bool merged)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ovc_pprof *b = ovc_pprof_new(NULL);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < (merged ? fx_model->nprocs : 1); i++)
		ck_assert(ovc_pprof_add_proc(b, fx_model->procs[i]));
	ck_assert(ovc_pprof_write(b, f));
	ovc_pprof_free(b);
	fclose(f);
	ck_assert_uint_gt(len, 18);
	ck_assert_uint_eq((unsigned char)buf[0], 0x1f); /* gzip */
	ck_assert_uint_eq((unsigned char)buf[1], 0x8b);
	size_t cap = 1 << 20, n;
	unsigned char *raw = malloc(cap);
	z_stream z = {0};
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)buf;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	n = cap - z.avail_out;
	inflateEnd(&z);
	free(buf);
	Perftools__Profiles__Profile *pr =
		perftools__profiles__profile__unpack(NULL, n, raw);
	free(raw);
	ck_assert_ptr_nonnull(pr);
	return pr;
}

static const char *str(const Perftools__Profiles__Profile *pr, int64_t i)
{
	ck_assert(i >= 0 && (size_t)i < pr->n_string_table);
	return pr->string_table[i];
}

/* The sample whose leaf location is at ADDRESS. */
static const Perftools__Profiles__Sample *
sample_at(const Perftools__Profiles__Profile *pr, uint64_t address)
{
	for (size_t i = 0; i < pr->n_sample; i++) {
		uint64_t id = pr->sample[i]->location_id[0];
		ck_assert(id >= 1 && id <= pr->n_location);
		if (pr->location[id - 1]->address == address)
			return pr->sample[i];
	}
	ck_abort_msg("no sample at 0x%llx", (unsigned long long)address);
	return NULL;
}

static const char *label(const Perftools__Profiles__Profile *pr,
			 const Perftools__Profiles__Sample *s, const char *key,
			 int64_t *num)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (strcmp(str(pr, s->label[i]->key), key) == 0) {
			*num = s->label[i]->num;
			return str(pr, s->label[i]->str);
		}
	ck_abort_msg("no label %s", key);
	return NULL;
}

START_TEST(test_pprof_profile)
{
	read_log("ovc.100.0.jsonl", PROC(100) MODS SITES END);
	ovc_model_link(fx_model);
	Perftools__Profiles__Profile *pr = profile_of(false);

	ck_assert_str_eq(str(pr, 0), "");
	static const char *types[][2] = {
		{"requested", "bytes"}, {"touched", "bytes"},
		{"untouched", "bytes"}, {"peak_live", "bytes"},
		{"blocks", "count"},    {"leaked", "bytes"}};
	ck_assert_uint_eq(pr->n_sample_type, 6);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(str(pr, pr->sample_type[i]->type), types[i][0]);
		ck_assert_str_eq(str(pr, pr->sample_type[i]->unit), types[i][1]);
	}
	ck_assert_str_eq(str(pr, pr->default_sample_type), "requested");
	ck_assert_int_eq(pr->time_nanos, 1000);

	/* the executable first, then libc; ranges, build ids, offset 0 */
	ck_assert_uint_eq(pr->n_mapping, 2);
	const Perftools__Profiles__Mapping *m = pr->mapping[0];
	ck_assert_uint_eq(m->id, 1);
	ck_assert_str_eq(str(pr, m->filename), "/opt/app/bin/app");
	ck_assert_str_eq(str(pr, m->build_id), "abcd");
	ck_assert_uint_eq(m->memory_start, 4096);
	ck_assert_uint_eq(m->memory_limit, 8192);
	ck_assert_uint_eq(m->file_offset, 0);
	ck_assert(!m->has_functions); /* no symbolizer: pprof's to do */
	ck_assert_str_eq(str(pr, pr->mapping[1]->filename),
			 "/nonexistent/libc.so.6");
	ck_assert_str_eq(str(pr, pr->mapping[1]->build_id), "");

	/* site 7: the call before each return address, in its mapping */
	ck_assert_uint_eq(pr->n_sample, 3);
	const Perftools__Profiles__Sample *s = sample_at(pr, 4096 + 272 - 1);
	ck_assert_uint_eq(s->n_location_id, 3);
	const Perftools__Profiles__Location *l0 =
		pr->location[s->location_id[0] - 1];
	const Perftools__Profiles__Location *l1 =
		pr->location[s->location_id[1] - 1];
	const Perftools__Profiles__Location *l2 =
		pr->location[s->location_id[2] - 1];
	ck_assert_uint_eq(l0->mapping_id, 1);
	ck_assert_uint_eq(l0->n_line, 0);
	ck_assert_uint_eq(l1->mapping_id, 2);
	ck_assert_uint_eq(l1->address, 65536 + 80 - 1);
	/* outside every module: no mapping, the absolute address, a name */
	ck_assert_uint_eq(l2->mapping_id, 0);
	ck_assert_uint_eq(l2->address, 99999);
	ck_assert_uint_eq(l2->n_line, 1);
	const Perftools__Profiles__Function *fn =
		pr->function[l2->line[0]->function_id - 1];
	ck_assert_str_eq(str(pr, fn->name), "0x1869f");
	int64_t want7[6] = {400, 100, 300, 400, 2, 300};
	ck_assert_uint_eq(s->n_value, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(s->value[i], want7[i]);
	int64_t num = -1;
	label(pr, s, "pid", &num);
	ck_assert_int_eq(num, 100);
	ck_assert_str_eq(label(pr, s, "exe", &num), "/opt/app/bin/app");
	ck_assert_str_eq(label(pr, s, "family", &num), "malloc");

	/* sites 8 and 9 share the leaf (one location), not the stack */
	const Perftools__Profiles__Sample *s8 = NULL, *s9 = NULL;
	for (size_t i = 0; i < pr->n_sample; i++) {
		if (pr->sample[i]->n_location_id == 2)
			s8 = pr->sample[i];
		else if (pr->sample[i]->n_location_id == 1)
			s9 = pr->sample[i];
	}
	ck_assert_ptr_nonnull(s8);
	ck_assert_ptr_nonnull(s9);
	ck_assert_uint_eq(s8->location_id[0], s9->location_id[0]);
	ck_assert_uint_eq(pr->n_location, 4);
	ck_assert_int_eq(s8->value[5], 5000);
	ck_assert_int_eq(s9->value[5], 0);
	perftools__profiles__profile__free_unpacked(pr, NULL);
}
END_TEST

START_TEST(test_pprof_merged)
{
	read_log("ovc.100.0.jsonl", PROC(100) MODS SITES END);
	read_log("ovc.101.0.jsonl", PROC(101) MODS SITES); /* killed */
	ovc_model_link(fx_model);
	Perftools__Profiles__Profile *pr = profile_of(true);
	/* a mapping per module of each process: addresses do not mix */
	ck_assert_uint_eq(pr->n_mapping, 4);
	ck_assert_uint_eq(pr->n_sample, 6);
	ck_assert_uint_eq(pr->n_comment, 3);
	int64_t leaked[2] = {0, 0};
	for (size_t i = 0; i < pr->n_sample; i++) {
		int64_t pid = 0;
		label(pr, pr->sample[i], "pid", &pid);
		ck_assert(pid == 100 || pid == 101);
		leaked[pid - 100] += pr->sample[i]->value[5];
	}
	ck_assert_int_eq(leaked[0], 5300);
	ck_assert_int_eq(leaked[1], 0); /* did not exit: not known */
	perftools__profiles__profile__free_unpacked(pr, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("pprof");
	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, test_pprof_leaks);
	tcase_add_test(tc, test_pprof_profile);
	tcase_add_test(tc, test_pprof_merged);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
