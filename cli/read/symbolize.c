/* Symbolization with elfutils' libdwfl: one Dwfl per module file, reported
 * at bias 0 so that the log's offsets are its link-time addresses; C++
 * names demangled with the C++ runtime's __cxa_demangle. */
#include "read/symbolize.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uthash.h>

/* From the C++ ABI (libstdc++): a malloc'd demangled name, or NULL. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

struct module {
	UT_hash_handle hh;
	char *key;  /* path + '\n' + build id */
	Dwfl *dwfl; /* NULL when the file cannot be used */
	Dwfl_Module *mod;
	const char *problem;
};

struct string {
	struct string *next;
	char s[];
};

/* One address looked up before: frames repeat across the sites of a
 * process and across processes, and every lookup keeps its strings. */
struct cached {
	UT_hash_handle hh;
	struct addr_key {
		const struct module *mod;
		uint64_t offset;
	} key;
	struct ovc_sym sym;
};

struct ovc_symbolizer {
	struct module *modules;
	struct cached *cache;
	struct string *strings;
	char *debuginfo_path;
	Dwfl_Callbacks cb;
};

static const char *keep(struct ovc_symbolizer *s, const char *str)
{
	if (!str)
		return NULL;
	size_t n = strlen(str);
	struct string *k = malloc(sizeof *k + n + 1);
	if (!k)
		return NULL;
	memcpy(k->s, str, n + 1);
	k->next = s->strings;
	s->strings = k;
	return k->s;
}

struct ovc_symbolizer *ovc_sym_new(void)
{
	struct ovc_symbolizer *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cb.find_elf = dwfl_build_id_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	s->cb.debuginfo_path = &s->debuginfo_path;
	return s;
}

void ovc_sym_free(struct ovc_symbolizer *s)
{
	if (!s)
		return;
	struct cached *c, *ctmp;
	HASH_ITER(hh, s->cache, c, ctmp) {
		HASH_DEL(s->cache, c);
		free(c);
	}
	struct module *m, *tmp;
	HASH_ITER(hh, s->modules, m, tmp) {
		HASH_DEL(s->modules, m);
		if (m->dwfl)
			dwfl_end(m->dwfl);
		free(m->key);
		free(m);
	}
	for (struct string *k = s->strings; k;) {
		struct string *next = k->next;
		free(k);
		k = next;
	}
	free(s);
}

static void hex(const unsigned char *b, int n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static struct module *open_module(struct ovc_symbolizer *s, const char *path,
				  const char *build_id)
{
	size_t kl = strlen(path) + strlen(build_id) + 2;
	char *key = malloc(kl);
	if (!key)
		return NULL;
	snprintf(key, kl, "%s\n%s", path, build_id);
	struct module *m;
	HASH_FIND_STR(s->modules, key, m);
	if (m) {
		free(key);
		return m;
	}
	m = calloc(1, sizeof *m);
	if (!m) {
		free(key);
		return NULL;
	}
	m->key = key;
	HASH_ADD_KEYPTR(hh, s->modules, m->key, strlen(m->key), m);
	if (path[0] != '/') {
		m->problem = "no file for this module";
		return m;
	}
	/* The path comes from a log: a FIFO or a device there must not
	 * make ovc block or read forever. */
	struct stat st;
	if (stat(path, &st) != 0) {
		m->problem = "module not found (removed since the run?)";
		return m;
	}
	if (!S_ISREG(st.st_mode)) {
		m->problem = "module is not a regular file";
		return m;
	}
	m->dwfl = dwfl_begin(&s->cb);
	if (!m->dwfl) {
		m->problem = "cannot read symbols";
		return m;
	}
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, path, path, -1, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		m->problem = "module not found (removed since the run?)";
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
		return m;
	}
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(m->mod, &bits, &vaddr);
	if (build_id[0]) {
		char found[2 * 64 + 1];
		if (n > 64)
			n = 64;
		if (n > 0)
			hex(bits, n, found);
		/* A file without a (readable) build id now cannot be the
		 * one that ran: it had one. */
		if (n <= 0 || strcmp(found, build_id) != 0) {
			m->problem = n > 0 ? "module changed since the run "
					     "(build id differs)"
					   : "module changed since the run "
					     "(it has no build id now)";
			dwfl_end(m->dwfl);
			m->dwfl = NULL;
			m->mod = NULL;
		}
	}
	return m;
}

void ovc_sym_lookup(struct ovc_symbolizer *s, const char *path,
		    const char *build_id, uint64_t offset, struct ovc_sym *out)
{
	memset(out, 0, sizeof *out);
	if (!s || !path)
		return;
	struct module *m = open_module(s, path, build_id ? build_id : "");
	if (!m) {
		out->problem = "out of memory";
		return;
	}
	if (!m->mod) {
		out->problem = m->problem;
		return;
	}
	struct addr_key key;
	memset(&key, 0, sizeof key);
	key.mod = m;
	key.offset = offset;
	struct cached *c;
	HASH_FIND(hh, s->cache, &key, sizeof key, c);
	if (c) {
		*out = c->sym;
		return;
	}
	Dwarf_Addr addr = offset ? offset - 1 : 0;
	const char *name = dwfl_module_addrname(m->mod, addr);
	char *plain = NULL;
	const char *at = name ? strchr(name, '@') : NULL;
	if (at && at > name) {
		/* "__libc_start_main@@GLIBC_2.34": the symbol version of a
		 * dynamic symbol is not part of the function's name. */
		plain = strndup(name, (size_t)(at - name));
		if (plain)
			name = plain;
	}
	if (name) {
		int status = -1;
		char *dem = (name[0] == '_' && name[1] == 'Z')
				    ? __cxa_demangle(name, NULL, NULL, &status)
				    : NULL;
		out->function = keep(s, status == 0 && dem ? dem : name);
		free(dem);
	}
	free(plain);
	Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
	if (line) {
		int lineno = 0;
		const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		out->file = keep(s, file);
		out->line = lineno;
	}
	if (!out->function && !out->file)
		out->problem = "no symbol at this address";
	c = calloc(1, sizeof *c);
	if (c) {
		c->key = key;
		c->sym = *out;
		HASH_ADD(hh, s->cache, key, sizeof key, c);
	}
}
