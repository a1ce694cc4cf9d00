/* What `ovc run` is asked to run: the libovc.so to preload, the command
 * resolved as execvp does, whether it is a dynamically linked ELF, and
 * whether the loader would run it in secure-execution mode
 * (run-target.h). */
#include "cmd/run-target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef OVC_LIBDIR
#define OVC_LIBDIR "/usr/local/lib"
#endif

static bool readable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, R_OK) == 0;
}

/* libovc.so to preload: $OVC_LIB, the build tree's, the installed one. */
char *ovc_run_find_lib(void)
{
	const char *env = getenv("OVC_LIB");
	if (env && env[0]) {
		if (!readable(env)) {
			fprintf(stderr, "ovc: OVC_LIB=%s: cannot read it: %s\n",
				env, errno ? strerror(errno) : "not a file");
			return NULL;
		}
		return realpath(env, NULL);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char cand[PATH_MAX + 32];
			snprintf(cand, sizeof cand, "%s/../preload/libovc.so",
				 self);
			if (readable(cand))
				return realpath(cand, NULL);
		}
	}
	if (readable(OVC_LIBDIR "/libovc.so"))
		return strdup(OVC_LIBDIR "/libovc.so");
	fprintf(stderr,
		"ovc: cannot find libovc.so (looked next to the ovc "
		"executable and in " OVC_LIBDIR "); set OVC_LIB to its path\n");
	return NULL;
}

/* Resolves CMD like execvp does. Returns a malloc'd path, or NULL with
 * errno ENOENT (not found) or EACCES (found, not executable). */
char *ovc_run_resolve(const char *cmd)
{
	if (strchr(cmd, '/')) {
		struct stat st;
		if (stat(cmd, &st) != 0)
			return NULL;
		if (S_ISDIR(st.st_mode) || access(cmd, X_OK) != 0) {
			errno = EACCES;
			return NULL;
		}
		return strdup(cmd);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	bool denied = false;
	size_t cl = strlen(cmd);
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		size_t dl = (size_t)(e - p);
		char *cand = malloc(dl + cl + 3);
		if (!cand)
			return NULL;
		if (dl == 0)
			sprintf(cand, "./%s", cmd);
		else
			sprintf(cand, "%.*s/%s", (int)dl, p, cmd);
		struct stat st;
		if (stat(cand, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(cand, X_OK) == 0)
				return cand;
			denied = true;
		}
		free(cand);
		if (!*e)
			break;
		p = e;
	}
	errno = denied ? EACCES : ENOENT;
	return NULL;
}

/* Whether PATH is a dynamically linked ELF (has PT_INTERP), a static one,
 * or something else (a script: its interpreter is preloaded). */
enum ovc_binary ovc_run_inspect(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return OVC_BIN_OTHER;
	unsigned char id[EI_NIDENT];
	enum ovc_binary kind = OVC_BIN_OTHER;
	if (pread(fd, id, sizeof id, 0) != (ssize_t)sizeof id ||
	    memcmp(id, ELFMAG, SELFMAG) != 0)
		goto out;
	bool is64 = id[EI_CLASS] == ELFCLASS64;
	if (!is64 && id[EI_CLASS] != ELFCLASS32)
		goto out;
	union {
		Elf64_Ehdr e64;
		Elf32_Ehdr e32;
	} eh;
	size_t ehsize = is64 ? sizeof eh.e64 : sizeof eh.e32;
	if (pread(fd, &eh, ehsize, 0) != (ssize_t)ehsize)
		goto out;
	uint64_t phoff = is64 ? eh.e64.e_phoff : eh.e32.e_phoff;
	uint64_t phnum = is64 ? eh.e64.e_phnum : eh.e32.e_phnum;
	uint64_t phentsize = is64 ? eh.e64.e_phentsize : eh.e32.e_phentsize;
	if (phentsize < sizeof(Elf32_Phdr) || phnum > 4096)
		goto out;
	kind = OVC_BIN_STATIC;
	for (uint64_t i = 0; i < phnum; i++) {
		uint32_t type; /* p_type is the first field in both classes */
		if (pread(fd, &type, sizeof type, (off_t)(phoff + i * phentsize)) !=
		    (ssize_t)sizeof type) {
			kind = OVC_BIN_OTHER;
			break;
		}
		if (type == PT_INTERP) {
			kind = OVC_BIN_DYNAMIC;
			break;
		}
	}
out:
	close(fd);
	return kind;
}

/* Why the loader would run PATH in secure-execution mode, where it ignores
 * LD_PRELOAD (ld.so(8)); NULL when it would not. */
const char *ovc_run_secure_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
		return "setuid";
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) &&
	    st.st_gid != getegid())
		return "setgid";
	if (geteuid() != 0 &&
	    getxattr(path, "security.capability", NULL, 0) > 0)
		return "given file capabilities";
	return NULL;
}
