/* Unit tests of the option parsing and byte formatting in preload/options.c. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovc/options.h"

static uint64_t size_of(const char *text)
{
	uint64_t v = 12345;
	ck_assert_msg(ovc_parse_size(text, &v), "'%s' should parse", text);
	return v;
}

static void size_refused(const char *text)
{
	uint64_t v = 777;
	ck_assert_msg(!ovc_parse_size(text, &v), "'%s' should be refused",
		      text ? text : "(null)");
	ck_assert_uint_eq(v, 777); /* untouched on failure */
}

START_TEST(test_parse_pid)
{
	long v = 7;
	ck_assert(ovc_parse_pid("1", &v) && v == 1);
	ck_assert(ovc_parse_pid("4194304", &v) && v == 4194304);
	ck_assert(ovc_parse_pid("0012", &v) && v == 12);
	const char *bad[] = { "", "0", "-1", "+5", " 5", "5 ", "4194305",
			      "99999999999999999999", "abc", "12x", "0x10" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		ck_assert_msg(!ovc_parse_pid(bad[i], &v) && v == 7,
			      "'%s' should be refused", bad[i]);
	}
	ck_assert(!ovc_parse_pid(NULL, &v));
}
END_TEST

START_TEST(test_options_size_plain)
{
	ck_assert_uint_eq(size_of("0"), 0);
	ck_assert_uint_eq(size_of("4096"), 4096);
	ck_assert_uint_eq(size_of("18446744073709551615"), UINT64_MAX);
}
END_TEST

START_TEST(test_options_size_suffixes)
{
	ck_assert_uint_eq(size_of("1b"), 1);
	ck_assert_uint_eq(size_of("128K"), 128u << 10);
	ck_assert_uint_eq(size_of("128kb"), 128u << 10);
	ck_assert_uint_eq(size_of("512KiB"), 512u << 10);
	ck_assert_uint_eq(size_of("3m"), 3u << 20);
	ck_assert_uint_eq(size_of("3MiB"), 3u << 20);
	ck_assert_uint_eq(size_of("1G"), (uint64_t)1 << 30);
	ck_assert_uint_eq(size_of("1gib"), (uint64_t)1 << 30);
	ck_assert_uint_eq(size_of("2T"), (uint64_t)2 << 40);
	ck_assert_uint_eq(size_of("16777215TiB"), (uint64_t)16777215 << 40);
}
END_TEST

START_TEST(test_options_size_garbage)
{
	size_refused(NULL);
	size_refused("");
	size_refused("K");
	size_refused("abc");
	size_refused("12X");
	size_refused("12 K");
	size_refused(" 12");
	size_refused("-1");
	size_refused("+1");
	size_refused("1.5G");
	size_refused("1GG");
	size_refused("1Kibibyte");
}
END_TEST

START_TEST(test_options_size_overflow)
{
	size_refused("18446744073709551616");
	size_refused("99999999999999999999999");
	size_refused("16777216T"); /* 2^64 */
	size_refused("17179869184G");
	size_refused("18014398509481984K");
}
END_TEST

START_TEST(test_options_ms)
{
	uint64_t v = 0;
	ck_assert(ovc_parse_ms("10", &v));
	ck_assert_uint_eq(v, 10);
	ck_assert(ovc_parse_ms("250ms", &v));
	ck_assert_uint_eq(v, 250);
	ck_assert(ovc_parse_ms("2s", &v));
	ck_assert_uint_eq(v, 2000);
	ck_assert(ovc_parse_ms("3MS", &v));
	ck_assert_uint_eq(v, 3);
	v = 5;
	ck_assert(!ovc_parse_ms("", &v));
	ck_assert(!ovc_parse_ms("s", &v));
	ck_assert(!ovc_parse_ms("1m", &v));
	ck_assert(!ovc_parse_ms("1.5s", &v));
	ck_assert(!ovc_parse_ms("-1", &v));
	ck_assert(!ovc_parse_ms("18446744073709551615s", &v));
	ck_assert(!ovc_parse_ms(NULL, &v));
	ck_assert_uint_eq(v, 5);
}
END_TEST

START_TEST(test_options_number_bounds)
{
	const struct ovc_opt_def *iv = &ovc_opt_defs[OVC_OPT_INTERVAL];
	const struct ovc_opt_def *vb = &ovc_opt_defs[OVC_OPT_VERBOSE];
	uint64_t v = 99;
	ck_assert(ovc_opt_parse_number(iv, "1", &v));
	ck_assert_uint_eq(v, 1);
	ck_assert(ovc_opt_parse_number(iv, "60s", &v));
	ck_assert_uint_eq(v, 60000);
	v = 99;
	ck_assert(!ovc_opt_parse_number(iv, "0", &v));
	ck_assert(!ovc_opt_parse_number(iv, "61s", &v));
	ck_assert(!ovc_opt_parse_number(iv, "ten", &v));
	ck_assert_uint_eq(v, 99);
	ck_assert(ovc_opt_parse_number(vb, "3", &v));
	ck_assert_uint_eq(v, 3);
	ck_assert(!ovc_opt_parse_number(vb, "4", &v));
	ck_assert(!ovc_opt_parse_number(vb, "1x", &v));
}
END_TEST

START_TEST(test_options_choice)
{
	const struct ovc_opt_def *sm = &ovc_opt_defs[OVC_OPT_SUMMARY];
	uint64_t v = 99;
	ck_assert(ovc_opt_parse_number(sm, "tty", &v));
	ck_assert_uint_eq(v, OVC_SUMMARY_TTY);
	ck_assert(ovc_opt_parse_number(sm, "ALWAYS", &v));
	ck_assert_uint_eq(v, OVC_SUMMARY_ALWAYS);
	ck_assert(ovc_opt_parse_number(sm, "never", &v));
	ck_assert_uint_eq(v, OVC_SUMMARY_NEVER);
	v = 99;
	ck_assert(!ovc_opt_parse_number(sm, "nev", &v));
	ck_assert(!ovc_opt_parse_number(sm, "", &v));
	ck_assert(!ovc_opt_parse_number(sm, "tty|always", &v));
	ck_assert_uint_eq(v, 99);
}
END_TEST

START_TEST(test_options_table_complete)
{
	for (int i = 0; i < OVC_OPT_COUNT_; i++) {
		const struct ovc_opt_def *d = &ovc_opt_defs[i];
		ck_assert_ptr_nonnull(d->env);
		ck_assert(strncmp(d->env, "OVC_", 4) == 0);
		ck_assert_ptr_nonnull(d->def);
		ck_assert_ptr_nonnull(d->help);
		uint64_t v;
		/* every numeric default must parse under its own rules */
		if (d->kind == OVC_OPT_MS || d->kind == OVC_OPT_SIZE ||
		    d->kind == OVC_OPT_COUNT || d->kind == OVC_OPT_CHOICE)
			ck_assert_msg(ovc_opt_parse_number(d, d->def, &v),
				      "default of %s does not parse", d->env);
	}
}
END_TEST

static const char *fmt(uint64_t n)
{
	static char buf[32];
	return ovc_format_bytes(n, buf, sizeof buf);
}

START_TEST(test_options_format_bytes)
{
	ck_assert_str_eq(fmt(0), "0 B");
	ck_assert_str_eq(fmt(512), "512 B");
	ck_assert_str_eq(fmt(1023), "1023 B");
	ck_assert_str_eq(fmt(1024), "1.0 KiB");
	ck_assert_str_eq(fmt(1536), "1.5 KiB");
	ck_assert_str_eq(fmt(100u << 20), "100.0 MiB");
	ck_assert_str_eq(fmt((uint64_t)3 << 29), "1.5 GiB");
	ck_assert_str_eq(fmt((uint64_t)128 << 40), "128.0 TiB");
	ck_assert_str_eq(fmt(UINT64_MAX), "16.0 EiB");
}
END_TEST

START_TEST(test_options_format_bytes_small_buffer)
{
	char buf[4] = "xxx";
	ck_assert_str_eq(ovc_format_bytes(1536, buf, sizeof buf), "1.5");
	char one[1] = {'x'};
	ovc_format_bytes(1536, one, sizeof one);
	ck_assert_int_eq(one[0], '\0');
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");
	tcase_add_test(tc, test_parse_pid);
	tcase_add_test(tc, test_options_size_plain);
	tcase_add_test(tc, test_options_size_suffixes);
	tcase_add_test(tc, test_options_size_garbage);
	tcase_add_test(tc, test_options_size_overflow);
	tcase_add_test(tc, test_options_ms);
	tcase_add_test(tc, test_options_number_bounds);
	tcase_add_test(tc, test_options_choice);
	tcase_add_test(tc, test_options_table_complete);
	tcase_add_test(tc, test_options_format_bytes);
	tcase_add_test(tc, test_options_format_bytes_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
