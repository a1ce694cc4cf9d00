/* The OVC_* options, read once at start into ovc_cfg; a bad value gets a
 * one-line warning and the default. */
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "procstat.h"
#include "sys.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ovc_config ovc_cfg;

/* ---- options ---- */

/* Copies VALUE into a warning with quotes, at most 64 bytes, printable. */
static void quote(struct ovc_buf *b, const char *value)
{
	ovc_buf_raw(b, "'");
	size_t i = 0;
	for (; value[i] && i < 64; i++) {
		char c = value[i];
		ovc_buf_rawn(b, (c >= 0x20 && c < 0x7f) ? &c : "?", 1);
	}
	ovc_buf_raw(b, value[i] ? "...'" : "'");
}

static void bad_option(enum ovc_opt_id id, const char *value, const char *what)
{
	const struct ovc_opt_def *d = &ovc_opt_defs[id];
	char msg[512];
	struct ovc_buf b;
	ovc_buf_init(&b, msg, sizeof msg - 1);
	ovc_buf_raw(&b, d->env);
	ovc_buf_raw(&b, "=");
	quote(&b, value);
	ovc_buf_raw(&b, " is not ");
	ovc_buf_raw(&b, what);
	ovc_buf_raw(&b, "; using the default, ");
	ovc_buf_raw(&b, d->def);
	msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
	ovc_warn_once(OVC_WARN_OPTION + (unsigned)id, msg);
}

static uint64_t number_option(enum ovc_opt_id id)
{
	const struct ovc_opt_def *d = &ovc_opt_defs[id];
	uint64_t v = 0;
	ovc_opt_parse_number(d, d->def, &v);
	const char *s = getenv(d->env);
	if (!s)
		return v;
	uint64_t parsed;
	if (ovc_opt_parse_number(d, s, &parsed))
		return parsed;
	char what[160];
	struct ovc_buf b;
	ovc_buf_init(&b, what, sizeof what - 1);
	switch (d->kind) {
	case OVC_OPT_MS:
		ovc_buf_raw(&b, "a duration in milliseconds from ");
		break;
	case OVC_OPT_SIZE:
		ovc_buf_raw(&b, "a size in bytes (K, M, G suffixes) from ");
		break;
	case OVC_OPT_CHOICE:
		ovc_buf_raw(&b, "one of ");
		ovc_buf_raw(&b, d->choices);
		break;
	default:
		ovc_buf_raw(&b, "a whole number from ");
		break;
	}
	if (d->kind != OVC_OPT_CHOICE && d->max) {
		ovc_buf_u64(&b, d->min);
		ovc_buf_raw(&b, " to ");
		ovc_buf_u64(&b, d->max);
	} else if (d->kind != OVC_OPT_CHOICE) {
		b.len -= 5; /* "from " */
		ovc_buf_raw(&b, "of at least ");
		ovc_buf_u64(&b, d->min);
	}
	what[b.overflow ? sizeof what - 1 : b.len] = '\0';
	bad_option(id, s, what);
	return v;
}

/* The numeric options and the field of struct ovc_config each sets (all
 * uint64_t), in the order they are read (and warned about). */
#define NUMBER(id, field) {id, offsetof(struct ovc_config, field)}
static const struct {
	enum ovc_opt_id id;
	size_t offset;
} numbers[] = {
	NUMBER(OVC_OPT_WARN, warn),
	NUMBER(OVC_OPT_INTERVAL, interval_ms),
	NUMBER(OVC_OPT_VERBOSE, verbose),
	NUMBER(OVC_OPT_SUMMARY, summary),
	NUMBER(OVC_OPT_FRAMES, frames),
	NUMBER(OVC_OPT_LARGE, large_bytes),
	NUMBER(OVC_OPT_SAMPLE, sample_bytes),
	NUMBER(OVC_OPT_FOLLOW, follow),
	NUMBER(OVC_OPT_MMAP, mmap_mode),
	NUMBER(OVC_OPT_SAMPLER, sampler),
	NUMBER(OVC_OPT_PREFAULT, prefault),
	NUMBER(OVC_OPT_SEED, seed),
};
#undef NUMBER

void ovc_options_load(struct ovc_config *cfg)
{
	/* First: they say where the warnings about the others go. */
	const char *run = getenv(ovc_opt_defs[OVC_OPT_RUN].env);
	ovc_copy_str(cfg->run, sizeof cfg->run, run ? run : "");
	for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
		*(uint64_t *)((char *)cfg + numbers[i].offset) =
			number_option(numbers[i].id);
	if (!cfg->seed) /* drawn, and logged so the run can be done again */
		cfg->seed = (ovc_now_ns() ^ ((uint64_t)ovc_sys_getpid() << 32) ^
			     (uintptr_t)cfg) | 1;
	cfg->budget_mode = "";
	const char *only = getenv(ovc_opt_defs[OVC_OPT_ONLY].env);
	ovc_copy_str(cfg->only, sizeof cfg->only, only ? only : "");
	const char *budget = getenv(ovc_opt_defs[OVC_OPT_BUDGET].env);
	ovc_copy_str(cfg->budget, sizeof cfg->budget, budget ? budget : "");

	if (cfg->follow == OVC_FOLLOW_NONE) {
		/* Without a usable OVC_TOP no process is the command: say so
		 * rather than log nothing in silence. */
		const char *top = getenv(ovc_opt_defs[OVC_OPT_TOP].env);
		long pid;
		if (!top)
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_TOP,
				      "OVC_FOLLOW=none follows the command whose "
				      "pid is in OVC_TOP, and OVC_TOP is not set "
				      "(ovc run sets it): no process writes a "
				      "log");
		else if (!ovc_parse_pid(top, &pid)) {
			char msg[256];
			struct ovc_buf b;
			ovc_buf_init(&b, msg, sizeof msg - 1);
			ovc_buf_raw(&b, "OVC_TOP=");
			quote(&b, top);
			ovc_buf_raw(&b, " is not a process id; with "
					"OVC_FOLLOW=none no process writes a "
					"log");
			msg[b.overflow ? sizeof msg - 1 : b.len] = '\0';
			ovc_warn_once(OVC_WARN_OPTION + OVC_OPT_TOP, msg);
		}
	}

	const char *out = getenv(ovc_opt_defs[OVC_OPT_OUTPUT].env);
	if (out && (!*out || strlen(out) > 3000)) {
		bad_option(OVC_OPT_OUTPUT, out, "a usable directory path");
		out = NULL;
	}
	if (!out)
		out = ovc_opt_defs[OVC_OPT_OUTPUT].def;
	/* Made absolute now, so a later chdir does not move the logs. */
	cfg->output[0] = '\0';
	if (out[0] != '/') {
		if (!getcwd(cfg->output, sizeof cfg->output - 3100))
			cfg->output[0] = '\0';
		size_t n = strlen(cfg->output);
		if (n && cfg->output[n - 1] != '/')
			cfg->output[n++] = '/';
		cfg->output[n] = '\0';
	}
	size_t n = strlen(cfg->output);
	ovc_copy_str(cfg->output + n, sizeof cfg->output - n, out);
	n = strlen(cfg->output);
	while (n > 1 && cfg->output[n - 1] == '/')
		cfg->output[--n] = '\0';
}
