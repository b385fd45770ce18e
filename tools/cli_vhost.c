/*
 * cli_vhost.c - "ringside vhost": the unchanged workload drivers against
 * vhost-user back ends (model/vhost/vhost.h): the built-in matrix
 * (qemu-storage-daemon, virtiofsd, dpdk-testpmd), or one target given as
 * vhost-user:SOCKET or vhost-user-exec:COMMAND.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include "cli.h"

#include <trace.h>
#include <vhost.h>
#include <vhost_backend.h>

#include <linux/errno.h>

#include <stdlib.h>
#include <string.h>

#define VCMD "vhost"
#define TARGET_SOCKET "vhost-user:"
#define TARGET_EXEC "vhost-user-exec:"

void cli_vhost_usage(FILE *out)
{
	fputs("usage: ringside vhost [--device LIST] [--target TARGET]\n"
	      "                      [--requests N] [--timeout S] [--seed "
	      "N]\n"
	      "                      [--db FILE | --no-db] [--json]\n"
	      "\n"
	      "Runs the workload drivers of the simulated world, unchanged,\n"
	      "against vhost-user back ends, with ringside as the front end\n"
	      "(guest memory in a memfd), one back end per cell, and prints\n"
	      "one line per cell.\n"
	      "\n"
	      "  --device LIST   block,fs,net (default: all)\n"
	      "  --target T      one cell, the targets of ringside check:\n"
	      "                    vhost-user:DEVICE:SOCKET  a back end "
	      "already\n"
	      "                      listening\n"
	      "                    vhost-user-exec:DEVICE[:COMMAND]  started "
	      "by us;\n"
	      "                      @SOCK@ in COMMAND is its socket, @DIR@ "
	      "its\n"
	      "                      directory (block: @DIR@/disk.img, 1 "
	      "MiB; fs:\n"
	      "                      @DIR@/share); no COMMAND: the built-in "
	      "one\n"
	      "                  DEVICE: block, fs or net. The older "
	      "forms\n"
	      "                  vhost-user:SOCKET and "
	      "vhost-user-exec:COMMAND\n"
	      "                  take the device from one --device\n"
	      "  --requests N    completions each cell needs (default 20)\n"
	      "  --timeout S     seconds each cell may take (default 20)\n"
	      "  --seed N        seed of the drivers' choices (default 1)\n"
	      "  --db FILE       the trace file every cell is recorded in, as\n"
	      "                  a run of source vhost "
	      "(default " TRACE_DEFAULT_PATH ")\n"
	      "  --no-db         record nothing\n"
	      "  --json          one JSON object per cell instead of a table\n"
	      "\n"
	      "Built-in back ends:\n"
	      "  block  qemu-storage-daemon, a raw image as vhost-user-blk\n"
	      "         (writes verified, GET_ID, FLUSH)\n"
	      "  fs     /usr/lib/qemu/virtiofsd sharing a folder (FUSE INIT,\n"
	      "         LOOKUP, GETATTR, OPEN, READ, WRITE checked against "
	      "it)\n"
	      "  net    dpdk-testpmd with the vhost PMD, forwarding every "
	      "frame\n"
	      "         back (no hugepages, no PCI; two lcores)\n"
	      "A back end we start is stopped and its files removed on every\n"
	      "exit path, also on SIGINT and SIGTERM.\n"
	      "\n"
	      "Exit status: 0 every cell passed, 1 a cell failed (or a back\n"
	      "end is missing), 2 usage error, 130/143 interrupted by\n"
	      "SIGINT/SIGTERM (after the clean-up).\n",
	      out);
}

struct vhost_matrix {
	bool device[VHOST_DEV_COUNT];
	bool device_given;
	bool target_device; /* the --target named the device */
	const char *socket, *command;
	u64 requests, timeout_s, seed;
	bool json;
	const char *db_path;
};

static int parse_devices(const char *s, bool *flags)
{
	char buf[128], *tok, *save = NULL;
	enum vhost_device d;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(flags, 0, VHOST_DEV_COUNT * sizeof(*flags));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		d = vhost_device_lookup(tok);
		if (d >= VHOST_DEV_COUNT)
			return -EINVAL;
		flags[d] = true;
	}
	return 0;
}

/* vhost-user:DEVICE:SOCKET or vhost-user-exec:DEVICE[:COMMAND] (the
 * syntax of ringside check), or the older vhost-user:SOCKET and
 * vhost-user-exec:COMMAND with a --device. */
static int parse_target(struct vhost_matrix *m, const char *v)
{
	size_t ns = strlen(TARGET_SOCKET), ne = strlen(TARGET_EXEC);
	bool exec = strncmp(v, TARGET_EXEC, ne) == 0;
	struct vhost_target t;
	char err[256];

	if (!exec && strncmp(v, TARGET_SOCKET, ns) != 0)
		return -EINVAL;
	if (!v[exec ? ne : ns])
		return -EINVAL;
	if (vhost_target_parse(v + (exec ? ne : ns), exec, &t, err,
			       sizeof(err)) == 0) {
		memset(m->device, 0, sizeof(m->device));
		m->device[t.device] = true;
		m->target_device = true;
		m->socket = t.socket;
		m->command = t.command;
		return 0;
	}
	if (vhost_device_lookup(v + (exec ? ne : ns)) != VHOST_DEV_COUNT) {
		fprintf(stderr, "ringside vhost: %s\n", err);
		return -EINVAL; /* a device and no socket */
	}
	if (exec)
		m->command = v + ne;
	else
		m->socket = v + ns;
	return 0;
}

static unsigned int devices_chosen(const struct vhost_matrix *m)
{
	unsigned int d, n = 0;

	for (d = 0; d < VHOST_DEV_COUNT; d++)
		n += m->device[d];
	return n;
}

static int parse_value(struct vhost_matrix *m, const char *a, const char *v)
{
	if (cli_option_match(a, "--device")) {
		m->device_given = true;
		return parse_devices(v, m->device);
	}
	if (cli_option_match(a, "--target"))
		return parse_target(m, v);
	if (cli_option_match(a, "--requests"))
		return cli_parse_u64(v, &m->requests) || m->requests == 0
			       ? -EINVAL
			       : 0;
	if (cli_option_match(a, "--timeout"))
		return cli_parse_u64(v, &m->timeout_s) || m->timeout_s == 0 ||
				       m->timeout_s > 3600
			       ? -EINVAL
			       : 0;
	return cli_parse_u64(v, &m->seed) ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct vhost_matrix *m)
{
	const char *v;
	int i, rc;

	memset(m, 0, sizeof(*m));
	memset(m->device, 1, sizeof(m->device));
	m->requests = 20;
	m->timeout_s = 20;
	m->seed = 1;
	m->db_path = TRACE_DEFAULT_PATH;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_vhost_usage(stdout);
			return -1;
		}
		if (strcmp(a, "--json") == 0) {
			m->json = true;
			continue;
		}
		if (cli_db_option(argc, argv, &i, VCMD, cli_vhost_usage,
				  &m->db_path, &rc)) {
			if (rc)
				return rc;
			continue;
		}
		if (!(cli_option_match(a, "--device") ||
		      cli_option_match(a, "--target") ||
		      cli_option_match(a, "--requests") ||
		      cli_option_match(a, "--timeout") ||
		      cli_option_match(a, "--seed")))
			return cli_usage_error(VCMD, cli_vhost_usage,
					       "unknown option '%s'", a);
		v = cli_option_value(argc, argv, &i);
		if (!v)
			return cli_usage_error(VCMD, cli_vhost_usage,
					       "%s needs a value", a);
		if (parse_value(m, a, v))
			return cli_usage_error(
				VCMD, cli_vhost_usage,
				cli_option_match(a, "--target")
					? "bad target '%s' for %s: "
					  "vhost-user:SOCKET or "
					  "vhost-user-exec:COMMAND"
					: "bad value '%s' for %s",
				v, a);
	}
	if ((m->socket || m->command) && !m->target_device &&
	    (!m->device_given || devices_chosen(m) != 1))
		return cli_usage_error(VCMD, cli_vhost_usage,
				       "a --target needs exactly one "
				       "--device (block, fs or net)");
	return CLI_EXIT_OK;
}

/* --- recording --------------------------------------------------------- */

static int record_cell(struct trace_db *db, const struct vhost_matrix *m,
		       const struct vhost_cell_config *cfg,
		       const struct vhost_cell_result *r,
		       const struct event_log *log)
{
	struct trace_run tr;

	memset(&tr, 0, sizeof(tr));
	tr.seed = cfg->seed;
	tr.source = TRACE_SOURCE_VHOST;
	snprintf(tr.config, sizeof(tr.config),
		 "vhost device=%s target=%s%.200s requests=%llu",
		 vhost_device_name(cfg->device),
		 m->socket ? TARGET_SOCKET : TARGET_EXEC,
		 m->socket    ? m->socket
		 : m->command ? m->command
			      : "builtin",
		 (unsigned long long)cfg->requests);
	snprintf(tr.device, sizeof(tr.device), "%s",
		 vhost_device_name(cfg->device));
	tr.mode = 2;
	tr.failed = !r->passed;
	if (!r->passed) {
		snprintf(tr.oracle, sizeof(tr.oracle), "%s",
			 r->oracle ? r->oracle : "vhost");
		snprintf(tr.message, sizeof(tr.message), "%.*s",
			 (int)sizeof(tr.message) - 1, r->message);
	}
	tr.steps = r->steps;
	tr.events = r->events;
	tr.choice_count = r->choices;
	tr.event_hash = r->event_hash;
	tr.duration_us = (s64)(r->total_ms * 1e3);
	tr.has_events = event_log_complete(log);
	if (trace_add_run(db, &tr, tr.has_events ? log : NULL)) {
		fprintf(stderr, "ringside vhost: cannot record the cell: %s\n",
			trace_errmsg(db));
		return -EIO;
	}
	return 0;
}

static void print_json(const struct vhost_cell_config *cfg,
		       const struct vhost_cell_result *r)
{
	printf("{\"device\":\"%s\",\"passed\":%s,\"completed\":%llu,"
	       "\"data_checked\":%llu,\"bytes\":%llu,\"kicks\":%llu,"
	       "\"interrupts\":%llu,\"events\":%llu,\"features\":%llu,"
	       "\"protocol_features\":%llu,\"messages\":%llu,"
	       "\"startup_ms\":%.1f,\"setup_ms\":%.1f,\"time_ms\":%.1f,"
	       "\"rtt_us\":%.1f,\"msg_us\":%.1f,\"slowest_msg\":\"%s\","
	       "\"slowest_us\":%.1f,\"message\":",
	       vhost_device_name(cfg->device), r->passed ? "true" : "false",
	       (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked,
	       (unsigned long long)r->bytes, (unsigned long long)r->kicks,
	       (unsigned long long)r->interrupts, (unsigned long long)r->events,
	       (unsigned long long)r->features,
	       (unsigned long long)r->protocol_features,
	       (unsigned long long)r->messages, r->startup_ms, r->setup_ms,
	       r->total_ms, r->rtt_us, r->msg_us,
	       r->slowest_msg ? r->slowest_msg : "", r->slowest_us);
	cli_json_string(stdout, r->message);
	fputs("}\n", stdout);
}

static void print_row(const struct vhost_cell_config *cfg,
		      const struct vhost_cell_result *r)
{
	printf("%-6s %-5s %9llu %8llu %9.1f %9.1f %9.0f %8.1f %8.1f\n",
	       vhost_device_name(cfg->device), r->passed ? "pass" : "FAIL",
	       (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked, r->startup_ms, r->setup_ms,
	       r->total_ms, r->rtt_us, r->msg_us);
	if (!r->passed)
		printf("  -> %s\n", r->message);
	fflush(stdout);
}

/* A built-in back end whose program is missing: a failed cell that says
 * which package has it. */
static bool missing_program(enum vhost_device d, struct vhost_cell_result *r)
{
	const char *prog = vhost_builtin_program(d);

	if (vhb_have(prog))
		return false;
	memset(r, 0, sizeof(*r));
	snprintf(r->message, sizeof(r->message),
		 "%s is not installed; install it with: apt-get install -y "
		 "--no-install-recommends %s",
		 prog, vhost_builtin_package(d));
	return true;
}

static void run_one(const struct vhost_matrix *m, enum vhost_device d,
		    struct event_log *log, struct vhost_cell_result *r)
{
	struct vhost_cell_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = d;
	cfg.socket = m->socket;
	cfg.command = m->command;
	cfg.seed = m->seed;
	cfg.requests = m->requests;
	cfg.timeout_ms = (unsigned int)m->timeout_s * 1000;
	cfg.log = log;
	if (!m->socket && !m->command && missing_program(d, r))
		return;
	vhost_run_cell(&cfg, r);
}

int cli_vhost(int argc, char **argv)
{
	struct vhost_matrix m;
	struct vhost_cell_config cfg;
	struct vhost_cell_result r;
	unsigned int d, cells = 0, failed = 0;
	int err = parse_args(argc, argv, &m), record_err = 0;
	struct trace_db *db = NULL;
	struct event_log log;
	char msg[256];
	double t0;

	if (err < 0)
		return CLI_EXIT_OK;
	if (err != CLI_EXIT_OK)
		return err;
	if (m.db_path &&
	    trace_open(m.db_path, TRACE_CREATE, &db, msg, sizeof(msg))) {
		fprintf(stderr, "ringside vhost: %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	if (!m.json)
		printf("%-6s %-5s %9s %8s %9s %9s %9s %8s %8s\n", "device", "",
		       "requests", "checked", "start ms", "setup ms", "cell ms",
		       "rtt us", "msg us");
	t0 = cli_now();
	for (d = 0; d < VHOST_DEV_COUNT && !vhb_signal(); d++) {
		if (!m.device[d])
			continue;
		memset(&cfg, 0, sizeof(cfg));
		cfg.device = (enum vhost_device)d;
		cfg.seed = m.seed;
		cfg.requests = m.requests;
		event_log_init(&log, 0);
		run_one(&m, (enum vhost_device)d, &log, &r);
		if (db && !record_err)
			record_err = record_cell(db, &m, &cfg, &r, &log);
		event_log_free(&log);
		cells++;
		failed += !r.passed;
		if (m.json)
			print_json(&cfg, &r);
		else
			print_row(&cfg, &r);
	}
	if (db)
		trace_close(db);
	if (!m.json)
		printf("%u cells, %u failed, %.0f ms%s%s\n", cells, failed,
		       (cli_now() - t0) * 1e3, db ? ", recorded in " : "",
		       db ? m.db_path : "");
	if (vhb_signal()) {
		printf("interrupted by signal %d: the back end stopped, its "
		       "files removed\n",
		       vhb_signal());
		return 128 + vhb_signal();
	}
	if (failed)
		return CLI_EXIT_FAIL;
	return record_err ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
