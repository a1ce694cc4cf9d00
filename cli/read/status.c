/* The live status line of `ovc run` (see status.h). Each update lists the
 * log directory, reads the first line of logs not seen before (to learn
 * their run), and from the logs of this run only the bytes written since
 * the last update: complete lines, whose `s` records give the peak live and
 * resident figures, and an `end` or `exec` record says the image is gone. */
#include "read/status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ovc/log-format.h"
#include "ovc/options.h"
#include "read/frames.h"

/* Bytes read from one log per update at most; beyond, the reader skips
 * ahead (the line is a glimpse, not the report). */
#define CHUNK_MAX (256 * 1024)

struct entry {
	char *name;
	off_t off;      /* bytes consumed (up to the last newline read) */
	bool decided;   /* the first line was read */
	bool ours;      /* of this run */
	bool ended;     /* end or exec record seen, or the process is gone */
	pid_t pid;
	int64_t peak_live, peak_rss;
	char exe[48];
};

struct ovc_status {
	char *dir, *run;
	FILE *out;
	struct entry *v;
	size_t n, cap;
	bool drawn;
};

struct ovc_status *ovc_status_new(const char *dir, const char *run_id,
				  FILE *out)
{
	struct ovc_status *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->dir = strdup(dir);
	s->run = strdup(run_id);
	s->out = out;
	if (!s->dir || !s->run) {
		ovc_status_free(s);
		return NULL;
	}
	return s;
}

void ovc_status_free(struct ovc_status *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	free(s->dir);
	free(s->run);
	free(s);
}

static struct entry *find(struct ovc_status *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static struct entry *add(struct ovc_status *s, const char *name)
{
	if (!ovc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 64))
		return NULL;
	struct entry *e = &s->v[s->n];
	memset(e, 0, sizeof *e);
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	s->n++;
	return e;
}

static int64_t get_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The non-negative integer after KEY in LINE; -1 when there is none. */
static int64_t field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	if (!p)
		return -1;
	p += strlen(key);
	int64_t v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* Applies one complete line of an entry's log. */
static void apply_line(struct ovc_status *s, struct entry *e, char *line)
{
	if (!e->decided) {
		e->decided = true;
		json_t *o = json_loads(line, 0, NULL);
		json_t *run = json_object_get(o, "run");
		json_t *t = json_object_get(o, "t");
		e->ours = json_is_string(t) &&
			  strcmp(json_string_value(t), OVC_REC_PROC) == 0 &&
			  json_is_string(run) &&
			  strcmp(json_string_value(run), s->run) == 0;
		if (e->ours) {
			e->pid = (pid_t)get_int(o, "pid");
			json_t *exe = json_object_get(o, "exe");
			snprintf(e->exe, sizeof e->exe, "%s",
				 json_is_string(exe)
					 ? ovc_path_base(json_string_value(exe))
					 : "?");
		}
		json_decref(o);
		return;
	}
	/* The preload writes "t" first: the type is known without parsing
	 * the line. */
	if (strncmp(line, "{\"t\":\"s\"", 8) == 0) {
		/* Every sample, for the peaks; cheaply, without jansson. */
		int64_t pl = field(line, "\"peak_live\":");
		int64_t rss = field(line, "\"rss\":");
		if (pl > e->peak_live)
			e->peak_live = pl;
		if (rss > e->peak_rss)
			e->peak_rss = rss;
	} else if (strncmp(line, "{\"t\":\"end\"", 10) == 0 ||
		   strncmp(line, "{\"t\":\"exec\"", 11) == 0) {
		e->ended = true;
	}
}

static void read_entry(struct ovc_status *s, struct entry *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", s->dir, e->name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= e->off) {
		close(fd);
		return;
	}
	off_t from = e->off;
	bool skipped = false;
	if (e->decided && size - from > CHUNK_MAX) {
		from = size - CHUNK_MAX;
		skipped = true;
	}
	size_t want = (size_t)(size - from);
	if (want > CHUNK_MAX)
		want = CHUNK_MAX; /* a first line this long is not ours */
	char *buf = malloc(want + 1);
	ssize_t got = buf ? pread(fd, buf, want, from) : -1;
	close(fd);
	if (got <= 0) {
		free(buf);
		return;
	}
	buf[got] = '\0';
	char *p = buf;
	if (skipped) {
		/* Resynchronise after the first newline. */
		char *nl = memchr(p, '\n', (size_t)got);
		if (!nl) {
			free(buf);
			return;
		}
		p = nl + 1;
	}
	char *end = buf + got;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* the rest of this line comes later */
		*nl = '\0';
		apply_line(s, e, p);
		p = nl + 1;
		if (!e->decided || !e->ours)
			break;
	}
	if (!e->decided && (size_t)got == want && want == CHUNK_MAX) {
		e->decided = true; /* no first line in 256 KiB: not ours */
		e->ours = false;
	}
	e->off = from + (p - buf);
	free(buf);
}

static void scan(struct ovc_status *s)
{
	DIR *d = opendir(s->dir);
	if (!d)
		return;
	struct dirent *de;
	size_t plen = strlen(OVC_LOG_PREFIX), slen = strlen(OVC_LOG_SUFFIX);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n <= plen + slen ||
		    strncmp(de->d_name, OVC_LOG_PREFIX, plen) != 0 ||
		    strcmp(de->d_name + n - slen, OVC_LOG_SUFFIX) != 0)
			continue;
		struct entry *e = find(s, de->d_name);
		if (!e)
			e = add(s, de->d_name);
		if (!e)
			break;
		if (e->decided && !e->ours)
			continue;
		read_entry(s, e);
	}
	closedir(d);
	/* A process that vanished without an end record (SIGKILL) is not
	 * running either. */
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->v[i];
		if (e->ours && !e->ended && e->pid > 0 && kill(e->pid, 0) != 0 &&
		    errno == ESRCH)
			e->ended = true;
	}
}

void ovc_status_update(struct ovc_status *s)
{
	scan(s);
	size_t seen = 0, running = 0;
	const struct entry *big_live = NULL, *big_rss = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->v[i];
		if (!e->ours)
			continue;
		seen++;
		running += !e->ended;
		if (!big_live || e->peak_live > big_live->peak_live)
			big_live = e;
		if (!big_rss || e->peak_rss > big_rss->peak_rss)
			big_rss = e;
	}
	char line[512], a[24], b[24];
	int len = snprintf(line, sizeof line,
			   "ovc: %zu process%s (%zu running)", seen,
			   seen == 1 ? "" : "es", running);
	if (big_live && len > 0 && (size_t)len < sizeof line)
		len += snprintf(line + len, sizeof line - (size_t)len,
				"; largest: live %s %s, resident %s %s",
				ovc_format_bytes((uint64_t)big_live->peak_live,
						 a, sizeof a),
				big_live->exe,
				ovc_format_bytes((uint64_t)big_rss->peak_rss, b,
						 sizeof b),
				big_rss->exe);
	/* One terminal line: a wrapped line could not be redrawn by "\r". */
	struct winsize ws;
	size_t width = 80;
	if (ioctl(fileno(s->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	size_t cut = 0, cols = 0;
	for (; line[cut] && cols + 1 < width; cut++)
		if (((unsigned char)line[cut] & 0xc0) != 0x80)
			cols++;
	while (line[cut] && ((unsigned char)line[cut] & 0xc0) == 0x80)
		cut++;
	line[cut] = '\0';
	fprintf(s->out, "\r%s\033[K", line);
	fflush(s->out);
	s->drawn = true;
}

void ovc_status_clear(struct ovc_status *s)
{
	if (!s || !s->drawn)
		return;
	fputs("\r\033[K", s->out);
	fflush(s->out);
	s->drawn = false;
}
