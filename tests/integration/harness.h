/* Shared by the integration tests: running programs plain, under a bare
 * LD_PRELOAD of libovc.so and under `ovc run`, capturing what they print,
 * and reading `ovc report --json` back with jansson. Paths come from the
 * environment meson sets: OVC_BIN, OVC_LIB, OVC_PROGRAMS, OVC_TEST_TMP. */
#ifndef OVC_TEST_HARNESS_H
#define OVC_TEST_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define IT_MIB (1024LL * 1024)
#define IT_GIB (1024LL * IT_MIB)
#define IT_TIB (1024LL * IT_GIB)

/** What a finished command did. */
struct it_result {
	int status;    /**< raw wait status */
	int code;      /**< exit code, or 128 + signal number */
	char *out;     /**< everything it wrote on stdout, NUL-terminated */
	char *err;     /**< everything it wrote on stderr, NUL-terminated */
	double seconds; /**< wall time */
};

/** Value of environment variable NAME; fails the test if it is unset. */
const char *it_env(const char *name);

/** Path of the test program NAME (in OVC_PROGRAMS); static storage, valid
 * until the next call. */
const char *it_program(const char *name);

/** Creates a fresh empty directory for one test (under OVC_TEST_TMP) and
 * returns its path (malloc'd). TAG names the test in the path. */
char *it_tempdir(const char *tag);

/** Removes DIR and everything below it. */
void it_rmtree(const char *dir);

/** Runs ARGV (ARGV[0] a path or a name looked up in PATH) with the test's
 * environment changed by SETENV ("NAME=VALUE" sets, "NAME" unsets; NULL-ended
 * list or NULL), stdin from /dev/null, stdout and stderr captured into R.
 * Kills the command (its process group) after TIMEOUT_S seconds and fails
 * the test. */
void it_run(char *const argv[], char *const setenv[], int timeout_s,
	    struct it_result *r);

/** it_run of `ovc run -o DIR -- ARGV...`. */
void it_ovc_run(const char *dir, char *const argv[], int timeout_s,
		struct it_result *r);

/** Runs `ovc ARGS...` (ARGS NULL-terminated, at most 30) for at most 120 s
 * and returns its exit code; R keeps what it printed. */
int it_ovc(struct it_result *r, const char *const args[]);

/** it_run of ARGV with LD_PRELOAD=OVC_LIB and OVC_OUTPUT=DIR. */
void it_preload_run(const char *dir, char *const argv[], int timeout_s,
		    struct it_result *r);
/** The same with one more setting in the environment, "NAME=value" (or
 * NULL for none). */
void it_preload_run_with(const char *dir, char *const argv[],
			 const char *setting, int timeout_s, struct it_result *r);

/** it_preload_run of ARGV (for at most 60 s) in a directory of its own,
 * which must exit 0: the report of its logs (`ovc report --json`); the
 * directory is removed, R keeps what ARGV printed. */
json_t *it_preload_report(char *const argv[], struct it_result *r);

/** Frees what R holds. */
void it_result_free(struct it_result *r);

/** Starts ARGV like it_run but returns at once: *PID is its pid, *OUT_FD
 * the read end of a pipe on its stdout; its stderr is the test's. */
void it_spawn(char *const argv[], char *const setenv[], pid_t *pid,
	      int *out_fd);

/** Reads one line (without its newline) from FD into BUF within
 * TIMEOUT_MS; fails the test on EOF or timeout. */
void it_read_line(int fd, char *buf, size_t size, int timeout_ms);

/** Runs `ovc report --json --all PATH` (every site with every frame: tests
 * look for frames deep in a stack), checks that it exits 0 with JSON of
 * format "ovc-report" version 1 on stdout, and returns it. When
 * STDERR_OUT is not NULL it gets ovc's stderr (malloc'd). */
json_t *it_report(const char *path, char **stderr_out);

/** The processes of REPORT whose exe's last component is EXE_NAME (all of
 * them when EXE_NAME is NULL), as a new array. */
json_t *it_processes(json_t *report, const char *exe_name);

/** The one process of REPORT whose exe's last component is EXE_NAME; fails
 * the test unless there is exactly one. Borrowed reference. */
json_t *it_process(json_t *report, const char *exe_name);

/** The member at dotted PATH ("calls.malloc", "end.kind") of O, or NULL. */
json_t *it_get(json_t *o, const char *path);

/** The integer at PATH; fails the test unless there is one. */
long long it_int(json_t *o, const char *path);

/** The number (integer or real) at PATH; fails the test unless there is
 * one. */
double it_num(json_t *o, const char *path);

/** The string at PATH; fails the test unless there is one. */
const char *it_str(json_t *o, const char *path);

/** O as indented JSON text (malloc'd), for failure messages. */
char *it_dump(json_t *o);

/** The whole content of PATH (malloc'd, NUL-terminated); NULL if it
 * cannot be read. */
char *it_read_file(const char *path, size_t *len);

/** Writes LEN bytes of TEXT to PATH (created or truncated). */
void it_write_file(const char *path, const char *text, size_t len);

/** Names (not paths) of the files in DIR starting with PREFIX, sorted, as a
 * JSON array of strings. */
json_t *it_list_dir(const char *dir, const char *prefix);

/** The lines of the JSON Lines file PATH that parse, as an array of
 * objects. */
json_t *it_read_jsonl(const char *path);
/** The lines (it_read_jsonl) of the one process log ("ovc.*") in DIR,
 * asserting there is exactly one; its path into PATH (CAP bytes) unless
 * PATH is NULL. */
json_t *it_read_only_log(const char *dir, char *path, size_t cap);
/** How many of the log LINES (it_read_jsonl) are records of type TYPE
 * ("s", "end", ...). */
int it_count_records(json_t *lines, const char *type);

/** Runs suite S with Check and returns the exit status for main. */
int it_main(Suite *s);

#endif
