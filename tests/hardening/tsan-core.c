/* The preload's core driven from several threads the way the exported
 * hooks drive it (hooks.c), linked directly instead of preloaded, so that
 * ThreadSanitizer can watch the core: per-thread counters and their sums,
 * sampling, the tracked-block table and site table, residency probes, the
 * ticker thread writing the log, threads that end without being joined,
 * and exit while the workers still run.
 *
 * The program re-executes itself ("child") with OVC_OUTPUT set to a fresh
 * directory under OVC_TEST_TMP (meson sets it) and checks the log that
 * image wrote; exits 0
 * when the log it wrote reads back with the expected counts, 1 otherwise.
 * Under TSan a data race makes it exit 66. */
#include "account.h"
#include "base.h"
#include "blocks.h"
#include "boot.h"
#include "lifecycle.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define OPS 200000

static void live_add(struct ovc_tc *t, int64_t d)
{
	int64_t live = OVC_LOAD(t->live) + d;
	OVC_STORE(t->live, live);
	if (live > OVC_LOAD(t->peak))
		OVC_STORE(t->peak, live);
}

static struct ovc_tc *counting(void)
{
	if (ovc_tls_guard)
		return NULL;
	struct ovc_tc *t = ovc_tls_tc;
	return t ? t : ovc_account_register();
}

/* What hooks.c's malloc does. */
static void *h_malloc(size_t n)
{
	struct ovc_tc *t = counting();
	void *p = ovc_real.malloc(n);
	if (t) {
		OVC_BUMP(t->calls[OVC_FN_MALLOC], 1);
		if (!p) {
			OVC_BUMP(t->failed[OVC_FN_MALLOC], 1);
			return p;
		}
		OVC_BUMP(t->requested[OVC_FN_MALLOC], n);
		live_add(t, (int64_t)ovc_real.malloc_usable_size(p));
		if (n >= 128 * 1024 && ovc_account_multi())
			ovc_account_peak_check();
		if (ovc_track_wanted(t, n)) {
			ovc_track_alloc(t, p, n);
			if (__atomic_load_n(&ovc_sampler_due, __ATOMIC_RELAXED))
				ovc_lifecycle_poke(0);
		}
	}
	return p;
}

/* What hooks.c's free does. */
static void h_free(void *p)
{
	struct ovc_tc *t = counting();
	if (t) {
		OVC_BUMP(t->calls[OVC_FN_FREE], 1);
		if (p) {
			live_add(t, -(int64_t)ovc_real.malloc_usable_size(p));
			if (ovc_track_maybe(p))
				ovc_track_free(p);
		}
	}
	ovc_real.free(p);
}

static void *worker(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
	void *slot[32] = {0};
	for (long i = 0; i < OPS; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		unsigned k = (unsigned)(s >> 8) % 32;
		if (slot[k]) {
			h_free(slot[k]);
			slot[k] = NULL;
			continue;
		}
		size_t n = (s >> 20) % 512 == 0 ? 256 * 1024 : 16 + (s >> 24) % 4000;
		char *p = h_malloc(n);
		if (p)
			p[0] = 1;
		slot[k] = p;
	}
	for (int k = 0; k < 32; k++)
		if (slot[k])
			h_free(slot[k]);
	return NULL;
}

/* Allocates until exit() ends the process under it. */
static void *spinner(void *arg)
{
	(void)arg;
	for (unsigned long i = 0;; i++)
		h_free(h_malloc(64 + i % 300000));
	return NULL;
}

static void *brief(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		h_free(h_malloc(100));
	return NULL;
}

/* Each line's "t"; counts the records and keeps the last `s` record. */
static int check_log(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 1;
	struct dirent *e;
	char path[4096 + 512] = "";
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "ovc.", 4) == 0)
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
	closedir(d);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "tsan-core: no log in %s\n", dir);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	int procs = 0, samples = 0, ends = 0, sites = 0, stats = 0;
	while (getline(&line, &cap, f) > 0) {
		procs += strstr(line, "{\"t\":\"proc\"") == line;
		samples += strstr(line, "{\"t\":\"s\"") == line;
		ends += strstr(line, "{\"t\":\"end\"") == line;
		sites += strstr(line, "{\"t\":\"site\"") == line;
		stats += strstr(line, "{\"t\":\"ss\"") == line;
	}
	free(line);
	fclose(f);
	printf("tsan-core: %s: %d proc, %d samples, %d end, %d site, %d ss\n",
	       path, procs, samples, ends, sites, stats);
	/* Tracked blocks (sampled and large) make at least one site. */
	return !(procs == 1 && samples >= 1 && ends == 1 && sites >= 1 &&
		 stats >= 1);
}

int main(int argc, char **argv)
{
	static char dir[3000];
	if (argc == 2) {
		/* The child: the process the core traces. */
		pthread_t t[THREADS];
		for (uintptr_t i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, worker, (void *)i);
		for (int i = 0; i < 8; i++) {
			pthread_t b;
			pthread_create(&b, NULL, brief, NULL);
			pthread_detach(b); /* never joined */
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		struct ovc_totals tot;
		ovc_account_totals(&tot);
		if (tot.calls[OVC_FN_MALLOC] < (uint64_t)THREADS * OPS / 2) {
			fprintf(stderr, "tsan-core: only %llu mallocs counted\n",
				(unsigned long long)tot.calls[OVC_FN_MALLOC]);
			return 1;
		}
		pthread_t sp[2];
		for (int i = 0; i < 2; i++)
			pthread_create(&sp[i], NULL, spinner, NULL);
		usleep(20000);
		exit(0); /* while the spinners run: ovc's exit record races them */
	}
	const char *base = getenv("OVC_TEST_TMP");
	snprintf(dir, sizeof dir, "%s/tmp-tsan-core.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* The traced run happens in a fresh image (a re-exec of this
	 * program), so the constructor reads OVC_OUTPUT. */
	setenv("OVC_OUTPUT", dir, 1);
	/* Under TSan the core captures no stacks (stack.c: libunwind's
	 * thread-exit destructor crashes TSan), but blocks are tracked, in
	 * sites of empty stacks, as everywhere else. */
	setenv("OVC_SAMPLE", "64K", 1);
	setenv("OVC_INTERVAL", "1", 1);
#ifdef __SANITIZE_ADDRESS__
	/* The child exits while two threads still allocate: LeakSanitizer's
	 * stop-the-world tracer then crashes now and again ("Tracer caught
	 * signal 11"), a fault of the tool, not of the code under test. Its
	 * leak check is off for this child only; ASan's checks stay on, and
	 * the parent and every other test keep leak detection. */
	{
		static char opts[1024];
		const char *old = getenv("ASAN_OPTIONS");
		snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", old ? old : "",
			 old && *old ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
#endif
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "tsan-core: the traced child ended with status %#x\n",
			st);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	int rc = check_log(dir);
	/* This image is traced too (the core's constructor ran), into the
	 * OVC_OUTPUT meson gave: drop that log. */
	if (*ovc_log_path())
		unlink(ovc_log_path());
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "tsan-core: cannot remove %s\n", dir);
	return rc;
}
