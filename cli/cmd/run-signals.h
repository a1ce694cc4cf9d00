/* `ovc run` as its command's parent: the signals it passes on to the
 * command, and stopping when the command stops after one of them. */
#ifndef OVC_CLI_RUN_SIGNALS_H
#define OVC_CLI_RUN_SIGNALS_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/** The signals to pass on and the actions they had before. */
struct ovc_forwarding {
	int sig[64];
	struct sigaction saved[64];
	size_t n;
};

/** Fills F with the signals to forward: the fixed ones (every signal that
 * ends, stops, continues or informs a process) and SIGRTMIN..SIGRTMAX,
 * minus those ignored now. */
void ovc_run_forwarding_list(struct ovc_forwarding *f);

/** Passes F's signals on to PID from now on: installs the handler, keeping
 * the actions they had in F. Call with them blocked, after the fork. */
void ovc_run_forward_to(struct ovc_forwarding *f, pid_t pid);

/** Stops passing signals on and gives F's signals their actions back. */
void ovc_run_forward_end(const struct ovc_forwarding *f);

/** The command PID stopped with SIG. After a stop signal ovc passed on, ovc
 * stops too (its shell sees the job stopped) and continues the command
 * when it is continued itself. A stop from elsewhere (a debugger, `kill
 * -STOP` of the command) is not ovc's: it waits on, so that whoever
 * continues the command finds ovc running. */
void ovc_run_stopped_with(pid_t pid, int sig);

#endif
