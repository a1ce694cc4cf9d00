/* Which processes ovc follows: OVC_FOLLOW and OVC_ONLY decide whether an
 * image writes a log, and programs the loader will not preload into
 * (static, setuid) are recorded as untraced when they are exec'd or
 * spawned. */
#include "arena.h"
#include "config.h"
#include "fmt.h"
#include "follow.h"
#include "log.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether GLOB (one of OVC_ONLY's comma-separated patterns, LEN bytes)
 * matches the executable's path or its base name. */
static bool one_pattern(const char *glob, size_t len, const char *exe)
{
	char pat[512];
	if (len == 0 || len >= sizeof pat)
		return false;
	memcpy(pat, glob, len);
	pat[len] = '\0';
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return fnmatch(pat, exe, 0) == 0 || fnmatch(pat, base, 0) == 0;
}

bool ovc_follow_wanted(const char *exe, pid_t pid)
{
	if (ovc_cfg.follow == OVC_FOLLOW_NONE) {
		/* `ovc run` names the pid of its command: its images only. */
		long top;
		if (!ovc_parse_pid(getenv("OVC_TOP"), &top) || top != (long)pid)
			return false;
	}
	if (!ovc_cfg.only[0])
		return true;
	for (const char *p = ovc_cfg.only; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (one_pattern(p, n, exe))
			return true;
		p += n + (e ? 1 : 0);
	}
	return false;
}

/* Resolves FILE like execvp does (first executable match in PATH) into
 * OUT; false when nothing is found. */
static bool resolve(const char *file, char *out, size_t cap)
{
	if (strchr(file, '/')) {
		if (strlen(file) >= cap)
			return false;
		strcpy(out, file);
		return true;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct ovc_buf b;
		ovc_buf_init(&b, out, cap - 1);
		if (n)
			ovc_buf_rawn(&b, p, n);
		else
			ovc_buf_raw(&b, ".");
		ovc_buf_raw(&b, "/");
		ovc_buf_raw(&b, file);
		if (!b.overflow) {
			out[b.len] = '\0';
			if (access(out, X_OK) == 0)
				return true;
		}
		if (!e)
			return false;
		p = e + 1;
	}
}

/* Why the loader will not preload into the program at PATH, or NULL. */
static const char *why_untraced(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	const char *why = NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* The loader runs in secure mode (and ignores LD_PRELOAD paths)
		 * when the exec changes the effective ids. */
		if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
			why = "setuid";
		else if ((st.st_mode & S_ISGID) && st.st_gid != getegid())
			why = "setgid";
	}
	ElfW(Ehdr) eh;
	if (!why && pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
	    eh.e_phentsize == sizeof(ElfW(Phdr)) && eh.e_phnum > 0 &&
	    eh.e_phnum < 256) {
		ElfW(Phdr) ph[256];
		size_t bytes = (size_t)eh.e_phnum * sizeof ph[0];
		if (pread(fd, ph, bytes, (off_t)eh.e_phoff) == (ssize_t)bytes) {
			bool interp = false;
			for (int i = 0; i < eh.e_phnum; i++)
				if (ph[i].p_type == PT_INTERP)
					interp = true;
			if (!interp)
				why = "static";
		}
	}
	close(fd);
	return why;
}

/* The value of NAME (with its '=') in ENVP, or NULL. */
static const char *env_value(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0)
			return *envp + n;
	return NULL;
}

/* Why the new program's log will not be in this image's directory, given
 * the environment it gets (after ovc_lifecycle_exec_env, which keeps what
 * the program set): "cleared" when the program set LD_PRELOAD empty,
 * "output" (its directory in OUT) when it set OVC_OUTPUT to another
 * one; NULL otherwise. */
static const char *why_elsewhere(char *const *envp, char *out, size_t cap)
{
	const char *pre = env_value(envp, "LD_PRELOAD=");
	if (pre) {
		const char *c = pre;
		while (*c == ':' || *c == ' ')
			c++;
		if (!*c)
			return "cleared";
	}
	const char *dir = env_value(envp, "OVC_OUTPUT=");
	if (!dir || !dir[0] || strlen(dir) > 3000)
		return NULL;
	struct ovc_buf b;
	size_t start = 0;
	if (dir[0] != '/') {
		/* Made absolute as the new image will: from this cwd. */
		if (!getcwd(out, cap - 1))
			return NULL;
		start = strlen(out);
	}
	ovc_buf_init(&b, out + start, cap - 1 - start);
	if (start > 1)
		ovc_buf_raw(&b, "/");
	ovc_buf_raw(&b, dir);
	if (b.overflow)
		return NULL;
	size_t n = start + b.len;
	while (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return strcmp(out, ovc_cfg.output) != 0 ? "output" : NULL;
}

void ovc_follow_exec(const char *file, bool search, char *const *envp,
		     uint64_t t_ns)
{
	if (!file)
		return;
	int saved = errno;
	char path[4096], output[3200];
	const char *why = NULL;
	if (!search && strlen(file) < sizeof path)
		strcpy(path, file);
	else if (!search || !resolve(file, path, sizeof path))
		path[0] = '\0';
	if (path[0])
		why = why_untraced(path);
	if (!why && path[0])
		why = why_elsewhere(envp, output, sizeof output);
	if (why) {
		/* From the kernel, not the stack: this may run in a signal
		 * handler on a small stack; a rare record. */
		size_t cap = 16384;
		char *line = ovc_pages_alloc(cap);
		if (!line) {
			errno = saved;
			return;
		}
		struct ovc_buf b;
		ovc_buf_init(&b, line, cap);
		ovc_buf_raw(&b, "{\"t\":\"" OVC_REC_UNTRACED "\"");
		ovc_buf_key(&b, "ns");
		ovc_buf_u64(&b, t_ns);
		ovc_buf_key(&b, "path");
		ovc_buf_jstr(&b, path, strlen(path));
		ovc_buf_key(&b, "why");
		ovc_buf_jstr(&b, why, strlen(why));
		if (strcmp(why, "output") == 0) {
			ovc_buf_key(&b, "output");
			ovc_buf_jstr(&b, output, strlen(output));
		}
		ovc_buf_raw(&b, "}\n");
		ovc_record_write(&b);
		ovc_pages_free(line, cap);
	}
	errno = saved;
}
