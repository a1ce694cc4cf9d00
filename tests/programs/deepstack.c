/* Stacks that ovc's .eh_frame unwinder walks itself and stacks it hands to
 * libunwind, each allocating blocks of known size at a known site. Built
 * with -O2 and without frame pointers (each frame's CFA from rsp, except
 * the one that calls alloca, whose CFA is from rbp).
 *   main -> deep x6 -> with_alloca -> leaf_alloc: malloc(1 MiB), 3 times
 *   a thread: thread_main -> deep x6 -> with_alloca -> leaf_alloc, once
 *   a SIGUSR1 handler on a sigaltstack: on_signal: malloc(2 MiB), once
 *     (a signal frame, and another stack: libunwind's)
 *   a coroutine (swapcontext) on a stack mapped with MAP_FIXED 16 MiB
 *     below the main stack's top, a gap between: in_coroutine:
 *     malloc(3 MiB), once (a stack near the main one, not part of it)
 * The blocks are freed again at once. */
#include <alloca.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define MIB ((size_t)1 << 20)
#define NOINLINE __attribute__((noinline, noclone))

void *volatile sink[16];

NOINLINE static void *leaf_alloc(void)
{
	void *p = malloc(MIB); /* site: leaf_alloc */
	if (p)
		memset(p, 1, 4096);
	return p;
}

NOINLINE static void *with_alloca(size_t n)
{
	char *buf = alloca(n); /* a CFA from rbp */
	memset(buf, 0, n);
	void *p = leaf_alloc();
	sink[0] = buf;
	return p;
}

NOINLINE static void *deep(int n, size_t extra)
{
	volatile char pad[200 + 64 * (n & 3)]; /* frames of several sizes */
	pad[0] = (char)n;
	void *p = n == 0 ? with_alloca(extra) : deep(n - 1, extra);
	sink[1 + (n & 7)] = p; /* not a tail call */
	pad[1] = pad[0];
	return p;
}

static void *thread_main(void *arg)
{
	(void)arg;
	free(deep(5, 48));
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	void *p = malloc(2 * MIB); /* site: on_signal */
	sink[9] = p;
	free(p);
}

static ucontext_t main_ctx, co_ctx;

static void in_coroutine(void)
{
	void *p = malloc(3 * MIB); /* site: in_coroutine */
	sink[10] = p;
	free(p);
}

/* Runs in_coroutine on a 64 KiB stack mapped 16 MiB below the page that
 * holds TOP (an address in main's frame); 0, or -1 when the place is
 * taken. */
static int coroutine_near(char *top)
{
	size_t size = 64 * 1024;
	uintptr_t at = (((uintptr_t)top & ~(uintptr_t)4095) - 16 * MIB);
	void *stack = mmap((void *)at, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	if (stack == MAP_FAILED || (uintptr_t)stack != at)
		return -1;
	if (getcontext(&co_ctx) != 0)
		return -1;
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, in_coroutine, 0);
	if (swapcontext(&main_ctx, &co_ctx) != 0)
		return -1;
	return munmap(stack, size);
}

int main(void)
{
	volatile int rounds = 3; /* one call site in main: no unrolling */
	for (int i = 0; i < rounds; i++)
		free(deep(5, 16 + 100 * (size_t)i));
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	raise(SIGUSR1);
	char here;
	if (coroutine_near(&here) != 0) {
		perror("deepstack: a coroutine's stack below the main one");
		return 1;
	}
	printf("deepstack: 4 blocks of 1 MiB through 6 frames of deep, 1 of 2 MiB in a handler, 1 of 3 MiB in a coroutine\n");
	return 0;
}
