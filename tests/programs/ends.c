/* Every way a process can end, from the main thread or from another, in
 * the process itself or in a child of fork (tests/compat/test-ends.c).
 *
 * Usage: ends WAY WHERE FORK
 *   WAY    exit          exit(3)
 *          _exit         _exit(4)
 *          exit_group    syscall(SYS_exit_group, 5), no libc on the way
 *          pthread_exit  the last thread calls pthread_exit (status 0)
 *          return        the last thread returns from its function (from
 *                        main: return 6; from a thread function: status 0)
 *          segv          a write through NULL (SIGSEGV)
 *          abort         abort() (SIGABRT)
 *          term          raise(SIGTERM), default action
 *          kill          raise(SIGKILL)
 *          exec          execv of this program as `ends exit main none`
 *                        (the new image exits 3)
 *   WHERE  main    the case thread ends the process itself, after a helper
 *                  thread that allocated was joined
 *          thread  another thread ends it: for pthread_exit and return the
 *                  case thread calls pthread_exit first and the other
 *                  thread, the last one, ends a little later; for the rest
 *                  the case thread waits in pthread_join meanwhile
 *   FORK   none    the case thread is the main thread of the process
 *          main    the main thread forks; the child runs the case (its
 *                  case thread is its main thread)
 *          thread  a thread that is not the main thread forks; the child
 *                  runs the case in that thread, its only one
 *
 * With a fork, the parent waits for the child, prints "ends: child exit N"
 * or "ends: child signal S" and exits 0. Prints "ends: WAY WHERE FORK"
 * first. Core dumps are off (RLIMIT_CORE 0): a crash ends at once. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *way, *where, *forkmode;

static void work(void)
{
	for (int i = 0; i < 100; i++)
		free(malloc(1000 + i));
}

static void *helper(void *arg)
{
	(void)arg;
	work();
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Ends the process the way WAY says, from the calling thread, for the
 * ways that do not depend on being the last thread. */
static void end_now(void)
{
	fflush(NULL);
	if (strcmp(way, "exit") == 0)
		exit(3);
	if (strcmp(way, "_exit") == 0)
		_exit(4);
	if (strcmp(way, "exit_group") == 0)
		syscall(SYS_exit_group, 5);
	if (strcmp(way, "segv") == 0)
		*(volatile int *)(uintptr_t)0 = 1;
	if (strcmp(way, "abort") == 0)
		abort();
	if (strcmp(way, "term") == 0)
		raise(SIGTERM);
	if (strcmp(way, "kill") == 0)
		raise(SIGKILL);
	if (strcmp(way, "exec") == 0) {
		char *argv[] = { "ends", "exit", "main", "none", NULL };
		execv("/proc/self/exe", argv);
		perror("ends: execv");
		_exit(100);
	}
	fprintf(stderr, "ends: WAY %s did not end the process\n", way);
	_exit(101);
}

static int last_thread_way(void)
{
	return strcmp(way, "pthread_exit") == 0 || strcmp(way, "return") == 0;
}

/* The other thread of WHERE=thread. */
static void *ender(void *arg)
{
	(void)arg;
	work();
	if (last_thread_way()) {
		/* The case thread is gone by now (most likely): this one is
		 * the last. */
		sleep_ms(100);
		work();
		if (way[0] == 'p')
			pthread_exit(NULL);
		return NULL;
	}
	end_now();
	return NULL;
}

/* Runs the case in the calling thread. Returns only for WAY=return with
 * WHERE=main: the caller then returns (from main, or from its thread
 * function). */
static void run_case(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, helper, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		_exit(102);
	work();
	if (strcmp(where, "thread") == 0) {
		if (pthread_create(&t, NULL, ender, NULL) != 0)
			_exit(102);
		if (last_thread_way()) {
			fflush(NULL);
			pthread_exit(NULL);
		}
		pthread_join(t, NULL);
		_exit(103); /* not reached: the other thread ended the process */
	}
	if (strcmp(way, "pthread_exit") == 0) {
		fflush(NULL);
		pthread_exit(NULL);
	}
	if (strcmp(way, "return") == 0) {
		fflush(NULL);
		return;
	}
	end_now();
}

static void report_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		;
	if (WIFEXITED(st))
		printf("ends: child exit %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("ends: child signal %d\n", WTERMSIG(st));
	fflush(stdout);
}

static void *forker(void *arg)
{
	(void)arg;
	work();
	pid_t pid = fork();
	if (pid < 0)
		_exit(104);
	if (pid == 0) {
		run_case();
		return NULL; /* WAY=return: the child's last thread returns */
	}
	report_child(pid);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ends WAY WHERE FORK\n");
		return 2;
	}
	way = argv[1], where = argv[2], forkmode = argv[3];
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	printf("ends: %s %s %s\n", way, where, forkmode);
	fflush(stdout);
	work();
	if (strcmp(forkmode, "none") == 0) {
		run_case();
		return 6;
	}
	if (strcmp(forkmode, "main") == 0) {
		pid_t pid = fork();
		if (pid < 0)
			return 104;
		if (pid == 0) {
			run_case();
			return 6;
		}
		report_child(pid);
		return 0;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, forker, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 102;
	return 0;
}
