/*
 * ringside.c - the ringside command-line program: a table of commands
 * and the dispatcher.
 *
 *   ringside --help | help [COMMAND]
 *   ringside COMMAND [options]      (ringside COMMAND --help)
 *
 * Exit status: 0 success, 1 a simulated run failed, 2 a usage error.
 * Adding a command is adding a row to the table below (cli.h).
 */
#include "cli.h"

#include <string.h>

static const struct cli_command commands[] = {
	{ "sim", "run the simulated world: one seed, or a campaign of seeds",
	  cli_sim, cli_sim_usage },
	{ "fuzz", "a fuzz campaign (libFuzzer, AFL++); findings into the trace",
	  cli_fuzz, cli_fuzz_usage },
	{ "qemu", "the smoke matrix: the drivers against QEMU's virtio devices",
	  cli_qemu, cli_qemu_usage },
	{ "robustness", "check --robustness: one broken driver rule at a time",
	  cli_robustness, cli_robustness_usage },
	{ "check", "check a device model against the virtio requirements",
	  cli_check, cli_check_usage },
	{ "vhost", "the drivers against vhost-user back ends (blk, fs, net)",
	  cli_vhost, cli_vhost_usage },
	{ "runs", "list the runs of a trace file (ringside.db)", cli_runs,
	  cli_runs_usage },
	{ "show", "one run of a trace file: its header and event timeline",
	  cli_show, cli_show_usage },
	{ "replay", "re-execute a recorded run and compare every event",
	  cli_replay, cli_replay_usage },
	{ "minimise", "shrink the choices of a failing run, store the result",
	  cli_minimise, cli_minimise_usage },
	{ "export", "a run as JSON, or as a C regression test", cli_export,
	  cli_export_usage },
	{ "merge", "merge trace files into one, without duplicates", cli_merge,
	  cli_merge_usage },
	{ "materialise", "store regenerated events in the events table",
	  cli_materialise, cli_materialise_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: ringside COMMAND [options]\n"
	      "       ringside help [COMMAND]\n"
	      "       ringside COMMAND --help\n"
	      "       ringside --version\n"
	      "\n"
	      "A deterministic simulator and fuzzing harness for virtio "
	      "driver\n"
	      "code: a hardened split virtqueue driven against simulated\n"
	      "devices, honest and hostile.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\n"
	      "Exit status (each command's --help says more):\n"
	      "  0    success\n"
	      "  1    a run or cell failed (replay: it diverged; fuzz: "
	      "findings)\n"
	      "  2    usage error, setup error (QEMU or a compiler missing) "
	      "or a\n"
	      "       trace file error (unreadable, damaged, cannot be "
	      "written)\n"
	      "  130  interrupted by SIGINT (143: SIGTERM)\n",
	      out);
}

static const struct cli_command *lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "ringside: unknown command '%s'\n\n", name);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

/* "ringside help [COMMAND]" */
static int help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc == 1) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "ringside help: unexpected argument '%s'\n\n",
			argv[2]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = lookup(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	cmd->usage(stdout);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		fputs("ringside: no command given\n\n", stderr);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ringside %s\n", RINGSIDE_VERSION);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr, "ringside: unknown option '%s'\n\n", argv[1]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = lookup(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
