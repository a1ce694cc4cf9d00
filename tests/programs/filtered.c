/* Runs ARGV[1..] under a seccomp filter that allows everything: as a
 * sandbox would start a program, filtered from its first instruction. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 1, allow };

	if (argc < 2) {
		fprintf(stderr, "usage: filtered CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("filtered: seccomp");
		return 1;
	}
	execv(argv[1], argv + 1);
	perror("filtered: exec");
	return 1;
}
