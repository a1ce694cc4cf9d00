/* /proc/PID/smaps read into the mappings of a snapshot (snapshot.h): each
 * mapping's header line, its kind (heap, stack, file, anonymous...) and
 * fields; and names made valid UTF-8 for JSON. */
#include "read/snapshot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Most mappings kept: far above vm.max_map_count's default (65530). */
#define MAX_MAPS (1u << 22)

/* Replaces each byte of S that is not part of a valid UTF-8 sequence with
 * '?': paths, names and arguments of a process may hold any bytes, and
 * JSON strings must be UTF-8 (jansson refuses the others). */
void ovc_snap_make_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
			: (c & 0xf8) == 0xf0 ? 3 : -1;
		uint32_t cp = n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;
		bool ok = n >= 0;
		for (int i = 1; ok && i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				ok = false;
			else
				cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if (ok && n > 0 &&
		    ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		     (n == 3 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
		     cp > 0x10ffff))
			ok = false;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

static void classify(struct ovc_snap_map *m)
{
	const char *n = m->name;
	bool priv = m->perms[3] == 'p';
	m->tid = -1;
	if (n[0] == '\0')
		m->kind = priv ? OVC_SNAP_ANON : OVC_SNAP_SHARED;
	else if (strcmp(n, "[heap]") == 0)
		m->kind = OVC_SNAP_HEAP;
	else if (strcmp(n, "[stack]") == 0)
		m->kind = OVC_SNAP_STACK;
	else if (strncmp(n, "[anon:", 6) == 0)
		m->kind = priv ? OVC_SNAP_ANON : OVC_SNAP_SHARED;
	else if (strncmp(n, "[anon_shmem:", 12) == 0)
		m->kind = OVC_SNAP_SHARED;
	else if (n[0] == '[')
		m->kind = OVC_SNAP_SPECIAL;
	else if (!priv && (strncmp(n, "/dev/zero", 9) == 0 ||
			   strncmp(n, "/SYSV", 5) == 0))
		m->kind = OVC_SNAP_SHARED;
	else
		m->kind = OVC_SNAP_FILE;
	m->anonymous = m->kind == OVC_SNAP_ANON || m->kind == OVC_SNAP_HEAP ||
		       m->kind == OVC_SNAP_STACK;
	m->committed = m->anonymous && m->perms[1] == 'w';
}

/* A mapping's header line: "lo-hi perms offset dev inode   name".
 * Returns 0, -1 for a line that does not parse, -2 when out of memory. */
static int parse_header(const char *line, struct ovc_snap_map *m)
{
	unsigned long long lo, hi;
	char perms[8];
	int name_at = 0;
	if (sscanf(line, "%llx-%llx %7s %*x %*s %*u %n", &lo, &hi, perms,
		   &name_at) != 3 || hi < lo || strlen(perms) != 4)
		return -1;
	memset(m, 0, sizeof *m);
	m->lo = lo;
	m->hi = hi;
	memcpy(m->perms, perms, 5);
	const char *name = name_at > 0 ? line + name_at : "";
	size_t len = strcspn(name, "\n");
	m->name = strndup(name, len);
	if (!m->name)
		return -2;
	ovc_snap_make_utf8(m->name);
	m->pm_present_bytes = m->pm_swapped_bytes = m->pm_zero_bytes = -1;
	classify(m);
	return 0;
}

/* "Key:   N kB" lines and "VmFlags: ..." of the mapping M. */
static void parse_field(const char *line, struct ovc_snap_map *m)
{
	unsigned long long kb;
	if (strncmp(line, "VmFlags:", 8) == 0) {
		for (const char *p = line + 8; *p; p++)
			if (p[0] == 'n' && p[1] == 'r' &&
			    (p[2] == ' ' || p[2] == '\n' || !p[2]) &&
			    p[-1] == ' ')
				m->noreserve = true;
		return;
	}
	if (sscanf(line, "Rss: %llu kB", &kb) == 1)
		m->rss_bytes = (int64_t)kb * 1024;
	else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
		m->anon_bytes = (int64_t)kb * 1024;
	else if (sscanf(line, "Swap: %llu kB", &kb) == 1)
		m->swap_bytes = (int64_t)kb * 1024;
}

static bool is_header(const char *line)
{
	const char *p = line;
	while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
		p++;
	return p > line && *p == '-';
}

bool ovc_snap_parse_smaps(FILE *f, struct ovc_snap *s)
{
	char *line = NULL;
	size_t cap = 0, maps_cap = s->nmaps;
	bool ok = true, in_map = false; /* field lines belong to a mapping */
	while (getline(&line, &cap, f) >= 0) {
		if (is_header(line)) {
			if (s->nmaps >= MAX_MAPS)
				break;
			if (s->nmaps == maps_cap) {
				size_t nc = maps_cap ? maps_cap * 2 : 64;
				struct ovc_snap_map *nm =
					realloc(s->maps, nc * sizeof *nm);
				if (!nm) {
					ok = false;
					break;
				}
				s->maps = nm;
				maps_cap = nc;
			}
			int rc = parse_header(line, &s->maps[s->nmaps]);
			if (rc == -2) {
				ok = false;
				break;
			}
			in_map = rc == 0;
			if (rc == 0)
				s->nmaps++;
		} else if (in_map) {
			parse_field(line, &s->maps[s->nmaps - 1]);
		}
	}
	free(line);
	return ok;
}
