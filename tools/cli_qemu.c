/*
 * cli_qemu.c - "ringside qemu": the smoke matrix of the unchanged
 * workload drivers against QEMU's virtio-pci devices (model/qemu/qemu.h).
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r, sigaction */

#include "cli.h"

#include <qemu.h>
#include <trace.h>

#include <linux/errno.h>

#include <signal.h>
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
	      "  --json          one JSON object (the cells in \"cells\")\n"
	      "                  instead of a table\n"
	      "\n"
	      "A cell passes when the driver bound, completed N requests with\n"
	      "data verified (entropy: bytes received), no oracle fired and\n"
	      "the teardown was clean. Needs qemu-system-x86_64:\n"
	      "  " QEMU_APT_LINE "\n"
	      "\n"
	      "SIGINT or SIGTERM stop the matrix after the cell that runs,\n"
	      "print the cells done so far and exit 130 or 143; QEMU, its\n"
	      "guest RAM and its files go on every exit path.\n"
	      "\n"
	      "Exit status: 0 every cell passed, 1 a cell failed, 2 usage\n"
	      "error, QEMU not installed, or a trace file error, 130/143\n"
	      "interrupted by SIGINT/SIGTERM.\n",
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

/* What a list option accepts, for its error message. */
static const char *valid_values(const char *opt)
{
	static char buf[160];
	unsigned int i, n = 0;
	buf[0] = '\0';
	if (cli_option_match(opt, "--device")) {
		for (i = 0; i < QEMU_DEV_COUNT; i++)
			n += (unsigned int)snprintf(
				buf + n, sizeof(buf) - n, "%s%s",
				i ? "," : ": a list of ",
				qemu_device_name((enum qemu_device)i));
	} else if (cli_option_match(opt, "--mode")) {
		for (i = 0; i < QEMU_MODE_COUNT; i++)
			n += (unsigned int)snprintf(
				buf + n, sizeof(buf) - n, "%s%s",
				i ? "," : ": a list of ",
				qemu_mode_name((enum qemu_mode)i));
	} else if (cli_option_match(opt, "--irq")) {
		for (i = 0; i < QEMU_IRQ_COUNT; i++)
			n += (unsigned int)snprintf(
				buf + n, sizeof(buf) - n, "%s%s",
				i ? "," : ": a list of ",
				qemu_irq_name((enum qemu_irq)i));
	} else if (cli_option_match(opt, "--timeout")) {
		snprintf(buf, sizeof(buf), ": seconds, 1 to 3600");
	} else if (cli_option_match(opt, "--requests")) {
		snprintf(buf, sizeof(buf), ": a count above 0");
	}
	return buf;
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
		if (cli_db_option(argc, argv, &i, QCMD, cli_qemu_usage,
				  &m->db_path, &err)) {
			if (err)
				return err;
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
					       "option '%s' needs a value", a);
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
					       "bad value '%s' for %s%s", v, a,
					       valid_values(a));
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
		       const struct qemu_cell_result *r, bool first)
{
	printf("%s{\"device\":\"%s\",\"mode\":\"%s\",\"irq\":\"%s\","
	       "\"passed\":%s,\"completed\":%llu,\"data_checked\":%llu,"
	       "\"bytes\":%llu,\"kicks\":%llu,\"interrupts\":%llu,"
	       "\"events\":%llu,\"features\":%llu,\"startup_ms\":%.1f,"
	       "\"time_ms\":%.1f,\"rtt_us\":%.1f,\"qtest_us\":%.1f,"
	       "\"message\":",
	       first ? "" : ",", qemu_device_name(cfg->device),
	       qemu_mode_name(cfg->mode), qemu_irq_name(cfg->irq),
	       r->passed ? "true" : "false", (unsigned long long)r->completed,
	       (unsigned long long)r->data_checked,
	       (unsigned long long)r->bytes, (unsigned long long)r->kicks,
	       (unsigned long long)r->interrupts, (unsigned long long)r->events,
	       (unsigned long long)r->features, r->startup_ms, r->total_ms,
	       r->rtt_us, r->qtest_us);
	cli_json_string(stdout, r->message);
	fputs("}", stdout);
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

static void json_or_null(const char *s)
{
	if (s)
		cli_json_string(stdout, s);
	else
		fputs("null", stdout);
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* SIGINT and SIGTERM end the matrix after the running cell (qemu_stop
 * removes everything on the way out). */
static void catch_stop_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct matrix_run {
	unsigned int cells, failed;
	int record_err;
	struct trace_db *db;
};

static void run_one_cell(const struct qemu_matrix *m, struct matrix_run *mr,
			 unsigned int d, unsigned int mo, unsigned int i)
{
	struct qemu_cell_config cfg;
	struct qemu_cell_result r;
	struct event_log log;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = (enum qemu_device)d;
	cfg.mode = (enum qemu_mode)mo;
	cfg.irq = (enum qemu_irq)i;
	cfg.seed = m->seed;
	cfg.requests = m->requests;
	cfg.timeout_ms = (unsigned int)m->timeout_s * 1000;
	event_log_init(&log, 0);
	cfg.log = &log;
	qemu_run_cell(&cfg, &r);
	if (mr->db && !mr->record_err)
		mr->record_err = record_cell(mr->db, &cfg, &r, &log);
	event_log_free(&log);
	if (m->json)
		print_json(&cfg, &r, mr->cells == 0);
	else
		print_row(&cfg, &r);
	mr->cells++;
	mr->failed += !r.passed;
}

static void run_matrix(const struct qemu_matrix *m, struct matrix_run *mr)
{
	unsigned int d, mo, i;

	for (d = 0; d < QEMU_DEV_COUNT; d++)
		for (mo = 0; mo < QEMU_MODE_COUNT; mo++)
			for (i = 0; i < QEMU_IRQ_COUNT; i++) {
				if (stop_signal)
					return;
				if (m->device[d] && m->mode[mo] && m->irq[i])
					run_one_cell(m, mr, d, mo, i);
			}
}

int cli_qemu(int argc, char **argv)
{
	struct qemu_matrix m;
	struct matrix_run mr = { 0, 0, 0, NULL };
	int err = parse_args(argc, argv, &m);
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
		return CLI_EXIT_USAGE;
	}
	if (m.db_path &&
	    trace_open(m.db_path, TRACE_CREATE, &mr.db, msg, sizeof(msg))) {
		fprintf(stderr, "ringside qemu: %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	if (m.json)
		fputs("{\"cells\":[", stdout);
	else
		printf("%-8s %-7s %-5s %-5s %9s %8s %9s %9s %8s\n", "device",
		       "mode", "irq", "", "requests", "checked", "start ms",
		       "cell ms", "rtt us");
	fflush(stdout);
	t0 = cli_now();
	stop_signal = 0;
	catch_stop_signals(true);
	run_matrix(&m, &mr);
	catch_stop_signals(false);
	if (mr.db)
		trace_close(mr.db);
	if (m.json) {
		printf("],\"total\":%u,\"failed\":%u,\"time_ms\":%.0f,"
		       "\"interrupted\":",
		       mr.cells, mr.failed, (cli_now() - t0) * 1e3);
		json_or_null(stop_signal == SIGINT    ? "SIGINT"
			     : stop_signal == SIGTERM ? "SIGTERM"
						      : NULL);
		printf(",\"db\":");
		json_or_null(mr.db ? m.db_path : NULL);
		puts("}");
	} else {
		printf("%u cells, %u failed, %.0f ms%s%s%s\n", mr.cells,
		       mr.failed, (cli_now() - t0) * 1e3,
		       mr.db ? ", recorded in " : "", mr.db ? m.db_path : "",
		       stop_signal ? "; interrupted, the other cells not run"
				   : "");
	}
	fflush(stdout);
	if (stop_signal)
		return 128 + stop_signal;
	if (mr.failed)
		return CLI_EXIT_FAIL;
	return mr.record_err ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
