/*
 * test_plugin.c - loading a device model with lib:: the errors a plug-in
 * author sees name the problem (missing file, missing symbol, another
 * ABI version, options the plug-in refuses), and they are setup errors.
 */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(missing_file)                                                        \
	X(missing_symbol)                                                      \
	X(version_mismatch)                                                    \
	X(bad_options) X(unknown_kind) X(loads_and_names_its_type)
TESTS(HARNESS_DECLARE)

static int open_err(const char *spec, char *err, size_t n)
{
	struct check_target t;
	int ret = check_target_open(&t, spec, err, n);

	check_target_close(&t);
	printf("  %s -> %s\n", spec, ret ? err : "ok");
	return ret;
}

static void missing_file(void)
{
	char err[600];

	CHECK(open_err("lib:/nonexistent/dev.so", err, sizeof(err)) != 0);
	CHECK(strstr(err, "cannot load") != NULL);
	CHECK(strstr(err, "/nonexistent/dev.so") != NULL);
}

static void missing_symbol(void)
{
	char err[600];

	CHECK(open_err("lib:" CHECK_NOT_A_DEVICE_PATH, err, sizeof(err)) != 0);
	CHECK(strstr(err, "ringside_dm_abi_version") != NULL);
	CHECK(strstr(err, "not a ringside device model") != NULL);
}

static void version_mismatch(void)
{
	char err[600];

	CHECK(open_err("lib:" CHECK_WRONG_ABI_PATH, err, sizeof(err)) != 0);
	CHECK(strstr(err, "ABI version 2") != NULL);
	CHECK(strstr(err, "speaks version 1") != NULL);
}

static void bad_options(void)
{
	char err[600];

	CHECK(open_err("lib:" CHECK_PLUGIN_PATH ",fault=nonsense", err,
		       sizeof(err)) != 0);
	CHECK(strstr(err, "ringside_dm_create('fault=nonsense') failed") !=
	      NULL);
}

static void unknown_kind(void)
{
	char err[600];

	CHECK(open_err("pci:0000:00:01.0", err, sizeof(err)) != 0);
	CHECK(strstr(err, "unknown target kind 'pci'") != NULL);
	CHECK(open_err("block", err, sizeof(err)) != 0);
	CHECK(strstr(err, "no kind") != NULL);
	CHECK(open_err("sim:floppy", err, sizeof(err)) != 0);
	CHECK(strstr(err, "unknown device 'floppy'") != NULL);
	CHECK(open_err("sim:block,adv=nonsense", err, sizeof(err)) != 0);
	CHECK(strstr(err, "bad option 'adv=nonsense'") != NULL);
}

static void loads_and_names_its_type(void)
{
	struct check_target t;
	char err[600];

	CHECK_EQ(check_target_open(&t, "lib:" CHECK_PLUGIN_PATH, err,
				   sizeof(err)),
		 0);
	CHECK_EQ(t.device_id, 4u);
	CHECK_EQ(t.modes, CHECK_BOTH);
	check_target_close(&t);
}

HARNESS_MAIN(TESTS)
