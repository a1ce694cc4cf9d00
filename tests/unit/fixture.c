/* The temporary directory, model and warning stream of the log-reading unit
 * tests, and logs written there and read (fixture.h). */
#include "fixture.h"

#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/logread.h"

char fx_dir[64];
char *fx_errbuf;
size_t fx_errlen;
FILE *fx_err;
struct ovc_model *fx_model;

void fx_setup_named(const char *name)
{
	snprintf(fx_dir, sizeof fx_dir, "/tmp/ovc-test-%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
	fx_err = open_memstream(&fx_errbuf, &fx_errlen);
	ck_assert_ptr_nonnull(fx_err);
	fx_model = ovc_model_create();
	ck_assert_ptr_nonnull(fx_model);
}

void fx_teardown(void)
{
	DIR *d = opendir(fx_dir);
	struct dirent *e;
	char path[512];
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", fx_dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(fx_dir);
	fclose(fx_err);
	free(fx_errbuf);
	fx_errbuf = NULL;
	ovc_model_destroy(fx_model);
	fx_model = NULL;
}

void fx_read_log(const char *name, const char *text)
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

unsigned fx_count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct ovc_site *fx_add_site(struct ovc_proc *p, int64_t id, int64_t req,
				    int64_t touched, int64_t unprobed)
{
	struct ovc_frame fr[2] = {{0, (uint64_t)(0x100 + id)}, {0, 0x900}};
	bool dup;
	struct ovc_site *s = ovc_proc_add_site(p, id, fr, 2, &dup);
	ck_assert_ptr_nonnull(s);
	s->has_figures = true;
	s->blocks = 1;
	s->requested_bytes = req;
	s->live_bytes = req;
	s->peak_live_bytes = req;
	s->touched_bytes = touched;
	s->unprobed_bytes = unprobed;
	return s;
}

struct ovc_proc *fx_new_proc(const char *exe)
{
	struct ovc_proc *p = ovc_proc_create("ovc.1.0.jsonl");
	ck_assert_ptr_nonnull(p);
	free(p->exe);
	p->exe = strdup(exe);
	ck_assert(ovc_model_add_proc(fx_model, p));
	return p;
}

int fx_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
