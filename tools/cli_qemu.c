/*
 * cli_qemu.c - "ringside qemu": the smoke matrix of the unchanged
 * workload drivers against QEMU's virtio-pci devices (model/qemu.h).
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include "cli.h"

#include <qemu.h>
#include <trace.h>

#include <linux/errno.h>

#include <stdlib.h>
#include <string.h>

#define QCMD "qemu"

void cli_qemu_usage(FILE *out)
{
	fputs("usage: ringside qemu [--device LIST] [--mode LIST] [--irq "
	      "LIST]\n"
	      "                     [--requests N] [--timeout S] [--seed N]\n"
	      "                     [--db FILE | --no-db] [--json]\n"
	      "\n"
	      "Runs the workload drivers of the simulated world, unchanged,\n"
	      "against QEMU's own virtio-pci devices (qtest under TCG, guest\n"
	      "RAM shared), one QEMU per cell of the matrix\n"
	      "device x mode x interrupt delivery, and prints one line per\n"
	      "cell.\n"
	      "\n"
	      "  --device LIST   entropy,block,console,net (default: all)\n"
	      "  --mode LIST     legacy,modern (default: both)\n"
	      "  --irq LIST      poll,intx (default: both)\n"
	      "  --requests N    completions each cell needs (default 20)\n"
	      "  --timeout S     seconds each cell may take (default 20)\n"
	      "  --seed N        seed of the drivers' choices (default 1)\n"
	      "  --db FILE       the trace file every cell is recorded in, as\n"
	      "                  a run of source qemu "
	      "(default " TRACE_DEFAULT_PATH ")\n"
	      "  --no-db         record nothing\n"
	      "  --json          one JSON object per cell instead of a table\n"
	      "\n"
	      "A cell passes when the driver bound, completed N requests with\n"
	      "data verified (entropy: bytes received), no oracle fired and\n"
	      "the teardown was clean. Needs qemu-system-x86_64:\n"
	      "  " QEMU_APT_LINE "\n"
	      "\n"
	      "Exit status: 0 every cell passed, 1 a cell failed, 2 usage "
	      "error.\n",
	      out);
}

struct qemu_matrix {
	bool device[QEMU_DEV_COUNT];
	bool mode[QEMU_MODE_COUNT];
	bool irq[QEMU_IRQ_COUNT];
	u64 requests, timeout_s, seed;
	bool json;
	const char *db_path; /* NULL: --no-db */
};

/* A comma-separated list of names into flags; -EINVAL on a bad name. */
static int parse_list(const char *s, bool *flags, unsigned int n,
		      unsigned int (*lookup)(const char *))
{
	char buf[128], *tok, *save = NULL;
	unsigned int v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(flags, 0, n * sizeof(*flags));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = lookup(tok);
		if (v >= n)
			return -EINVAL;
		flags[v] = true;
	}
	return 0;
}

static unsigned int device_lookup(const char *s)
{
	return qemu_device_lookup(s);
}

static unsigned int mode_lookup(const char *s)
{
	return qemu_mode_lookup(s);
}

static unsigned int irq_lookup(const char *s)
{
	return qemu_irq_lookup(s);
}

static int parse_args(int argc, char **argv, struct qemu_matrix *m)
{
	const char *v;
	int i;

	memset(m, 0, sizeof(*m));
	memset(m->device, 1, sizeof(m->device));
	memset(m->mode, 1, sizeof(m->mode));
	memset(m->irq, 1, sizeof(m->irq));
	m->requests = 20;
	m->timeout_s = 20;
	m->seed = 1;
	m->db_path = TRACE_DEFAULT_PATH;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int err = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_qemu_usage(stdout);
			return -1; /* done: exit 0 */
		}
		if (strcmp(a, "--json") == 0) {
			m->json = true;
			continue;
		}
		if (strcmp(a, "--no-db") == 0) {
			m->db_path = NULL;
			continue;
		}
		if (cli_option_match(a, "--db")) {
			m->db_path = cli_option_value(argc, argv, &i);
			if (!m->db_path || !m->db_path[0])
				return cli_usage_error(
					QCMD, cli_qemu_usage,
					"--db needs a file name");
			continue;
		}
		if (!(cli_option_match(a, "--device") ||
		      cli_option_match(a, "--mode") ||
		      cli_option_match(a, "--irq") ||
		      cli_option_match(a, "--requests") ||
		      cli_option_match(a, "--timeout") ||
		      cli_option_match(a, "--seed")))
			return cli_usage_error(QCMD, cli_qemu_usage,
					       "unknown option '%s'", a);
		v = cli_option_value(argc, argv, &i);
		if (!v)
			return cli_usage_error(QCMD, cli_qemu_usage,
					       "%s needs a value", a);
		if (cli_option_match(a, "--device"))
			err = parse_list(v, m->device, QEMU_DEV_COUNT,
					 device_lookup);
		else if (cli_option_match(a, "--mode"))
			err = parse_list(v, m->mode, QEMU_MODE_COUNT,
					 mode_lookup);
		else if (cli_option_match(a, "--irq"))
			err = parse_list(v, m->irq, QEMU_IRQ_COUNT, irq_lookup);
		else if (cli_option_match(a, "--requests"))
			err = cli_parse_u64(v, &m->requests) || m->requests == 0
				      ? -EINVAL
				      : 0;
		else if (cli_option_match(a, "--timeout"))
			err = cli_parse_u64(v, &m->timeout_s) ||
					      m->timeout_s == 0 ||
					      m->timeout_s > 3600
				      ? -EINVAL
				      : 0;
		else
			err = cli_parse_u64(v, &m->seed);
		if (err)
			return cli_usage_error(QCMD, cli_qemu_usage,
					       "bad value '%s' for %s", v, a);
	}
	return CLI_EXIT_OK;
}

/* --- recording --------------------------------------------------------- */

/* One cell as a run of source qemu, with the events the driver side saw
 * (so "ringside show" works on it). Its config names the cell; the run
 * is not a function of its seed (QEMU keeps its own time), so it has no
 * choices to replay. Returns 0 or -EIO (the message printed). */
static int record_cell(struct trace_db *db, const struct qemu_cell_config *cfg,
		       const struct qemu_cell_result *r,
		       const struct event_log *log)
{
	struct trace_run tr;

	memset(&tr, 0, sizeof(tr));
	tr.seed = cfg->seed;
	tr.source = TRACE_SOURCE_QEMU;
	snprintf(tr.config, sizeof(tr.config),
		 "qemu device=%s mode=%s irq=%s requests=%llu",
		 qemu_device_name(cfg->device), qemu_mode_name(cfg->mode),
		 qemu_irq_name(cfg->irq), (unsigned long long)cfg->requests);
	snprintf(tr.device, sizeof(tr.device), "%s",
		 qemu_device_name(cfg->device));
	tr.mode = cfg->mode == QEMU_MODE_MODERN ? 2 : 1;
	tr.failed = !r->passed;
	if (!r->passed) {
		snprintf(tr.oracle, sizeof(tr.oracle), "%s",
			 r->oracle ? r->oracle : "qemu");
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
		fprintf(stderr, "ringside qemu: cannot record the cell: %s\n",
			trace_errmsg(db));
		return -EIO;
	}
	return 0;
}

static void print_json(const struct qemu_cell_config *cfg,
		       const struct qemu_cell_result *r)
{
	printf("{\"device\":\"%s\",\"mode\":\"%s\",\"irq\":\"%s\","
	       "\"passed\":%s,\"completed\":%llu,\"data_checked\":%llu,"
	       "\"bytes\":%llu,\"kicks\":%llu,\"interrupts\":%llu,"
	       "\"events\":%llu,\"startup_ms\":%.1f,\"time_ms\":%.1f,"
	       "\"rtt_us\":%.1f,\"qtest_us\":%.1f,\"message\":",
	       qemu_device_name(cfg->device), qemu_mode_name(cfg->mode),
	       qemu_irq_name(cfg->irq), r->passed ? "true" : "false",
	       (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked,
	       (unsigned long long)r->bytes, (unsigned long long)r->kicks,
	       (unsigned long long)r->interrupts, (unsigned long long)r->events,
	       r->startup_ms, r->total_ms, r->rtt_us, r->qtest_us);
	cli_json_string(stdout, r->message);
	fputs("}\n", stdout);
}

static void print_row(const struct qemu_cell_config *cfg,
		      const struct qemu_cell_result *r)
{
	printf("%-8s %-7s %-5s %-5s %9llu %8llu %9.0f %9.0f %8.1f\n",
	       qemu_device_name(cfg->device), qemu_mode_name(cfg->mode),
	       qemu_irq_name(cfg->irq), r->passed ? "pass" : "FAIL",
	       (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked, r->startup_ms, r->total_ms,
	       r->rtt_us);
	if (!r->passed)
		printf("  -> %s\n", r->message);
	fflush(stdout);
}

int cli_qemu(int argc, char **argv)
{
	struct qemu_matrix m;
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;
	unsigned int d, mo, i, cells = 0, failed = 0;
	int err = parse_args(argc, argv, &m), record_err = 0;
	struct trace_db *db = NULL;
	struct event_log log;
	char msg[256];
	double t0;

	if (err < 0)
		return CLI_EXIT_OK; /* --help */
	if (err != CLI_EXIT_OK)
		return err;
	if (!qemu_installed()) {
		fprintf(stderr,
			"ringside qemu: QEMU is not installed (%s not found "
			"on PATH); install it with:\n  %s\n",
			QEMU_BINARY, QEMU_APT_LINE);
		return CLI_EXIT_FAIL;
	}
	if (m.db_path &&
	    trace_open(m.db_path, TRACE_CREATE, &db, msg, sizeof(msg))) {
		fprintf(stderr, "ringside qemu: %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	if (!m.json)
		printf("%-8s %-7s %-5s %-5s %9s %8s %9s %9s %8s\n", "device",
		       "mode", "irq", "", "requests", "checked", "start ms",
		       "cell ms", "rtt us");
	t0 = cli_now();
	for (d = 0; d < QEMU_DEV_COUNT; d++)
		for (mo = 0; mo < QEMU_MODE_COUNT; mo++)
			for (i = 0; i < QEMU_IRQ_COUNT; i++) {
				if (!m.device[d] || !m.mode[mo] || !m.irq[i])
					continue;
				memset(&cfg, 0, sizeof(cfg));
				cfg.device = (enum qemu_device)d;
				cfg.mode = (enum qemu_mode)mo;
				cfg.irq = (enum qemu_irq)i;
				cfg.seed = m.seed;
				cfg.requests = m.requests;
				cfg.timeout_ms =
					(unsigned int)m.timeout_s * 1000;
				event_log_init(&log, 0);
				cfg.log = &log;
				qemu_run_cell(&cfg, &r);
				if (db && !record_err)
					record_err =
						record_cell(db, &cfg, &r, &log);
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
	if (failed)
		return CLI_EXIT_FAIL;
	return record_err ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
