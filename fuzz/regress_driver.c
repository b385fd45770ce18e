/*
 * regress_driver.c - a main() for the fuzz targets outside any fuzzer: it
 * feeds every file of the folders (each folder's files in name order) and
 * every file given as an argument to LLVMFuzzerTestOneInput, once each.
 *
 * It names each input on stderr before running it, so a crash or a
 * finding (fuzz_common.h note 2) says which input it was. ctest runs it
 * over corpus/<target>/ in the ordinary sanitizer build (fuzz.regress.*).
 *
 * Exit status: 0 when every input ran and at least one did; 1 when an
 * argument cannot be read or there was no input at all; a target that
 * finds something aborts (the sanitizers and fuzz_finding do).
 */
#define _POSIX_C_SOURCE 200809L /* scandir, alphasort */

#include "fuzz_common.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long regress_inputs;

/* Reads the whole file into a malloc'd buffer (size 0: a 1-byte one). */
static unsigned char *regress_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			unsigned char *grown;

			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = len;
	return buf;
}

static int regress_file(const char *path)
{
	unsigned char *data;
	size_t size = 0;

	data = regress_read(path, &size);
	if (!data) {
		fprintf(stderr, "regress: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "regress: running %s (%zu bytes)\n", path, size);
	/* An exact-size copy, so that ASan sees a read past the input. */
	{
		unsigned char *exact = malloc(size ? size : 1);

		if (!exact) {
			free(data);
			return 1;
		}
		memcpy(exact, data, size);
		free(data);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
	}
	regress_inputs++;
	return 0;
}

static int regress_not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int regress_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int n, i, bad = 0;

	n = scandir(dir, &names, regress_not_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "regress: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			bad |= regress_file(path);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, bad = 0;

	if (argc < 2) {
		fprintf(stderr,
			"usage: %s DIR|FILE...\n"
			"Runs every file (of every folder) through the "
			"fuzz target %s once.\n",
			argv[0], fuzz_target_name);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			bad |= regress_dir(argv[i]);
		else
			bad |= regress_file(argv[i]);
	}
	fprintf(stderr, "regress: %s: %lu inputs, no finding\n",
		fuzz_target_name, regress_inputs);
	if (!regress_inputs) {
		fprintf(stderr, "regress: no input at all\n");
		return 1;
	}
	return bad;
}
