/*
 * cli.h - shared pieces of the ringside command-line program: the command
 * table, exit statuses, argument parsing and JSON output helpers.
 *
 * Every command is a function taking its own argv (argv[0] is the command
 * name) and returning an exit status. Usage errors print a message naming
 * the offending word and the command's usage on stderr, and return
 * CLI_EXIT_USAGE.
 */
#ifndef RINGSIDE_TOOLS_CLI_H
#define RINGSIDE_TOOLS_CLI_H

#include <linux/compiler.h>
#include <linux/types.h>

#include <stdbool.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1 /* a run failed */
#define CLI_EXIT_USAGE 2

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
};

/* The commands (ringside.c dispatches through this table). */
int cli_sim(int argc, char **argv);
void cli_sim_usage(FILE *out);
/* The commands on the trace store (cli_trace.c). */
int cli_runs(int argc, char **argv);
void cli_runs_usage(FILE *out);
int cli_show(int argc, char **argv);
void cli_show_usage(FILE *out);
int cli_replay(int argc, char **argv);
void cli_replay_usage(FILE *out);
int cli_minimise(int argc, char **argv);
void cli_minimise_usage(FILE *out);
int cli_export(int argc, char **argv);
void cli_export_usage(FILE *out);
int cli_merge(int argc, char **argv);
void cli_merge_usage(FILE *out);
int cli_materialise(int argc, char **argv);
void cli_materialise_usage(FILE *out);
int cli_qemu(int argc, char **argv);
void cli_qemu_usage(FILE *out);
/* The malicious-driver robustness suite (cli_robust.c). */
int cli_robustness(int argc, char **argv);
void cli_robustness_usage(FILE *out);
/* Conformance of a device model (cli_check.c). */
int cli_check(int argc, char **argv);
void cli_check_usage(FILE *out);
int cli_vhost(int argc, char **argv);
void cli_vhost_usage(FILE *out);
/* A fuzz campaign and its findings into the trace store (cli_fuzz.c). */
int cli_fuzz(int argc, char **argv);
void cli_fuzz_usage(FILE *out);

/*
 * Prints "ringside <cmd>: <message>" on stderr, then the command's usage
 * (when usage is not NULL). Returns CLI_EXIT_USAGE.
 */
__printf(3, 4) int cli_usage_error(const char *cmd, void (*usage)(FILE *out),
				   const char *fmt, ...);

/*
 * A u64 in decimal or 0x hex, the whole string and nothing else (no sign,
 * no blanks, no overflow). Returns 0, or -EINVAL.
 */
int cli_parse_u64(const char *s, u64 *out);

/*
 * Options: "--name value" or "--name=value". cli_option_match() returns
 * true when arg is --name (with or without "=value"); cli_option_value()
 * then takes the value from "=value" or the next argument (advancing
 * *i), and NULL when there is none or the next argument is an option
 * ("--..."): a missing value reads the same whichever option follows.
 */
bool cli_option_match(const char *arg, const char *name);
const char *cli_option_value(int argc, char **argv, int *i);

/*
 * --db FILE and --no-db, as every command that records takes them: true
 * when argv[*i] is one of them, with *db_path set (NULL for --no-db) and
 * *rc 0, or, for a --db without a file name, the usage error printed and
 * *rc CLI_EXIT_USAGE. False (nothing changed) for any other argument.
 */
bool cli_db_option(int argc, char **argv, int *i, const char *cmd,
		   void (*usage)(FILE *out), const char **db_path, int *rc);

/* JSON: a string literal with quotes, escaping everything that needs it
 * (and any byte outside printable ASCII, as \u00XX). */
void cli_json_string(FILE *out, const char *s);

/* Seconds of CLOCK_MONOTONIC, for display only (runs/s). */
double cli_now(void);

#endif /* RINGSIDE_TOOLS_CLI_H */
