/* The snapshot's reading of smaps text and its analysis (cli/read/snapshot.c,
 * cli/analyze/snapshot-analyze.c): kinds of mappings, committed bytes, thread
 * stacks found by their stack pointers, the totals and the gap, and lines
 * that are not what they should be. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/snapshot.h"

#define KiB 1024LL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* An smaps text: an 8 GiB anonymous block with 1 GiB resident, [heap],
 * [stack], a file with a space in its name, a PROT_NONE reservation
 * (MAP_NORESERVE), a named anonymous mapping, shared memory, a thread
 * stack with its guard page, [vdso], and garbage. */
static const char smaps[] =
	"10000000-210000000 rw-p 00000000 00:00 0 \n"
	"Size:            8388608 kB\n"
	"Rss:             1048576 kB\n"
	"Anonymous:       1048576 kB\n"
	"Swap:               1024 kB\n"
	"VmFlags: rd wr mr mw me ac \n"
	"300000000-300021000 rw-p 00000000 00:00 0                          [heap]\n"
	"Rss:                  12 kB\n"
	"400000000-400001000 r--p 00000000 fe:00 42                         /tmp/a b (deleted)\n"
	"Rss:                   4 kB\n"
	"500000000-540000000 ---p 00000000 00:00 0 \n"
	"Rss:                   0 kB\n"
	"VmFlags: mr mw me nr \n"
	"600000000-600100000 rw-p 00000000 00:00 0                          [anon:\xc3\xa9\xff\xc3]\n"
	"Rss:                 256 kB\n"
	"700000000-700200000 rw-s 00000000 00:01 7                          /dev/zero (deleted)\n"
	"Rss:                2048 kB\n"
	"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	"7f0000001000-7f0000801000 rw-p 00000000 00:00 0 \n"
	"Rss:                   8 kB\n"
	"7f0000801000-7f0000802000 ---p 00000000 00:00 0 \n"
	"7f0000802000-7f0001002000 rw-p 00000000 00:00 0 \n"
	"Rss:                  20 kB\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                    [stack]\n"
	"Rss:                  16 kB\n"
	"7ffd10000000-7ffd10002000 r-xp 00000000 00:00 0                    [vdso]\n"
	"garbage line\n"
	"ffff-0000 rw-p 00000000 00:00 0 \n"
	"Rss:                 999 kB\n";

static void parse(struct ovc_snap *s)
{
	memset(s, 0, sizeof *s);
	s->pid = 100;
	s->host.commit_limit_bytes = 4 * GiB;
	s->host.mem_total_bytes = 16 * GiB;
	FILE *f = fmemopen((void *)smaps, sizeof smaps - 1, "r");
	ck_assert(f);
	ck_assert(ovc_snap_parse_smaps(f, s));
	fclose(f);
}

START_TEST(test_snapshot_kinds)
{
	struct ovc_snap s;
	parse(&s);
	/* the last header, ffff-0000, has hi < lo: not a mapping, and its
	 * field line goes nowhere */
	ck_assert_uint_eq(s.nmaps, 12);
	ck_assert_int_eq(s.maps[0].kind, OVC_SNAP_ANON);
	ck_assert(s.maps[0].committed);
	ck_assert_int_eq(s.maps[0].rss_bytes, GiB);
	ck_assert_int_eq(s.maps[0].swap_bytes, MiB);
	ck_assert_int_eq(s.maps[1].kind, OVC_SNAP_HEAP);
	ck_assert_int_eq(s.maps[2].kind, OVC_SNAP_FILE);
	ck_assert_str_eq(s.maps[2].name, "/tmp/a b (deleted)");
	ck_assert(!s.maps[2].anonymous);
	ck_assert_int_eq(s.maps[3].kind, OVC_SNAP_ANON);
	ck_assert(!s.maps[3].committed);
	ck_assert(s.maps[3].noreserve);
	ck_assert(!s.maps[0].noreserve);
	ck_assert_int_eq(s.maps[4].kind, OVC_SNAP_ANON);
	/* names become valid UTF-8 (JSON needs it): bad bytes are '?' */
	ck_assert_str_eq(s.maps[4].name, "[anon:\xc3\xa9??]");
	ck_assert_int_eq(s.maps[5].kind, OVC_SNAP_SHARED);
	ck_assert_int_eq(s.maps[10].kind, OVC_SNAP_STACK);
	ck_assert_int_eq(s.maps[11].kind, OVC_SNAP_SPECIAL);
	ck_assert_int_eq(s.maps[11].rss_bytes, 0);
	ovc_snap_free(&s);
}
END_TEST

START_TEST(test_snapshot_totals)
{
	struct ovc_snap s;
	parse(&s);
	s.nthreads = 3;
	s.threads = calloc(3, sizeof *s.threads);
	s.threads[0] = (struct ovc_snap_thread){.tid = 100, .sp = 0x7ffd00020000};
	s.threads[1] = (struct ovc_snap_thread){.tid = 101, .sp = 0x7f0000800f00};
	s.threads[2] = (struct ovc_snap_thread){.tid = 102, .sp = 0}; /* running */
	struct ovc_snap_totals t;
	ovc_snap_analyze(&s, &t);
	ck_assert_int_eq(s.maps[7].kind, OVC_SNAP_THREAD_STACK);
	ck_assert_int_eq(s.maps[7].tid, 101);
	ck_assert_int_eq(s.maps[10].tid, 100);
	/* 102 runs: its stack is named by the guard page below it */
	ck_assert_int_eq(s.maps[9].kind, OVC_SNAP_THREAD_STACK);
	ck_assert(s.maps[9].guessed);
	ck_assert(!s.maps[7].guessed);
	ck_assert_uint_eq(t.stacks_guessed, 1);
	ck_assert_int_eq(s.threads[2].map, -1);
	ck_assert_uint_eq(t.threads_located, 2);
	ck_assert_str_eq(t.touched_source, "smaps");

	/* anonymous: 8 GiB, heap 132 KiB, 1 GiB PROT_NONE, 1 MiB named,
	 * two 8 MiB thread stacks with 4 KiB guards, 132 KiB stack */
	long long reserved = 8 * GiB + 132 * KiB + GiB + MiB + 8 * KiB +
			     16 * MiB + 132 * KiB;
	long long committed = reserved - GiB - 8 * KiB;
	long long touched = GiB + MiB + 12 * KiB + 256 * KiB + 8 * KiB +
			    20 * KiB + 16 * KiB;
	ck_assert_int_eq(t.anon.mappings, 9);
	ck_assert_int_eq(t.anon.reserved_bytes, reserved);
	ck_assert_int_eq(t.anon.committed_bytes, committed);
	ck_assert_int_eq(t.anon.touched_bytes, touched);
	ck_assert_int_eq(t.anon.swapped_bytes, MiB);
	ck_assert_int_eq(t.anon.zero_page_bytes, -1);
	ck_assert_int_eq(t.touched_committed_bytes, touched);
	ck_assert_int_eq(t.gap_bytes, committed - touched);
	ck_assert_int_eq(t.heap.reserved_bytes, 132 * KiB);
	ck_assert_int_eq(t.stack.resident_bytes, 16 * KiB);
	ck_assert_int_eq(t.thread_stacks.mappings, 2);
	ck_assert_int_eq(t.thread_stacks.reserved_bytes, 16 * MiB);
	ck_assert_int_eq(t.shared.resident_bytes, 2 * MiB);
	ck_assert_int_eq(t.file.mappings, 1);
	ck_assert(t.over_commit_limit);
	ck_assert(!t.over_mem_total);

	/* PAGEMAP_SCAN's figures win over smaps' where present. */
	s.pagemap_scanned = true;
	for (size_t i = 0; i < s.nmaps; i++) {
		s.maps[i].pm_present_bytes = s.maps[i].anonymous ? s.maps[i].rss_bytes : -1;
		s.maps[i].pm_swapped_bytes = s.maps[i].anonymous ? s.maps[i].swap_bytes : -1;
		s.maps[i].pm_zero_bytes = s.maps[i].anonymous ? 0 : -1;
	}
	s.maps[0].pm_present_bytes = GiB - 16 * MiB;
	s.maps[0].pm_zero_bytes = 16 * MiB;
	ovc_snap_analyze(&s, &t);
	ck_assert_str_eq(t.touched_source, "pagemap");
	ck_assert_int_eq(t.anon.touched_bytes, touched - 16 * MiB);
	ck_assert_int_eq(t.anon.zero_page_bytes, 16 * MiB);
	ck_assert_int_eq(t.gap_bytes, committed - touched + 16 * MiB);

	json_t *j = ovc_snap_render_json(&s, &t, NULL);
	ck_assert(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "overcommit_gap_bytes")),
			 t.gap_bytes);
	/* every anonymous mapping and the thread stack, not the others */
	ck_assert_uint_eq(json_array_size(json_object_get(j, "mappings")), 9);
	json_decref(j);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	s.exe = strdup("/bin/x");
	ck_assert(ovc_snap_render_text(out, &s, &t, NULL));
	fclose(out);
	ck_assert_msg(strstr(text, "thread stack 101\n"), "%s", text);
	ck_assert_msg(strstr(text, "thread stack (by its guard page"), "%s", text);
	ck_assert_msg(strstr(text, "2 of 3 stacks found by their stack pointers"
				   " (a thread on a CPU shows none in /proc), 1 "
				   "more by guard page"),
		      "%s", text);
	ck_assert_msg(strstr(text, "! committed 8.0 GiB is more than CommitLimit 4.0 GiB"),
		      "%s", text);
	free(text);
	ovc_snap_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");
	tcase_add_test(tc, test_snapshot_kinds);
	tcase_add_test(tc, test_snapshot_totals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
