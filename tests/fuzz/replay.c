/* Replays fuzz inputs without libFuzzer: every file in the directories
 * given (tests/fuzz/regressions: inputs that once crashed; tests/fuzz/corpus:
 * the seeds) goes through ovc_fuzz_one. Exit 0 when all ran; a crash or a
 * sanitizer report fails the test. */
#include "fuzz-one.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 16, len = 0, n;
	unsigned char *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return 1;
	ovc_fuzz_one(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (!d) {
			bad += replay_file(argv[i]);
			files++;
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0)
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
			bad += replay_file(path);
			files++;
		}
		closedir(d);
	}
	printf("fuzz-replay: %d inputs replayed\n", files);
	return bad ? 1 : 0;
}
