/* What `ovc run` is asked to run: the libovc.so to preload, the command's
 * path, what kind of program it is and whether the loader would honour
 * LD_PRELOAD for it. */
#ifndef OVC_CLI_RUN_TARGET_H
#define OVC_CLI_RUN_TARGET_H

/** What kind of program a file is, for preloading. */
enum ovc_binary { OVC_BIN_DYNAMIC, OVC_BIN_STATIC, OVC_BIN_OTHER };

/** libovc.so to preload (malloc'd): $OVC_LIB, the build tree's
 * (../preload/ next to this ovc), or the installed one; NULL when none can
 * be read (said on stderr). */
char *ovc_run_find_lib(void);

/** Resolves CMD like execvp does. Returns a malloc'd path, or NULL with
 * errno ENOENT (not found) or EACCES (found, not executable). */
char *ovc_run_resolve(const char *cmd);

/** Whether PATH is a dynamically linked ELF (has PT_INTERP), a static one,
 * or something else (a script: its interpreter is preloaded). */
enum ovc_binary ovc_run_inspect(const char *path);

/** Why the loader would run PATH in secure-execution mode, where it
 * ignores LD_PRELOAD (ld.so(8)); NULL when it would not. */
const char *ovc_run_secure_exec(const char *path);

#endif
