/* The gates told (render-gate.h): one line per failure and a summary for
 * people, and the JUnit XML file for CI. */
#include "render/render-gate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/format.h"

/* Log strings in the JUnit file: escaped as in the charts (bytes that are
 * not UTF-8 become '?', so the file stays well-formed XML). */
static void xml_put(FILE *f, const char *s)
{
	ovc_put_xml_apos(f, s ? s : "", "&apos;");
}

static bool write_junit(const char *path, const struct ovc_gate_cases *c)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	size_t failures = 0, skipped = 0;
	for (size_t i = 0; i < c->n; i++) {
		failures += c->v[i].failed;
		skipped += c->v[i].skipped;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"ovc\" tests=\"%zu\" failures=\"%zu\" "
		   "errors=\"0\" skipped=\"%zu\">\n",
		c->n, failures, skipped);
	fprintf(f, "  <testsuite name=\"ovc gates\" tests=\"%zu\" "
		   "failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
		c->n, failures, skipped);
	for (size_t i = 0; i < c->n; i++) {
		const struct ovc_gate_case *g = &c->v[i];
		fputs("    <testcase classname=\"", f);
		xml_put(f, g->classname);
		fputs("\" name=\"", f);
		xml_put(f, g->name);
		fprintf(f, "\" time=\"%.3f\"", g->seconds);
		if (!g->failed && !g->skipped) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		fputs(g->failed ? "      <failure type=\"ovc-gate\" message=\""
				: "      <skipped message=\"",
		      f);
		xml_put(f, g->message);
		fputs("\">", f);
		xml_put(f, g->what);
		fputs(": ", f);
		xml_put(f, g->message);
		fputs(g->failed ? "</failure>\n" : "</skipped>\n", f);
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	bool ok = !ferror(f);
	return fclose(f) == 0 && ok;
}

int ovc_gates_check(const struct ovc_gates *g, const struct ovc_model *m,
		    FILE *out)
{
	struct ovc_gate_cases c = {0};
	if (!ovc_gates_evaluate(g, m, &c))
		return 2;
	size_t nsel = c.nsel;
	size_t failures = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (!c.v[i].failed)
			continue;
		failures++;
		fputs("FAIL  ", out);
		for (const char *s = c.v[i].what; *s; s++)
			fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
		fprintf(out, ": %s\n", c.v[i].message);
	}
	int rc = failures ? 1 : 0;
	if (nsel == 0) {
		fprintf(out, "FAIL  no process %s%s%s: nothing was checked\n",
			g->only ? "matches --only '" : "was traced",
			g->only ? g->only : "", g->only ? "'" : "");
		struct ovc_gate_case gc = {
			.classname = strdup("ovc"),
			.name = strdup("processes selected"),
			.what = strdup(g->only ? g->only : "(all)"),
			.message = strdup("no process was checked"),
			.failed = true,
		};
		ovc_gate_cases_add(&c, &gc);
		rc = 1;
	}
	size_t nlim = 0;
	for (int l = 0; l < OVC_LIM_COUNT; l++)
		nlim += g->set[l];
	fprintf(out, "ovc: check: %zu limit%s on %s%zu process image%s: ",
		nlim, nlim == 1 ? "" : "s", g->total ? "the totals of " : "",
		nsel, nsel == 1 ? "" : "s");
	if (rc)
		fprintf(out, "%zu failure%s\n", failures + (nsel == 0),
			failures + (nsel == 0) == 1 ? "" : "s");
	else
		fputs("all hold\n", out);
	if (c.oom) {
		fputs("ovc: out of memory\n", stderr);
		rc = 2;
	}
	if (g->junit && !write_junit(g->junit, &c)) {
		fprintf(stderr, "ovc: %s: cannot write the JUnit file: %s\n",
			g->junit, strerror(errno));
		rc = 2;
	}
	ovc_gate_cases_free(&c);
	return rc;
}
