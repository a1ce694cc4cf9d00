/* The environment of an exec: what keeps ovc loaded in the program it
 * starts. */
#include "arena.h"
#include "boot.h"
#include "config.h"
#include "fmt.h"
#include "image.h"
#include "lifecycle.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Environment entries that keep ovc loaded across exec (see exec_env), in
 * one store: "LD_PRELOAD=" and the path of libovc.so first (env_preload;
 * the path alone is lib_path), then the OVC_* entries (keep_entry). A few
 * hundred bytes are used: they are kept with ovc's other small state, in a
 * page every start touches anyway; more go to a table of their own (a
 * page more: a page fault is 5-10 us on a VM). */
#define PRELOAD_KEY "LD_PRELOAD="
#define PRELOAD_CAP (4096 + 32)
static char env_short[512];
static char env_long[PRELOAD_CAP + 8192] OVC_TABLE("env");
static char *env_store = env_short;
static size_t env_cap = sizeof env_short;
static size_t env_used;
#define env_preload env_store
#define lib_path (env_store + sizeof PRELOAD_KEY - 1)
static char *env_keep[OVC_OPT_COUNT_]; /* "OVC_NAME=value" */
static size_t env_keep_n;

/* ---- exec environment ---- */

/* Rule (docs/options.md, "Descendants"): an entry the new environment lacks
 * is added back, so a program that builds an environment without ovc (env
 * -i, execve with an explicit envp) is still traced; an entry it has is the
 * program's choice and kept: its own OVC_* values, an empty LD_PRELOAD (the
 * way to start a program untraced). An LD_PRELOAD of other libraries keeps
 * them, after libovc.so, as `ovc run` puts it. */

/* Whether ENTRY ("NAME=value") is named NAME (LEN bytes, with the '='). */
static bool named(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0;
}

static const char *find_entry(char *const *envp, const char *name)
{
	size_t len = strlen(name);
	for (; envp && *envp; envp++)
		if (named(*envp, name, len))
			return *envp;
	return NULL;
}

static bool preload_has_ours(const char *value)
{
	size_t n = strlen(lib_path);
	for (const char *p = value; (p = strstr(p, lib_path)); p += n)
		if ((p == value || p[-1] == ':' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ':' || p[n] == ' '))
			return true;
	return false;
}

/* Whether an LD_PRELOAD value names no library at all. */
static bool preload_empty(const char *value)
{
	for (; *value; value++)
		if (*value != ':' && *value != ' ')
			return false;
	return true;
}

/* Whether ENV_KEEP[I] is missing from ENVP. */
static bool keep_missing(char *const *envp, size_t i)
{
	const char *eq = strchr(env_keep[i], '=');
	size_t len = (size_t)(eq - env_keep[i]) + 1;
	for (; envp && *envp; envp++)
		if (named(*envp, env_keep[i], len))
			return false;
	return true;
}

char *const *ovc_lifecycle_exec_env(char *const *envp)
{
	if (!lib_path[0] || !env_preload[0])
		return envp;
	const char *pre = find_entry(envp, "LD_PRELOAD=");
	const char *their = pre ? pre + 11 : NULL;
	bool add_pre = !their || (!preload_empty(their) && !preload_has_ours(their));
	size_t missing = 0;
	for (size_t i = 0; i < env_keep_n; i++)
		missing += keep_missing(envp, i);
	if (!add_pre && !missing)
		return envp;
	size_t n = 0;
	for (char *const *e = envp; e && *e; e++)
		n++;
	/* Straight from the kernel, no lock: this may run in a signal handler
	 * that interrupted ovc. Not returned: exec replaces the process, and
	 * a failed exec costs a page or two. */
	char **out = ovc_pages_alloc((n + env_keep_n + 2) * sizeof *out);
	if (!out)
		return envp;
	size_t j = 0;
	for (char *const *e = envp; e && *e; e++)
		if (!(add_pre && *e == pre))
			out[j++] = *e;
	if (add_pre && their) {
		/* libovc.so first, their libraries after it, as `ovc run` sets
		 * it: ovc's hooks see the calls and pass them on to the next
		 * definition, theirs if they bring an allocator. */
		size_t len = strlen(env_preload) + strlen(their) + 2;
		char *s = ovc_pages_alloc(len);
		if (s) {
			struct ovc_buf b;
			ovc_buf_init(&b, s, len);
			ovc_buf_raw(&b, env_preload);
			ovc_buf_raw(&b, ":");
			ovc_buf_raw(&b, their);
			s[b.len < len ? b.len : len - 1] = '\0';
			out[j++] = s;
		} else {
			out[j++] = (char *)pre;
		}
	} else if (add_pre) {
		out[j++] = env_preload;
	}
	for (size_t i = 0; i < env_keep_n; i++)
		if (keep_missing(envp, i))
			out[j++] = env_keep[i];
	out[j] = NULL;
	return out;
}

/* Appends NAME=VALUE to the entries to add back; false when it does not
 * fit (then it is not added back: a value that long is refused anyway). */
static bool keep_entry(const char *name, const char *value)
{
	size_t need = strlen(name) + 1 + strlen(value) + 1;
	if (env_keep_n >= sizeof env_keep / sizeof env_keep[0] ||
	    need > env_cap - env_used)
		return false;
	char *s = env_store + env_used;
	struct ovc_buf b;
	ovc_buf_init(&b, s, need);
	ovc_buf_raw(&b, name);
	ovc_buf_raw(&b, "=");
	ovc_buf_raw(&b, value);
	s[need - 1] = '\0';
	env_used += need;
	env_keep[env_keep_n++] = s;
	return true;
}

/* The value of option I to add back where an exec's environment lacks it:
 * OVC_OUTPUT made absolute (a later chdir does not move the logs), OVC_RUN
 * as cut, the others as given; NULL when the process started without. */
static const char *kept_value(size_t i)
{
	if (i == OVC_OPT_OUTPUT)
		return ovc_cfg.output;
	if (i == OVC_OPT_RUN)
		return ovc_cfg.run[0] ? ovc_cfg.run : NULL;
	return getenv(ovc_opt_defs[i].env);
}

void ovc_env_remember(void)
{
	const char *self = "";
	const void *base;
	if (!ovc_module_of((void *)ovc_lifecycle_exec_env, &self, &base) ||
	    self[0] != '/' || strlen(self) >= PRELOAD_CAP - (sizeof PRELOAD_KEY - 1))
		self = ""; /* unknown, or longer than any path */
	/* The settings this process started with; the short store where
	 * they all fit in it. */
	const char *value[OVC_OPT_COUNT_];
	size_t need = sizeof PRELOAD_KEY + strlen(self);
	for (size_t i = 0; i < OVC_OPT_COUNT_; i++) {
		value[i] = kept_value(i);
		if (value[i])
			need += strlen(ovc_opt_defs[i].env) + 1 + strlen(value[i]) + 1;
	}
	env_store = need <= sizeof env_short ? env_short : env_long;
	env_cap = need <= sizeof env_short ? sizeof env_short : sizeof env_long;
	/* "LD_PRELOAD=" and the path */
	memcpy(env_preload, PRELOAD_KEY, sizeof PRELOAD_KEY - 1);
	ovc_copy_str(lib_path, env_cap - (sizeof PRELOAD_KEY - 1), self);
	env_used = strlen(env_preload) + 1;
	env_keep_n = 0;
	for (size_t i = 0; i < OVC_OPT_COUNT_; i++)
		if (value[i])
			keep_entry(ovc_opt_defs[i].env, value[i]);
}
