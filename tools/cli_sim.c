/*
 * cli_sim.c - "ringside sim": one run of the simulated world, or a
 * campaign of consecutive seeds, with a summary of what happened and how
 * to reproduce every failure.
 *
 * A run is a pure function of its seed and of the flags that shape the
 * world (--device, --adversary, --steps, --plant): the command printed
 * after "reproduce with:" repeats exactly the failing run. With --device
 * any the device type is drawn from the seed's choices, so the reproducing
 * command says --device any too (naming the drawn device would skip that
 * draw and make another run).
 *
 * Timing (runs/s, steps/s) is measured here, never in the model, and only
 * shown in campaign summaries: the output of a single run is the same on
 * every machine and every time.
 *
 * Every run executes in a worker process (--jobs, isolate.h; see
 * "workers" below): a run that crashes or hangs is a failing run of the
 * campaign (oracle crash or hang), not the end of it, and the output is
 * the same for every number of workers.
 */
#define _POSIX_C_SOURCE 200809L /* isatty, sigaction */

#include "cli.h"
#include "crash.h"
#include "isolate.h"

#include <adversary.h>
#include <choice.h>
#include <recorder.h>
#include <replay.h>
#include <sim_transport.h>
#include <trace.h>
#include <world.h>

#include <linux/errno.h>

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAILURES_SHOWN 20
#define ORACLES_MAX 32
#define NAME_BYTES 32
#define SPEC_BYTES 1024
#define REPRODUCE_BYTES (SPEC_BYTES + 256)
#define PROGRESS_SECONDS 1.0
#define RECORD_ERR_BYTES 512
/* Workers: seeds handed out at a time, the most seeds handed out ahead of
 * the first one not yet accounted (what the parent may hold), and the
 * default per-run time limit. */
#define WORKER_CHUNK 8
#define WORKERS_MAX 64
#define WINDOW_SEEDS 1024
#define RUN_TIMEOUT_DEFAULT 10.0
/* What a crash run keeps of its worker's report: lines and bytes. */
#define REPORT_LINES 20
#define REPORT_BYTES 2048
/* 128 + the signal, as a shell reports it: 130 SIGINT, 143 SIGTERM */
#define CLI_EXIT_INTERRUPTED 130
#define RECORD_CAP_MB_DEFAULT 1024

/* What a campaign writes to the trace file (--record). */
enum record_mode {
	RECORD_NONE,
	RECORD_FAILURES, /* every run's row; failing runs with events */
	RECORD_ALL,	 /* every run's row with its events: failing runs'
			  * stored, the others' regenerated when read */
};

struct sim_opts {
	u64 first, last; /* seeds, inclusive */
	bool campaign;
	bool seed_set, runs_set, seeds_set;
	u64 steps;
	enum sim_device_type device;
	struct adversary adv;
	bool swarm;
	u32 plants; /* 1 << enum sim_plant */
	bool json, quiet, list;
	char adversary[SPEC_BYTES]; /* canonical --adversary value */
	enum record_mode record;
	u64 record_cap_mb; /* --record all stores at most this much */
	const char *db_path;
	unsigned int jobs;  /* worker processes */
	double run_timeout; /* seconds: a run still going then is a hang */
	bool stop_on_failure;
};

/* The open trace file of a recording command (recorder.h: runs are
 * queued and written in short transactions, so that other processes can
 * record into the same file). */
struct recorder {
	struct trace_recorder *db;
	int error; /* a failed write: the campaign stops, exit status 2 */
	u64 cap_bytes;
	bool capped;  /* past the cap: no more events of passing runs */
	u64 uncapped; /* runs stored without events because of the cap */
	struct trace_recorder_stats stats; /* at close */
};

struct oracle_count {
	char name[NAME_BYTES];
	u64 count;
};

struct failure {
	u64 seed;
	enum sim_device_type device;
	char oracle[NAME_BYTES];
	u64 step;
	char message[sizeof(((struct sim_result *)0)->message)];
	s64 run; /* its id in the trace file, 0 when not recorded */
};

struct campaign {
	const struct recorder *rec; /* what was stored, once closed */
	u64 total, runs, failed;
	u64 steps, events;
	struct oracle_count oracles[ORACLES_MAX];
	size_t noracles;
	u64 device_runs[SIM_DEVICE_COUNT], device_failed[SIM_DEVICE_COUNT];
	u64 legacy_runs, modern_runs, bound_runs;
	u64 stalls, stall_runs;
	u64 enabled_runs[ADV_COUNT], fired[ADV_COUNT], fired_runs[ADV_COUNT];
	struct failure failures[FAILURES_SHOWN];
	double seconds;
	int interrupted; /* the signal that stopped it, 0: none */
	bool stopped;
};

/* --- usage ------------------------------------------------------------------ */

void cli_sim_usage(FILE *out)
{
	fprintf(out,
		"usage: ringside sim [options]\n"
		"\n"
		"Runs the simulated world: one run with --seed, or a campaign "
		"of\n"
		"consecutive seeds with --runs or --seeds. Each run is a pure\n"
		"function of its seed and the flags below.\n"
		"\n"
		"Options:\n"
		"  --seed N           the run's seed, or a campaign's first "
		"seed\n"
		"                     (default 1; decimal or 0x hex, 64 bits)\n"
		"  --runs N           a campaign of N seeds from --seed\n"
		"  --seeds A..B       a campaign of the seeds A to B "
		"(inclusive)\n"
		"  --device D         block, entropy, console, net, or any "
		"(default:\n"
		"                     any, drawn per run from its seed)\n"
		"  --adversary A      none, all, swarm, or NAME,NAME,... "
		"(default:\n"
		"                     swarm, a set drawn per run from its "
		"seed)\n"
		"  --list-adversaries print the catalogue of behaviours and "
		"exit\n"
		"  --steps N          scheduler steps per run (default %u)\n"
		"  --plant F,F,...    plant faults, to see the oracles fire: "
		"lost-token,\n"
		"                     device-stall, deaf-driver, "
		"corrupt-data,\n"
		"                     driver-rule, false-break, "
		"accept-foreign,\n"
		"                     null-token, leak, double-return\n",
		SIM_STEPS_DEFAULT);
	fprintf(out,
		"  --db FILE          the trace file runs are recorded in "
		"(default %s;\n"
		"                     created when missing)\n"
		"  --record R         none, failures or all (default "
		"failures): what\n"
		"                     goes into the trace file. failures: "
		"every run's\n"
		"                     summary row, and failing runs "
		"re-executed "
		"with their\n"
		"                     events and choices stored (replay, "
		"minimise and\n"
		"                     export them); all: every run's events "
		"too\n"
		"                     (a passing run's are regenerated from "
		"its seed\n"
		"                     when read: ringside show, export; "
		"ringside\n"
		"                     materialise stores them for sqlite3)\n"
		"  --record-cap MB    with --record all, the most this "
		"campaign\n"
		"                     stores (default %d MB): past it, runs "
		"are\n"
		"                     stored as --record failures stores them\n"
		"  --no-db            no trace file (the same as --record "
		"none)\n",
		TRACE_DEFAULT_PATH, RECORD_CAP_MB_DEFAULT);
	fprintf(out,
		"  --jobs N           worker processes running the seeds "
		"(default: the\n"
		"                     number of cores); the output is the same "
		"for every N\n"
		"  --run-timeout S    seconds a run may take before it counts "
		"as a hang\n"
		"                     (default %.0f)\n"
		"  --stop-on-failure  end the campaign at its first failing "
		"run\n",
		RUN_TIMEOUT_DEFAULT);
	fputs("  --json             one JSON object on stdout instead of text\n"
	      "  --quiet            no progress lines on stderr\n"
	      "  --help             this text\n"
	      "\n"
	      "Output: the first line is seed=N (the first seed). A single "
	      "run\n"
	      "prints its verdict and counts; a campaign prints progress on "
	      "stderr\n"
	      "(about every second), then a summary: failures by oracle, runs "
	      "per\n"
	      "device, behaviour coverage (NEVER FIRED: enabled but never "
	      "fired),\n"
	      "the first 20 failures, and \"reproduce with:\" the command "
	      "that\n"
	      "repeats the first failing run. A recorded failure also says\n"
	      "\"replay with: ringside replay DB RUN\".\n"
	      "\n"
	      "Every run executes in a worker process: a run that crashes "
	      "(assert,\n"
	      "signal, sanitizer report) or outlives --run-timeout is a "
	      "failing run\n"
	      "with oracle crash or hang (its signal or sanitizer kind and "
	      "the first\n"
	      "lines of its report are recorded), and the campaign goes on. "
	      "Ctrl-C or\n"
	      "SIGTERM stops it with the summary of the runs done so far.\n"
	      "\n"
	      "Exit status: 0 every run passed, 1 a run failed (or "
	      "crashed, or hung),\n"
	      "2 usage error or a trace file that cannot be written (the "
	      "campaign\n"
	      "stops at once and says how many runs the file keeps), 130 "
	      "SIGINT,\n"
	      "143 SIGTERM.\n",
	      out);
}

static int usage_error(const char *fmt, ...) __printf(1, 2);

static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_usage_error("sim", cli_sim_usage, "%s", msg);
}

/* --- options ---------------------------------------------------------------- */

enum opt_id {
	OPT_SEED,
	OPT_RUNS,
	OPT_SEEDS,
	OPT_DEVICE,
	OPT_ADVERSARY,
	OPT_STEPS,
	OPT_PLANT,
	OPT_JSON,
	OPT_QUIET,
	OPT_LIST,
	OPT_DB,
	OPT_RECORD,
	OPT_RECORD_CAP,
	OPT_NO_DB,
	OPT_JOBS,
	OPT_RUN_TIMEOUT,
	OPT_STOP_ON_FAILURE,
	OPT_HELP,
};

struct opt {
	const char *name;
	enum opt_id id;
	bool value;
};

static const struct opt opts_table[] = {
	{ "--seed", OPT_SEED, true },
	{ "--runs", OPT_RUNS, true },
	{ "--seeds", OPT_SEEDS, true },
	{ "--device", OPT_DEVICE, true },
	{ "--adversary", OPT_ADVERSARY, true },
	{ "--steps", OPT_STEPS, true },
	{ "--plant", OPT_PLANT, true },
	{ "--json", OPT_JSON, false },
	{ "--quiet", OPT_QUIET, false },
	{ "--list-adversaries", OPT_LIST, false },
	{ "--db", OPT_DB, true },
	{ "--record", OPT_RECORD, true },
	{ "--record-cap", OPT_RECORD_CAP, true },
	{ "--no-db", OPT_NO_DB, false },
	{ "--jobs", OPT_JOBS, true },
	{ "--run-timeout", OPT_RUN_TIMEOUT, true },
	{ "--stop-on-failure", OPT_STOP_ON_FAILURE, false },
	{ "--help", OPT_HELP, false },
	{ "-h", OPT_HELP, false },
};

#define NOPTS (sizeof(opts_table) / sizeof(opts_table[0]))

static const struct opt *find_opt(const char *arg)
{
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		if (opts_table[i].value
			    ? cli_option_match(arg, opts_table[i].name)
			    : strcmp(arg, opts_table[i].name) == 0)
			return &opts_table[i];
	}
	return NULL;
}

static int parse_number(const char *opt, const char *v, u64 *out)
{
	if (cli_parse_u64(v, out) != 0)
		return usage_error("bad %s value '%s': expected a number "
				   "(decimal or 0x hex, below 2^64)",
				   opt, v);
	return 0;
}

static int parse_seconds(struct sim_opts *o, const char *v)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(v, &end);
	if (errno || end == v || *end || !(s >= 0.01 && s <= 86400))
		return usage_error("bad --run-timeout value '%s': seconds, "
				   "0.01 to 86400",
				   v);
	o->run_timeout = s;
	return 0;
}

static int parse_seeds(struct sim_opts *o, const char *v)
{
	const char *dots = strstr(v, "..");
	char left[64];
	size_t len;

	if (!dots)
		return usage_error("bad --seeds value '%s': expected A..B", v);
	len = (size_t)(dots - v);
	if (len == 0 || len >= sizeof(left) || dots[2] == '\0')
		return usage_error("bad --seeds value '%s': expected A..B", v);
	memcpy(left, v, len);
	left[len] = '\0';
	if (cli_parse_u64(left, &o->first) != 0 ||
	    cli_parse_u64(dots + 2, &o->last) != 0)
		return usage_error("bad --seeds value '%s': expected A..B, two "
				   "numbers (decimal or 0x hex)",
				   v);
	if (o->first > o->last)
		return usage_error("bad --seeds value '%s': the first seed is "
				   "above the last",
				   v);
	if (o->first == 0 && o->last == UINT64_MAX)
		return usage_error("bad --seeds value '%s': too many runs", v);
	return 0;
}

static int parse_plants(struct sim_opts *o, const char *v)
{
	const char *p = v;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int i;

		i = (int)sim_plant_lookup(p, len);
		if (i == SIM_PLANT_COUNT)
			return usage_error("unknown fault '%.*s' in --plant",
					   (int)len, p);
		o->plants |= 1u << i;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* The --adversary value that rebuilds the same configuration. */
static void adversary_spec(struct sim_opts *o)
{
	size_t used = 0;
	unsigned int b, n = 0;

	if (o->swarm) {
		snprintf(o->adversary, sizeof(o->adversary), "swarm");
		return;
	}
	for (b = 0; b < ADV_COUNT; b++)
		n += adv_enabled(&o->adv, b);
	if (n == 0 || n == ADV_COUNT) {
		snprintf(o->adversary, sizeof(o->adversary), "%s",
			 n ? "all" : "none");
		return;
	}
	o->adversary[0] = '\0';
	for (b = 0; b < ADV_COUNT; b++) {
		if (!adv_enabled(&o->adv, b))
			continue;
		used += (size_t)snprintf(o->adversary + used,
					 sizeof(o->adversary) - used, "%s%s",
					 used ? "," : "", adv_info(b)->name);
		assert(used < sizeof(o->adversary));
	}
}

static int parse_adversary(struct sim_opts *o, const char *v)
{
	char bad[64];

	if (adv_config_parse(&o->adv, v, &o->swarm, bad, sizeof(bad)) != 0)
		return usage_error("unknown behaviour '%s' in --adversary (see "
				   "ringside sim --list-adversaries)",
				   bad);
	adversary_spec(o);
	return 0;
}

static int parse_device(struct sim_opts *o, const char *v)
{
	o->device = sim_device_lookup(v);
	if (o->device == SIM_DEVICE_COUNT)
		return usage_error("unknown device '%s' in --device (block, "
				   "entropy, console, net or any)",
				   v);
	return 0;
}

static int parse_record(struct sim_opts *o, const char *v)
{
	if (strcmp(v, "none") == 0)
		o->record = RECORD_NONE;
	else if (strcmp(v, "failures") == 0)
		o->record = RECORD_FAILURES;
	else if (strcmp(v, "all") == 0)
		o->record = RECORD_ALL;
	else
		return usage_error("bad --record value '%s': none, failures "
				   "or all",
				   v);
	return 0;
}

static int apply_opt(struct sim_opts *o, const struct opt *opt, const char *v)
{
	u64 n;

	switch (opt->id) {
	case OPT_SEED:
		o->seed_set = true;
		return parse_number("--seed", v, &o->first);
	case OPT_RUNS:
		o->runs_set = true;
		if (parse_number("--runs", v, &n))
			return CLI_EXIT_USAGE;
		if (n == 0)
			return usage_error("bad --runs value '%s': at least 1",
					   v);
		o->last = n - 1; /* an offset until the first seed is known */
		return 0;
	case OPT_SEEDS:
		o->seeds_set = true;
		return parse_seeds(o, v);
	case OPT_DEVICE:
		return parse_device(o, v);
	case OPT_ADVERSARY:
		return parse_adversary(o, v);
	case OPT_STEPS:
		if (parse_number("--steps", v, &o->steps))
			return CLI_EXIT_USAGE;
		if (o->steps == 0 || o->steps > SIM_STEPS_MAX)
			return usage_error("bad --steps value '%s': 1 to %llu",
					   v,
					   (unsigned long long)SIM_STEPS_MAX);
		return 0;
	case OPT_PLANT:
		return parse_plants(o, v);
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_LIST:
		o->list = true;
		return 0;
	case OPT_DB:
		if (!*v)
			return usage_error("bad --db value '': a file name");
		o->db_path = v;
		return 0;
	case OPT_RECORD:
		return parse_record(o, v);
	case OPT_RECORD_CAP:
		if (parse_number("--record-cap", v, &o->record_cap_mb))
			return CLI_EXIT_USAGE;
		if (o->record_cap_mb == 0 || o->record_cap_mb > (1u << 30))
			return usage_error("bad --record-cap value '%s': MB, "
					   "1 to 2^30",
					   v);
		return 0;
	case OPT_NO_DB:
		o->record = RECORD_NONE;
		return 0;
	case OPT_JOBS:
		if (parse_number("--jobs", v, &n))
			return CLI_EXIT_USAGE;
		if (n == 0 || n > WORKERS_MAX)
			return usage_error("bad --jobs value '%s': 1 to %d", v,
					   WORKERS_MAX);
		o->jobs = (unsigned int)n;
		return 0;
	case OPT_RUN_TIMEOUT:
		return parse_seconds(o, v);
	case OPT_STOP_ON_FAILURE:
		o->stop_on_failure = true;
		return 0;
	case OPT_HELP:
		break;
	}
	return 0;
}

/* Seeds: --seed alone is one run; --runs from --seed, or --seeds. */
static int settle_seeds(struct sim_opts *o)
{
	u64 offset = o->last;

	if (o->seeds_set && (o->seed_set || o->runs_set))
		return usage_error("--seeds cannot go with --seed or --runs");
	if (o->seeds_set) {
		o->campaign = true;
		return 0;
	}
	if (!o->seed_set)
		o->first = 1;
	o->last = o->first;
	if (!o->runs_set)
		return 0;
	o->campaign = true;
	if (o->first + offset < o->first ||
	    (o->first == 0 && offset == UINT64_MAX))
		return usage_error("--seed %llu --runs %llu goes past the last "
				   "seed, 2^64-1",
				   (unsigned long long)o->first,
				   (unsigned long long)offset + 1);
	o->last = o->first + offset;
	return 0;
}

/* One worker per core. */
static unsigned int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (unsigned int)n;
}

/* 0 to go on, -1 when --help was printed, else an exit status. */
static int parse_args(struct sim_opts *o, int argc, char **argv)
{
	int i, err;

	memset(o, 0, sizeof(*o));
	o->steps = SIM_STEPS_DEFAULT;
	o->device = SIM_DEVICE_ANY;
	o->swarm = true;
	o->record = RECORD_FAILURES;
	o->record_cap_mb = RECORD_CAP_MB_DEFAULT;
	o->db_path = TRACE_DEFAULT_PATH;
	o->jobs = default_jobs();
	o->run_timeout = RUN_TIMEOUT_DEFAULT;
	adversary_spec(o);
	for (i = 1; i < argc; i++) {
		const struct opt *opt = find_opt(argv[i]);
		const char *v = NULL;

		if (!opt)
			return usage_error("unknown %s '%s'",
					   argv[i][0] == '-' ? "option"
							     : "argument",
					   argv[i]);
		if (opt->id == OPT_HELP) {
			cli_sim_usage(stdout);
			return -1;
		}
		if (opt->value) {
			v = cli_option_value(argc, argv, &i);
			if (!v)
				return usage_error("option '%s' needs a value",
						   opt->name);
		}
		err = apply_opt(o, opt, v);
		if (err)
			return err;
	}
	return settle_seeds(o);
}

/* --- one run ---------------------------------------------------------------- */

/* --- recording -------------------------------------------------------------- */

static int record_open(const struct sim_opts *o, struct recorder *rec)
{
	char err[RECORD_ERR_BYTES];

	memset(rec, 0, sizeof(*rec));
	if (o->record == RECORD_NONE || o->list)
		return 0;
	if (trace_recorder_open(o->db_path, &rec->db, err, sizeof(err))) {
		fprintf(stderr, "ringside sim: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	rec->cap_bytes = o->record_cap_mb << 20;
	return 0;
}

static void record_error(struct recorder *rec)
{
	if (rec->error)
		return;
	fprintf(stderr,
		"ringside sim: recording failed, the campaign stops: %s\n",
		trace_recorder_errmsg(rec->db));
	rec->error = CLI_EXIT_USAGE;
}

/* Closes the trace file; returns the exit status a failed write asks for
 * (0 when every run was recorded). */
static int record_close(struct recorder *rec)
{
	if (!rec->db)
		return 0;
	trace_recorder_flush(rec->db);
	trace_recorder_stats(rec->db, &rec->stats);
	if (trace_recorder_close(rec->db))
		record_error(rec);
	rec->db = NULL;
	return rec->error;
}

/* Adds one run (its events when log is given, else marked regenerated
 * when regen, its choices when choices is not NULL); returns its id when
 * want_id (0 when it was not recorded). report: a crash run's report,
 * kept as its input. */
static s64 record_run(struct recorder *rec, u64 seed,
		      const struct sim_config *cfg, const struct sim_result *r,
		      const u64 *choices, size_t n, const struct event_log *log,
		      bool regen, double seconds, const char *report,
		      bool want_id)
{
	bool events = log && event_log_complete(log);
	struct trace_run tr;
	s64 id = 0;

	if (!rec->db || rec->error)
		return 0;
	if (replay_fill_run(&tr, TRACE_SOURCE_SIM, seed, cfg, r, choices, n, 0,
			    events  ? TRACE_EVENTS_STORED
			    : regen ? TRACE_EVENTS_REGENERATED
				    : TRACE_EVENTS_NONE)) {
		fputs("ringside sim: recording failed: out of memory\n",
		      stderr);
		rec->error = CLI_EXIT_USAGE;
		return 0;
	}
	tr.duration_us = (s64)(seconds * 1e6);
	/* a crash run keeps its report as its input (trace.h) */
	if (report && report[0]) {
		tr.input = (u8 *)strdup(report);
		tr.input_len = tr.input ? strlen(report) : 0;
	}
	if (tr.has_events == TRACE_EVENTS_REGENERATED &&
	    !trace_run_regenerable(&tr))
		tr.has_events = TRACE_EVENTS_NONE;
	if (trace_recorder_add(rec->db, &tr, events ? log : NULL,
			       want_id ? &id : NULL))
		record_error(rec);
	trace_run_free(&tr);
	trace_recorder_stats(rec->db, &rec->stats);
	if (!rec->capped && rec->stats.bytes >= rec->cap_bytes) {
		rec->capped = true;
		fprintf(stderr,
			"ringside sim: --record-cap %llu MB reached: the "
			"runs that follow are stored without their events "
			"unless they fail\n",
			(unsigned long long)(rec->cap_bytes >> 20));
	}
	return id;
}

/* --- one run ---------------------------------------------------------------- */

static void make_config(const struct sim_opts *o, u64 seed,
			struct sim_config *cfg)
{
	unsigned int p;

	*cfg = (struct sim_config){
		.seed = seed,
		.steps_max = o->steps,
		.device = o->device,
		.adversary = o->swarm ? NULL : &o->adv,
		.swarm = o->swarm,
	};
	for (p = 0; p < SIM_PLANT_COUNT; p++)
		sim_plant_set(cfg, (enum sim_plant)p, o->plants & 1u << p);
}

/*
 * What a worker sends the parent after each run, followed by nchoices
 * u64 (a failing run's choices, when it records them) and nevents
 * struct sim_event (its events, when they are recorded). The worker is a
 * fork of the parent, so sim_result's oracle pointer stays valid.
 */
struct run_msg {
	u64 seed;
	struct sim_result r;
	double seconds;
	bool has_choices; /* nchoices follow (possibly 0) */
	u64 nchoices;
	u64 nevents;
};

/* A failing run that is recorded is run again in a fresh process
 * (take_fresh); how that went is said when the run is delivered, so that
 * it is said in seed order. */
enum fresh_state {
	FRESH_NONE,	  /* not wanted */
	FRESH_WANTED,	  /* waiting for a free fresh job */
	FRESH_RUNNING,	  /* a fresh job runs it */
	FRESH_SAME,	  /* the same run: its events are recorded */
	FRESH_DIFFERENT,  /* it ran differently: the fresh run is recorded */
	FRESH_PASSES,	  /* alone it passes: recorded without events */
	FRESH_INCOMPLETE, /* the fresh run crashed, hung or sent nonsense */
	FRESH_STOPPED,	  /* the campaign was stopped first */
};

/* A run the parent holds until its turn comes (seed order). */
struct done_run {
	struct run_msg m;
	u64 *choices;
	struct sim_event *events;
	bool crashed; /* crash or hang: end says how */
	struct isolate_end *end;
	enum fresh_state fresh;
	u64 worker_hash; /* the event hash of the worker's own run */
};

/* A request to a worker: count seeds from first; count 0 ends it. */
struct run_request {
	u64 first;
	u64 count;
};

/*
 * Runs seed and sends the parent its result: its choices too when it
 * failed and is recorded, its events only with_log. A worker runs without
 * a log (the events of passing runs are never kept: --record all
 * regenerates them when they are read); a failing run's events come from
 * a run of its seed in a fresh process (fresh_main, take_fresh).
 */
static int worker_run(const struct sim_opts *o, struct shared_choices *sc,
		      u64 seed, int out_fd, bool with_log)
{
	bool recording = o->record != RECORD_NONE;
	struct choice_source *cs;
	struct sim_config cfg;
	struct event_log log;
	struct run_msg m = { .seed = seed };
	double start = cli_now();
	int err = 0;

	make_config(o, seed, &cfg);
	event_log_init(&log, with_log ? 0 : 1);
	cfg.log = with_log ? &log : NULL;
	/* the draws go to the log the parent reads if this run crashes */
	cs = shared_choices_seed(sc, seed);
	err = sim_run(&cfg, cs, &m.r);
	assert(err == 0);
	m.seconds = cli_now() - start;
	m.has_choices = recording && m.r.failed && choice_recordable(cs);
	if (m.has_choices)
		m.nchoices = choice_count(cs);
	if (with_log && event_log_complete(&log))
		m.nevents = event_log_stored(&log);
	if (isolate_write_full(out_fd, &m, sizeof(m)) ||
	    isolate_write_full(out_fd, choice_values(cs),
			       m.nchoices * sizeof(u64)) ||
	    isolate_write_full(out_fd, log.events,
			       m.nevents * sizeof(struct sim_event)))
		err = 1;
	event_log_free(&log);
	return err;
}

/* What a worker is started with. */
struct worker_ctx {
	const struct sim_opts *o;
	struct shared_choices *sc;
};

/* A worker: runs the seeds it is asked for until asked to stop. */
static int worker_main(void *ctx, int in_fd, int out_fd)
{
	const struct worker_ctx *wc = ctx;
	struct run_request req;
	u64 i;

	for (;;) {
		if (isolate_read_full(in_fd, &req, sizeof(req)) ||
		    req.count == 0)
			return 0;
		for (i = 0; i < req.count; i++) {
			if (worker_run(wc->o, wc->sc, req.first + i, out_fd,
				       false))
				return 1;
			isolate_mark_stderr();
		}
	}
}

static const char *mode_name(int mode)
{
	/* 0: a run that crashed or hung before its mode was known */
	return mode == SIMT_MODERN ? "1.x" : mode ? "legacy" : "unknown";
}

static const char *oracle_name(const struct sim_result *r)
{
	return r->oracle ? r->oracle : "unknown";
}

/* The command that repeats the run of seed (see the top of the file). */
static void reproduce(const struct sim_opts *o, u64 seed, char *buf, size_t len)
{
	int n, p;

	n = snprintf(buf, len,
		     "ringside sim --seed %llu --device %s --adversary %s "
		     "--steps %llu",
		     (unsigned long long)seed, sim_device_name(o->device),
		     o->adversary, (unsigned long long)o->steps);
	assert(n > 0 && (size_t)n < len);
	for (p = 0; p < SIM_PLANT_COUNT; p++) {
		if (!(o->plants & 1u << p))
			continue;
		n += snprintf(buf + n, len - (size_t)n, "%s%s",
			      strstr(buf, " --plant ") ? "," : " --plant ",
			      sim_plant_name((enum sim_plant)p));
		assert((size_t)n < len);
	}
}

static void print_run_text(const struct sim_opts *o, u64 seed,
			   const struct sim_result *r, s64 id,
			   const char *report)
{
	char cmd[REPRODUCE_BYTES];
	unsigned int b, enabled = 0, fired = 0;

	printf("seed=%llu\n", (unsigned long long)seed);
	if (r->failed)
		printf("result: FAILED oracle=%s step=%llu: %s\n",
		       oracle_name(r), (unsigned long long)r->fail_step,
		       r->message);
	else
		printf("result: passed\n");
	if (report[0])
		printf("report:\n%s%s", report,
		       report[strlen(report) - 1] == '\n' ? "" : "\n");
	printf("device: %s (%s)\n", sim_device_name(r->device),
	       mode_name(r->mode));
	printf("steps: %llu\n", (unsigned long long)r->steps);
	printf("events: %llu (hash 0x%016llx)\n", (unsigned long long)r->events,
	       (unsigned long long)r->event_hash);
	printf("choices: %llu\n", (unsigned long long)r->choices);
	printf("tokens: added %llu, got %llu, detached %llu\n",
	       (unsigned long long)r->tokens_added,
	       (unsigned long long)r->tokens_got,
	       (unsigned long long)r->tokens_detached);
	printf("completions: %llu (%llu bytes), data checked %llu\n",
	       (unsigned long long)r->completed, (unsigned long long)r->bytes,
	       (unsigned long long)r->data_checked);
	printf("probes: %llu, unplugs %llu, device stalls (excused) %llu\n",
	       (unsigned long long)r->probes, (unsigned long long)r->unplugs,
	       (unsigned long long)r->device_stalls);
	for (b = 0; b < ADV_COUNT; b++) {
		enabled += r->rate[b] != 0;
		fired += r->fired[b] != 0;
	}
	printf("behaviours: %u enabled, %u fired (adversary %s)\n", enabled,
	       fired, o->adversary);
	for (b = 0; b < ADV_COUNT; b++) {
		if (!r->rate[b] && !r->fired[b])
			continue;
		printf("  %-18s rate %4u/%u  fired %llu\n", adv_info(b)->name,
		       r->rate[b], ADV_RATE_DEN,
		       (unsigned long long)r->fired[b]);
	}
	if (r->failed) {
		if (id)
			printf("replay with: ringside replay %s %lld\n",
			       o->db_path, (long long)id);
		reproduce(o, seed, cmd, sizeof(cmd));
		printf("reproduce with: %s\n", cmd);
	}
}

static void json_u64(const char *key, u64 v, bool comma)
{
	printf("\"%s\": %llu%s", key, (unsigned long long)v, comma ? ", " : "");
}

static void json_str(const char *key, const char *v, bool comma)
{
	printf("\"%s\": ", key);
	if (v)
		cli_json_string(stdout, v);
	else
		fputs("null", stdout);
	if (comma)
		fputs(", ", stdout);
}

/* "db": the trace file (null when not recording), "run": the id. */
static void json_record(const struct sim_opts *o, s64 id)
{
	json_str("db", o->record == RECORD_NONE ? NULL : o->db_path, true);
	if (id)
		json_u64("run", (u64)id, true);
	else
		fputs("\"run\": null, ", stdout);
}

static void print_run_json(const struct sim_opts *o, u64 seed,
			   const struct sim_result *r, s64 id)
{
	char cmd[REPRODUCE_BYTES];
	unsigned int b;
	bool first = true;

	putchar('{');
	json_u64("seed", seed, true);
	json_str("result", r->failed ? "failed" : "passed", true);
	json_str("oracle", r->failed ? oracle_name(r) : NULL, true);
	json_str("message", r->failed ? r->message : NULL, true);
	if (r->failed)
		json_u64("fail_step", r->fail_step, true);
	else
		fputs("\"fail_step\": null, ", stdout);
	json_str("device", sim_device_name(r->device), true);
	json_str("mode", mode_name(r->mode), true);
	json_str("adversary", o->adversary, true);
	json_record(o, id);
	json_u64("steps", r->steps, true);
	json_u64("events", r->events, true);
	printf("\"event_hash\": \"0x%016llx\", ",
	       (unsigned long long)r->event_hash);
	json_u64("choices", r->choices, true);
	json_u64("tokens_added", r->tokens_added, true);
	json_u64("tokens_got", r->tokens_got, true);
	json_u64("tokens_detached", r->tokens_detached, true);
	json_u64("completed", r->completed, true);
	json_u64("bytes", r->bytes, true);
	json_u64("data_checked", r->data_checked, true);
	json_u64("device_stalls", r->device_stalls, true);
	json_u64("probes", r->probes, true);
	json_u64("unplugs", r->unplugs, true);
	fputs("\"behaviours\": [", stdout);
	for (b = 0; b < ADV_COUNT; b++) {
		if (!r->rate[b] && !r->fired[b])
			continue;
		printf("%s{", first ? "" : ", ");
		first = false;
		json_str("name", adv_info(b)->name, true);
		json_u64("rate", r->rate[b], true);
		json_u64("fired", r->fired[b], false);
		putchar('}');
	}
	fputs("], ", stdout);
	reproduce(o, seed, cmd, sizeof(cmd));
	json_str("reproduce", r->failed ? cmd : NULL, false);
	puts("}");
}

/* --- campaigns -------------------------------------------------------------- */

static void count_oracle(struct campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->noracles; i++) {
		if (strcmp(c->oracles[i].name, name) == 0) {
			c->oracles[i].count++;
			return;
		}
	}
	/* The oracles are a short fixed list (world.h); the last slot
	 * collects any beyond it. */
	if (c->noracles == ORACLES_MAX)
		i = ORACLES_MAX - 1;
	else
		i = c->noracles++;
	snprintf(c->oracles[i].name, sizeof(c->oracles[i].name), "%s", name);
	c->oracles[i].count++;
}

static void account(struct campaign *c, u64 seed, const struct sim_result *r,
		    s64 id)
{
	unsigned int b;

	c->runs++;
	c->steps += r->steps;
	c->events += r->events;
	if (r->device < SIM_DEVICE_COUNT)
		c->device_runs[r->device]++;
	if (r->mode == SIMT_MODERN)
		c->modern_runs++;
	else if (r->mode == SIMT_LEGACY)
		c->legacy_runs++;
	c->bound_runs += r->driver_bound;
	c->stalls += r->device_stalls;
	c->stall_runs += r->device_stalls != 0;
	for (b = 0; b < ADV_COUNT; b++) {
		c->enabled_runs[b] += r->rate[b] != 0;
		c->fired[b] += r->fired[b];
		c->fired_runs[b] += r->fired[b] != 0;
	}
	if (!r->failed)
		return;
	if (c->failed < FAILURES_SHOWN) {
		struct failure *f = &c->failures[c->failed];

		f->seed = seed;
		f->device = r->device;
		snprintf(f->oracle, sizeof(f->oracle), "%s", oracle_name(r));
		f->step = r->fail_step;
		snprintf(f->message, sizeof(f->message), "%s", r->message);
		f->run = id;
	}
	c->failed++;
	if (r->device < SIM_DEVICE_COUNT)
		c->device_failed[r->device]++;
	count_oracle(c, oracle_name(r));
}

/* On a terminal the progress line rewrites itself; elsewhere (a log) it is
 * one line each time. */
static void progress(const struct campaign *c, double start, bool tty,
		     bool done)
{
	double t = cli_now() - start;

	fprintf(stderr,
		"%sringside sim: %llu/%llu runs, %llu failed, %.0f runs/s%s",
		tty ? "\r" : "", (unsigned long long)c->runs,
		(unsigned long long)c->total, (unsigned long long)c->failed,
		t > 0 ? (double)c->runs / t : 0.0,
		tty ? (done ? "\033[K\n" : "\033[K") : "\n");
}

/* --- workers ---------------------------------------------------------------- */

/*
 * The parent's side of a campaign: it hands out seeds to --jobs workers
 * (isolate.h) in chunks, takes each run's result as soon as it is done,
 * and delivers them in seed order (record, then account), so that the
 * trace file's run ids, the summary and the JSON are the same for every
 * number of workers. It knows which seed each worker is on: a worker that
 * dies makes that seed a crash run, one that outlives --run-timeout is
 * killed and makes it a hang run; a new worker takes the rest of the
 * chunk. A worker sends each run before it starts the next, so a crash
 * loses nothing it finished.
 */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

struct worker {
	struct isolate_child child; /* pid 0: not running */
	struct worker_ctx ctx;	    /* its shared choice log (crash.h) */
	bool busy;
	u64 next, end; /* its chunk (seed offsets): next is running */
	double since;  /* when its current run began */
};

struct seed_range {
	u64 next, end;
};

/* What a fresh run is started with. */
struct fresh_ctx {
	const struct sim_opts *o;
	u64 seed;
};

/* A fresh run in flight, for the run held at offset. */
struct fresh_job {
	struct isolate_job job;
	struct fresh_ctx ctx;
	u64 offset;
	bool busy;
};

struct pool {
	const struct sim_opts *o;
	struct recorder *rec;
	struct campaign *c;
	struct worker w[WORKERS_MAX];
	u64 total;  /* seeds */
	u64 handed; /* offsets below it were handed out */
	u64 base;   /* the first offset not yet delivered */
	struct done_run *slot[WINDOW_SEEDS];
	struct seed_range requeue[WORKERS_MAX];
	unsigned int nrequeue;
	/* fresh runs: as many at once as workers */
	struct fresh_job fresh[WORKERS_MAX];
	unsigned int fresh_wanted; /* held runs waiting for one */
	u64 fresh_stopped;	   /* delivered without one: stopped first */
	int error; /* a worker could not be started: exit status 2 */
	/* a single run: its result, kept for printing */
	struct sim_result single;
	s64 single_id;
	char single_report[REPORT_BYTES];
	/* progress */
	double start, last;
	bool tty, shown;
};

static void done_free_payload(struct done_run *d)
{
	free(d->choices);
	free(d->events);
	d->choices = NULL;
	d->events = NULL;
}

static void done_free(struct done_run *d)
{
	if (!d)
		return;
	done_free_payload(d);
	free(d->end);
	free(d);
}

/* --- a failing run, again in a fresh process -------------------------------- */

/* What a fresh run may send: its message, every choice, every event. */
#define FRESH_BYTES                                                            \
	(sizeof(struct run_msg) + CHOICE_LOG_MAX * sizeof(u64) +               \
	 EVENT_LOG_MAX * sizeof(struct sim_event))

/* Room for the choices and events d's message counts; -1 when it counts
 * more than a run can have, or out of memory. */
static int payload_alloc(struct done_run *d)
{
	size_t nc = (size_t)d->m.nchoices, ne = (size_t)d->m.nevents;

	if (d->m.nchoices > CHOICE_LOG_MAX || d->m.nevents > EVENT_LOG_MAX)
		return -1;
	d->choices = malloc((nc ? nc : 1) * sizeof(u64));
	d->events = malloc((ne ? ne : 1) * sizeof(*d->events));
	return d->choices && d->events ? 0 : -1;
}

/* The message and payload a fresh run sent, into d; -1 when malformed. */
static int fresh_payload(const u8 *buf, size_t got, struct done_run *d)
{
	size_t nc, ne;

	if (got < sizeof(d->m))
		return -1;
	memcpy(&d->m, buf, sizeof(d->m));
	if (payload_alloc(d))
		return -1;
	nc = (size_t)d->m.nchoices;
	ne = (size_t)d->m.nevents;
	if (got != sizeof(d->m) + nc * sizeof(u64) + ne * sizeof(*d->events))
		return -1;
	memcpy(d->choices, buf + sizeof(d->m), nc * sizeof(u64));
	memcpy(d->events, buf + sizeof(d->m) + nc * sizeof(u64),
	       ne * sizeof(*d->events));
	return 0;
}

/*
 * A failing run is recorded with its events, and a recorded run must
 * replay alone: so its events and choices come from a run of its seed in
 * a fresh process. A worker has run other seeds before it, and a broken
 * ring or bus can carry state from one run to the next; the worker's own
 * run then need not be what the seed does alone. The fresh runs are made
 * beside the workers, as many at once as there are workers, each a fork
 * of the campaign's own process, which never runs a world.
 */
static bool wants_fresh(const struct sim_opts *o, const struct done_run *d)
{
	return o->record != RECORD_NONE && d->m.r.failed && !d->crashed;
}

/* In a fork of the campaign's own process: no run before this one left
 * anything behind (a leaked bus index, say). */
static int fresh_main(void *ctx, int in_fd, int out_fd)
{
	const struct fresh_ctx *x = ctx;
	struct shared_choices *sc = shared_choices_create();
	int err;

	(void)in_fd;
	if (!sc)
		return 1;
	err = worker_run(x->o, sc, x->seed, out_fd, true);
	shared_choices_destroy(sc);
	return err;
}

/* The fresh run's result in place of the worker's, or the worker's kept
 * without events: d->fresh says which. */
static void take_fresh(struct done_run *d, struct done_run *fresh)
{
	d->worker_hash = d->m.r.event_hash;
	if (fresh->m.r.event_hash != d->m.r.event_hash && !fresh->m.r.failed) {
		d->fresh = FRESH_PASSES;
		return;
	}
	d->fresh = fresh->m.r.event_hash == d->m.r.event_hash ? FRESH_SAME
							      : FRESH_DIFFERENT;
	fresh->m.seconds = d->m.seconds;
	done_free_payload(d);
	d->m = fresh->m;
	d->choices = fresh->choices;
	d->events = fresh->events;
	fresh->choices = NULL;
	fresh->events = NULL;
}

static struct fresh_job *free_fresh_job(struct pool *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!p->fresh[i].busy)
			return &p->fresh[i];
	return NULL;
}

/* Starts fresh runs for the held runs that want one, oldest first. */
static void start_fresh(struct pool *p, unsigned int n)
{
	u64 off;

	for (off = p->base;
	     p->fresh_wanted && off < p->handed && off < p->base + WINDOW_SEEDS;
	     off++) {
		struct done_run *d = p->slot[off % WINDOW_SEEDS];
		struct fresh_job *f;

		if (!d || d->fresh != FRESH_WANTED)
			continue;
		f = free_fresh_job(p, n);
		if (!f)
			return;
		p->fresh_wanted--;
		f->ctx = (struct fresh_ctx){ .o = p->o, .seed = d->m.seed };
		f->offset = off;
		f->job = (struct isolate_job){ .grow = true };
		if (isolate_job_start(&f->job, fresh_main, &f->ctx,
				      p->o->run_timeout, FRESH_BYTES)) {
			d->fresh = FRESH_INCOMPLETE;
			continue;
		}
		f->busy = true;
		d->fresh = FRESH_RUNNING;
	}
}

/* f is over: its run goes to the run it was made for. */
static void fresh_over(struct pool *p, struct fresh_job *f)
{
	struct done_run *d = p->slot[f->offset % WINDOW_SEEDS];
	struct done_run fresh = { 0 };
	struct isolate_end end;

	assert(d && d->fresh == FRESH_RUNNING);
	isolate_job_end(&f->job, &end);
	f->busy = false;
	if (end.crashed || end.hung ||
	    fresh_payload((const u8 *)f->job.buf, f->job.got, &fresh))
		d->fresh = FRESH_INCOMPLETE;
	else
		take_fresh(d, &fresh);
	done_free_payload(&fresh);
	free(f->job.buf);
	f->job.buf = NULL;
}

/* The campaign stops: fresh runs in flight are killed, and every held
 * run that waited for one is delivered without it. */
static void stop_fresh(struct pool *p, unsigned int n)
{
	unsigned int i;
	u64 off;

	for (i = 0; i < n; i++) {
		struct fresh_job *f = &p->fresh[i];

		if (!f->busy)
			continue;
		isolate_finish(&f->job.child, true, false, NULL);
		free(f->job.buf);
		f->job.buf = NULL;
		f->busy = false;
	}
	for (off = p->base; off < p->base + WINDOW_SEEDS; off++) {
		struct done_run *d = p->slot[off % WINDOW_SEEDS];

		if (d &&
		    (d->fresh == FRESH_WANTED || d->fresh == FRESH_RUNNING))
			d->fresh = FRESH_STOPPED;
	}
	p->fresh_wanted = 0;
}

static void say_fresh(const struct done_run *d)
{
	unsigned long long seed = (unsigned long long)d->m.seed;

	switch (d->fresh) {
	case FRESH_DIFFERENT:
		fprintf(stderr,
			"ringside sim: seed %llu ran differently in a fresh "
			"process than after the runs before it in its worker "
			"(event hash 0x%016llx, then 0x%016llx): the fresh run "
			"is recorded\n",
			seed, (unsigned long long)d->worker_hash,
			(unsigned long long)d->m.r.event_hash);
		break;
	case FRESH_PASSES:
		fprintf(stderr,
			"ringside sim: seed %llu failed only after the runs "
			"before it in its worker: alone it passes; recorded "
			"without its events\n",
			seed);
		break;
	case FRESH_INCOMPLETE:
		fprintf(stderr,
			"ringside sim: seed %llu: its run in a fresh process "
			"failed to complete; recorded without its events\n",
			seed);
		break;
	default:
		break;
	}
}

static void deliver(struct pool *p, struct done_run *d)
{
	const struct sim_opts *o = p->o;
	char report[REPORT_BYTES] = "";
	struct sim_config cfg;
	struct event_log log;
	bool with_log, regen;
	u64 i;
	s64 id;

	say_fresh(d);
	p->fresh_stopped += d->fresh == FRESH_STOPPED;
	with_log = d->m.nevents > 0;
	make_config(o, d->m.seed, &cfg);
	if (d->crashed) {
		crash_result_fill(d->end, o->device, o->run_timeout, &d->m.r);
		d->m.r.choices = d->m.nchoices;
		crash_report_head(d->end->report, report, sizeof(report));
	}
	event_log_init(&log, 0);
	for (i = 0; i < d->m.nevents; i++) {
		const struct sim_event *ev = &d->events[i];

		event_log_add(&log, ev->step, ev->actor, ev->kind, ev->queue,
			      ev->a, ev->b, ev->c);
	}
	/* the events crossed a pipe: they must still be the run's */
	if (with_log && event_log_hash(&log) != d->m.r.event_hash) {
		fprintf(stderr,
			"ringside sim: seed %llu: the events a worker sent do "
			"not hash to its result; stored without them\n",
			(unsigned long long)d->m.seed);
		with_log = false;
	}
	/* --record all: a passing run's events are regenerated when read;
	 * past --record-cap it is stored without them */
	regen = o->record == RECORD_ALL && !with_log && !d->crashed;
	if (regen && p->rec->capped && !d->m.r.failed) {
		regen = false;
		p->rec->uncapped++;
	}
	id = record_run(p->rec, d->m.seed, &cfg, &d->m.r,
			d->m.has_choices ? d->choices : NULL, d->m.nchoices,
			with_log ? &log : NULL, regen, d->m.seconds, report,
			d->m.r.failed || !o->campaign);
	event_log_free(&log);
	account(p->c, d->m.seed, &d->m.r, id);
	if (!o->campaign) {
		p->single = d->m.r;
		p->single_id = id;
		snprintf(p->single_report, sizeof(p->single_report), "%s",
			 report);
	}
}

static bool work_left(const struct pool *p)
{
	u64 window = p->base + WINDOW_SEEDS;

	return p->nrequeue ||
	       p->handed < (window < p->total ? window : p->total);
}

static struct seed_range take_range(struct pool *p)
{
	u64 window = p->base + WINDOW_SEEDS, limit;
	struct seed_range r;

	if (p->nrequeue)
		return p->requeue[--p->nrequeue];
	limit = window < p->total ? window : p->total;
	r.next = p->handed;
	r.end = r.next + WORKER_CHUNK < limit ? r.next + WORKER_CHUNK : limit;
	p->handed = r.end;
	return r;
}

static int hand_out(struct pool *p, struct worker *w)
{
	struct seed_range r;
	struct run_request req;

	if (!w->ctx.sc) {
		w->ctx.o = p->o;
		w->ctx.sc = shared_choices_create();
	}
	if (!w->ctx.sc ||
	    (!w->child.pid && isolate_spawn(&w->child, worker_main, &w->ctx))) {
		fprintf(stderr, "ringside sim: cannot start a worker: %s\n",
			strerror(errno));
		p->error = CLI_EXIT_USAGE;
		return -1;
	}
	r = take_range(p);
	assert(r.next < r.end);
	req.first = p->o->first + r.next;
	req.count = r.end - r.next;
	w->next = r.next;
	w->end = r.end;
	w->busy = true;
	w->since = cli_now();
	if (isolate_write_full(w->child.in_fd, &req, sizeof(req)))
		return 0; /* it died: its crash is seen when it is read */
	return 0;
}

static void hold(struct pool *p, u64 offset, struct done_run *d)
{
	struct done_run **s = &p->slot[offset % WINDOW_SEEDS];

	assert(offset >= p->base && offset < p->base + WINDOW_SEEDS);
	assert(!*s);
	*s = d;
}

/* The worker died or hung on its current seed: that seed is a crash or
 * hang run, the rest of its chunk goes to another worker. */
static void worker_lost(struct pool *p, struct worker *w, bool hung)
{
	struct done_run *d = calloc(1, sizeof(*d));
	struct isolate_end *end = calloc(1, sizeof(*end));
	size_t n;

	isolate_finish(&w->child, hung, hung, end);
	if (!d || !end) {
		fputs("ringside sim: out of memory\n", stderr);
		abort();
	}
	if (!w->busy) {
		/* it ended between runs: nothing of ours was lost */
		free(d);
		free(end);
		return;
	}
	if (!end->crashed && !end->hung) {
		/* exited 0 in the middle of a chunk: still a broken run */
		snprintf(end->kind, sizeof(end->kind), "exit-0");
		end->crashed = true;
	}
	d->crashed = true;
	d->end = end;
	d->m.seed = p->o->first + w->next;
	/* its draws up to the crash: replay, minimise and export use them */
	if (p->o->record != RECORD_NONE &&
	    shared_choices_copy(w->ctx.sc, &d->choices, &n) == 0) {
		d->m.has_choices = true;
		d->m.nchoices = n;
	}
	hold(p, w->next, d);
	if (w->next + 1 < w->end) {
		assert(p->nrequeue < WORKERS_MAX);
		p->requeue[p->nrequeue++] =
			(struct seed_range){ w->next + 1, w->end };
	}
	w->busy = false;
}

static int read_payload(int fd, struct done_run *d)
{
	size_t nc = (size_t)d->m.nchoices, ne = (size_t)d->m.nevents;

	if (payload_alloc(d))
		return -1;
	if (nc && isolate_read_full(fd, d->choices, nc * sizeof(u64)))
		return -1;
	if (ne && isolate_read_full(fd, d->events, ne * sizeof(*d->events)))
		return -1;
	return 0;
}

/* A run arrived from w (or w is gone). */
static void worker_readable(struct pool *p, struct worker *w)
{
	struct done_run *d = calloc(1, sizeof(*d));

	if (!d || isolate_read_full(w->child.out_fd, &d->m, sizeof(d->m)) ||
	    !w->busy || d->m.seed != p->o->first + w->next ||
	    read_payload(w->child.out_fd, d)) {
		done_free(d);
		worker_lost(p, w, false);
		return;
	}
	hold(p, w->next, d);
	if (wants_fresh(p->o, d)) {
		d->fresh = FRESH_WANTED;
		p->fresh_wanted++;
	}
	w->next++;
	w->since = cli_now();
	w->busy = w->next < w->end;
}

/* Delivers the runs held in seed order; false once a failure stops the
 * campaign (--stop-on-failure). */
static bool deliver_ready(struct pool *p)
{
	struct done_run **s;

	while (p->base < p->total) {
		s = &p->slot[p->base % WINDOW_SEEDS];
		if (!*s || (*s)->fresh == FRESH_WANTED ||
		    (*s)->fresh == FRESH_RUNNING)
			return true;
		deliver(p, *s);
		done_free(*s);
		*s = NULL;
		p->base++;
		if (p->o->stop_on_failure && p->c->failed) {
			p->c->stopped = true;
			return false;
		}
	}
	return true;
}

static void show_progress(struct pool *p)
{
	double now;

	if (p->o->quiet || !p->o->campaign)
		return;
	now = cli_now();
	if (now - p->last < PROGRESS_SECONDS)
		return;
	progress(p->c, p->start, p->tty, false);
	p->last = now;
	p->shown = true;
}

/* Waits for the workers and the fresh runs (a run, an end, stderr text)
 * at most until the next run passes its time limit or the next progress
 * line. */
static void wait_workers(struct pool *p, unsigned int n)
{
	struct pollfd fds[4 * WORKERS_MAX];
	double now = cli_now(), wake = now + PROGRESS_SECONDS;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct worker *w = &p->w[i];

		fds[2 * i] =
			(struct pollfd){ .fd = w->child.pid ? w->child.out_fd
							    : -1,
					 .events = POLLIN };
		fds[2 * i + 1] =
			(struct pollfd){ .fd = w->child.pid ? w->child.err_fd
							    : -1,
					 .events = POLLIN };
		if (w->busy && w->since + p->o->run_timeout < wake)
			wake = w->since + p->o->run_timeout;
	}
	for (i = 0; i < n; i++) {
		struct fresh_job *f = &p->fresh[i];
		int jfd[2] = { -1, -1 };

		if (f->busy) {
			isolate_job_fds(&f->job, jfd);
			/* its time limit is on the same clock (monotonic) */
			if (f->job.until < wake)
				wake = f->job.until;
		}
		fds[2 * n + 2 * i] =
			(struct pollfd){ .fd = jfd[0], .events = POLLIN };
		fds[2 * n + 2 * i + 1] =
			(struct pollfd){ .fd = jfd[1], .events = POLLIN };
	}
	if (poll(fds, 4 * n, (int)((wake > now ? wake - now : 0) * 1000) + 1) <
	    0)
		return; /* a signal: the caller looks */
	for (i = 0; i < n; i++)
		if (p->fresh[i].busy && isolate_job_read(&p->fresh[i].job))
			fresh_over(p, &p->fresh[i]);
	now = cli_now();
	for (i = 0; i < n; i++) {
		struct worker *w = &p->w[i];

		if (!w->child.pid)
			continue;
		isolate_drain_stderr(&w->child, stderr);
		if (fds[2 * i].revents)
			worker_readable(p, w);
		else if (w->busy && now - w->since > p->o->run_timeout)
			worker_lost(p, w, true);
	}
}

static void stop_workers(struct pool *p, unsigned int n, bool kill_them)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!p->w[i].child.pid)
			continue;
		isolate_drain_stderr(&p->w[i].child, stderr);
		isolate_finish(&p->w[i].child, kill_them, false, NULL);
		/* what it wrote after its last run */
		if (p->w[i].child.report_len)
			fputs(p->w[i].child.report, stderr);
	}
}

/* Interrupted: the runs done so far are delivered too, gaps skipped. */
static void deliver_held(struct pool *p)
{
	u64 off;

	for (off = p->base; off < p->handed && off < p->base + WINDOW_SEEDS;
	     off++) {
		struct done_run **s = &p->slot[off % WINDOW_SEEDS];

		if (*s) {
			deliver(p, *s);
			done_free(*s);
			*s = NULL;
		}
	}
}

static void run_pool(struct pool *p)
{
	unsigned int n = p->o->jobs, i;

	if (n > p->total)
		n = (unsigned int)p->total;
	/* a failed write stops the campaign: the summary says what was
	 * kept */
	while (p->base < p->total && !p->c->stopped && !p->error &&
	       !p->rec->error) {
		if (stop_signal) {
			p->c->interrupted = stop_signal;
			break;
		}
		for (i = 0; i < n && work_left(p) && !p->error; i++) {
			if (!p->w[i].busy)
				hand_out(p, &p->w[i]);
		}
		start_fresh(p, n);
		wait_workers(p, n);
		if (!deliver_ready(p))
			break;
		show_progress(p);
	}
	stop_workers(p, n, p->base < p->total);
	stop_fresh(p, n);
	if (p->c->interrupted)
		deliver_held(p);
	if (p->fresh_stopped)
		fprintf(stderr,
			"ringside sim: %llu failing runs recorded without "
			"their events: the campaign stopped before their runs "
			"in a fresh process\n",
			(unsigned long long)p->fresh_stopped);
	for (i = 0; i < WINDOW_SEEDS; i++)
		done_free(p->slot[i]);
	for (i = 0; i < n; i++)
		shared_choices_destroy(p->w[i].ctx.sc);
}

static void run_campaign(const struct sim_opts *o, struct recorder *rec,
			 struct campaign *c, struct pool *p)
{
	struct sigaction sa = { .sa_handler = on_stop_signal }, old_int,
			 old_term, old_pipe;
	struct sigaction ign = { .sa_handler = SIG_IGN };

	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	c->total = o->last - o->first + 1;
	p->o = o;
	p->rec = rec;
	p->c = c;
	p->total = c->total;
	p->start = p->last = cli_now();
	p->tty = !o->quiet && isatty(STDERR_FILENO);
	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGPIPE, &ign, &old_pipe);
	run_pool(p);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	/* a terminal's line ends with the final count */
	if (p->shown && p->tty)
		progress(c, p->start, p->tty, true);
	c->seconds = cli_now() - p->start;
}

static double per_second(u64 n, double seconds)
{
	return seconds > 0 ? (double)n / seconds : 0.0;
}

/* "fired", "NEVER FIRED" (enabled in some run, never fired) or "never
 * enabled". */
static const char *coverage(const struct campaign *c, unsigned int b)
{
	if (!c->enabled_runs[b])
		return c->fired[b] ? "fired" : "never enabled";
	return c->fired[b] ? "fired" : "NEVER FIRED";
}

/* What the campaign stored: its cost on disk, visible. */
static void print_recorded(const struct sim_opts *o, const struct recorder *r)
{
	const struct trace_recorder_stats *s = &r->stats;

	printf("recorded: %llu runs, %llu events, %.1f MB in %s "
	       "(%.1f KB per run)\n",
	       (unsigned long long)s->kept, (unsigned long long)s->events,
	       (double)s->bytes / (1 << 20), o->db_path,
	       s->kept ? (double)s->bytes / 1024 / (double)s->kept : 0.0);
	if (s->regenerated)
		printf("recorded: %llu runs with their events regenerated "
		       "when read (ringside materialise stores them)\n",
		       (unsigned long long)s->regenerated);
	if (r->uncapped)
		printf("recorded: %llu runs without their events "
		       "(--record-cap %llu MB reached)\n",
		       (unsigned long long)r->uncapped,
		       (unsigned long long)o->record_cap_mb);
}

static void print_campaign_text(const struct sim_opts *o,
				const struct campaign *c)
{
	char cmd[REPRODUCE_BYTES];
	unsigned int b, d;
	size_t i;

	printf("seed=%llu\n", (unsigned long long)o->first);
	printf("campaign: seeds %llu..%llu, device %s, adversary %s, steps "
	       "%llu\n",
	       (unsigned long long)o->first, (unsigned long long)o->last,
	       sim_device_name(o->device), o->adversary,
	       (unsigned long long)o->steps);
	printf("runs: %llu, passed: %llu, failed: %llu\n",
	       (unsigned long long)c->runs,
	       (unsigned long long)(c->runs - c->failed),
	       (unsigned long long)c->failed);
	if (c->interrupted)
		printf("interrupted: %llu of %llu runs done\n",
		       (unsigned long long)c->runs,
		       (unsigned long long)c->total);
	if (c->stopped)
		printf("stopped at the first failure (--stop-on-failure): "
		       "%llu of %llu runs done\n",
		       (unsigned long long)c->runs,
		       (unsigned long long)c->total);
	printf("time: %.2f s, %.1f runs/s, %.0f steps/s\n", c->seconds,
	       per_second(c->runs, c->seconds),
	       per_second(c->steps, c->seconds));
	if (o->record != RECORD_NONE && c->rec)
		print_recorded(o, c->rec);
	printf("failures by oracle:%s\n", c->noracles ? "" : " none");
	for (i = 0; i < c->noracles; i++)
		printf("  %-22s %llu\n", c->oracles[i].name,
		       (unsigned long long)c->oracles[i].count);
	printf("devices:\n");
	for (d = 1; d < SIM_DEVICE_COUNT; d++)
		printf("  %-8s %8llu runs, %llu failed\n", sim_device_name(d),
		       (unsigned long long)c->device_runs[d],
		       (unsigned long long)c->device_failed[d]);
	printf("modes: legacy %llu, 1.x %llu; driver bound in %llu runs\n",
	       (unsigned long long)c->legacy_runs,
	       (unsigned long long)c->modern_runs,
	       (unsigned long long)c->bound_runs);
	printf("device stalls (excused): %llu in %llu runs\n",
	       (unsigned long long)c->stalls,
	       (unsigned long long)c->stall_runs);
	printf("behaviour coverage:\n");
	printf("   # %-18s %-8s %12s %12s %12s\n", "name", "class",
	       "enabled-runs", "fired-runs", "fired");
	for (b = 0; b < ADV_COUNT; b++) {
		const char *cov = coverage(c, b);

		printf("  %2u %-18s %-8s %12llu %12llu %12llu%s%s\n", b,
		       adv_info(b)->name,
		       adv_info(b)->legal ? "legal" : "illegal",
		       (unsigned long long)c->enabled_runs[b],
		       (unsigned long long)c->fired_runs[b],
		       (unsigned long long)c->fired[b],
		       strcmp(cov, "fired") ? "  " : "",
		       strcmp(cov, "fired") ? cov : "");
	}
	for (i = 0; i < c->failed && i < FAILURES_SHOWN; i++) {
		const struct failure *f = &c->failures[i];

		reproduce(o, f->seed, cmd, sizeof(cmd));
		printf("FAIL seed=%llu device=%s oracle=%s step=%llu: %s\n",
		       (unsigned long long)f->seed, sim_device_name(f->device),
		       f->oracle, (unsigned long long)f->step, f->message);
		printf("  reproduce with: %s\n", cmd);
		if (f->run)
			printf("  replay with: ringside replay %s %lld\n",
			       o->db_path, (long long)f->run);
	}
	if (c->failed > FAILURES_SHOWN)
		printf("... %llu more\n",
		       (unsigned long long)(c->failed - FAILURES_SHOWN));
	if (c->failed) {
		reproduce(o, c->failures[0].seed, cmd, sizeof(cmd));
		printf("reproduce with: %s\n", cmd);
	}
}

static void print_campaign_json(const struct sim_opts *o,
				const struct campaign *c)
{
	char cmd[REPRODUCE_BYTES];
	unsigned int b, d;
	size_t i;

	putchar('{');
	json_u64("seed", o->first, true);
	json_u64("first_seed", o->first, true);
	json_u64("last_seed", o->last, true);
	json_str("device", sim_device_name(o->device), true);
	json_str("adversary", o->adversary, true);
	json_str("db", o->record == RECORD_NONE ? NULL : o->db_path, true);
	json_u64("steps_max", o->steps, true);
	json_u64("runs", c->runs, true);
	json_u64("passed", c->runs - c->failed, true);
	json_u64("failed", c->failed, true);
	printf("\"interrupted\": %s, \"stopped\": %s, ",
	       c->interrupted ? "true" : "false",
	       c->stopped ? "true" : "false");
	json_u64("steps", c->steps, true);
	json_u64("events", c->events, true);
	printf("\"seconds\": %.3f, \"runs_per_second\": %.1f, "
	       "\"steps_per_second\": %.0f, ",
	       c->seconds, per_second(c->runs, c->seconds),
	       per_second(c->steps, c->seconds));
	fputs("\"oracles\": {", stdout);
	for (i = 0; i < c->noracles; i++) {
		if (i)
			fputs(", ", stdout);
		cli_json_string(stdout, c->oracles[i].name);
		printf(": %llu", (unsigned long long)c->oracles[i].count);
	}
	fputs("}, \"devices\": {", stdout);
	for (d = 1; d < SIM_DEVICE_COUNT; d++)
		printf("%s\"%s\": {\"runs\": %llu, \"failed\": %llu}",
		       d > 1 ? ", " : "", sim_device_name(d),
		       (unsigned long long)c->device_runs[d],
		       (unsigned long long)c->device_failed[d]);
	fputs("}, ", stdout);
	json_u64("legacy_runs", c->legacy_runs, true);
	json_u64("modern_runs", c->modern_runs, true);
	json_u64("bound_runs", c->bound_runs, true);
	json_u64("device_stalls", c->stalls, true);
	json_u64("device_stall_runs", c->stall_runs, true);
	fputs("\"coverage\": [", stdout);
	for (b = 0; b < ADV_COUNT; b++) {
		printf("%s{", b ? ", " : "");
		json_u64("number", b, true);
		json_str("name", adv_info(b)->name, true);
		printf("\"legal\": %s, ",
		       adv_info(b)->legal ? "true" : "false");
		json_u64("enabled_runs", c->enabled_runs[b], true);
		json_u64("fired_runs", c->fired_runs[b], true);
		json_u64("fired", c->fired[b], true);
		json_str("status", coverage(c, b), false);
		putchar('}');
	}
	fputs("], \"failures\": [", stdout);
	for (i = 0; i < c->failed && i < FAILURES_SHOWN; i++) {
		const struct failure *f = &c->failures[i];

		printf("%s{", i ? ", " : "");
		json_u64("seed", f->seed, true);
		json_str("device", sim_device_name(f->device), true);
		json_str("oracle", f->oracle, true);
		json_u64("step", f->step, true);
		json_str("message", f->message, true);
		json_record(o, f->run);
		reproduce(o, f->seed, cmd, sizeof(cmd));
		json_str("reproduce", cmd, false);
		putchar('}');
	}
	fputs("], ", stdout);
	json_u64("failures_not_shown",
		 c->failed > FAILURES_SHOWN ? c->failed - FAILURES_SHOWN : 0,
		 true);
	if (c->failed)
		reproduce(o, c->failures[0].seed, cmd, sizeof(cmd));
	json_str("reproduce", c->failed ? cmd : NULL, false);
	puts("}");
}

/* --- the catalogue ---------------------------------------------------------- */

static const char *expect_text(enum adv_expect e)
{
	switch (e) {
	case ADV_EXPECT_HEALTHY:
		return "queue stays healthy";
	case ADV_EXPECT_UNSEEN:
		return "unseen by the ring";
	case ADV_EXPECT_ID_RANGE:
		return "broken: used id out of range";
	case ADV_EXPECT_ID_OTHER:
		return "broken: bad or duplicate id";
	case ADV_EXPECT_IDX:
		return "broken: used idx ahead/back";
	case ADV_EXPECT_CLAMP:
		return "len clamped, queue healthy";
	case ADV_EXPECT_DESC:
		return "broken: descriptor rewritten";
	case ADV_EXPECT_AVAIL:
		return "broken: avail rewritten";
	case ADV_EXPECT_READ:
		return "the fault of the value read";
	}
	return "?";
}

static void list_adversaries(bool json)
{
	unsigned int b;

	if (json)
		fputs("[", stdout);
	else
		printf(" # %-18s %-8s %-29s %s\n", "name", "class",
		       "expected reaction", "description");
	for (b = 0; b < ADV_COUNT; b++) {
		const struct adv_info *info = adv_info(b);

		if (!json) {
			printf("%2u %-18s %-8s %-29s %s\n", b, info->name,
			       info->legal ? "legal" : "illegal",
			       expect_text(info->expect), info->description);
			continue;
		}
		printf("%s{", b ? ", " : "");
		json_u64("number", b, true);
		json_str("name", info->name, true);
		printf("\"legal\": %s, ", info->legal ? "true" : "false");
		json_str("expected", expect_text(info->expect), true);
		json_str("description", info->description, false);
		putchar('}');
	}
	if (json)
		puts("]");
}

/* --- the command ------------------------------------------------------------ */

/* The runs, recorded; printed once the trace file holds them. */
static int simulate(const struct sim_opts *o, struct campaign *c)
{
	struct recorder rec;
	struct pool *p;
	int err;

	p = malloc(sizeof(*p));
	if (!p) {
		fputs("ringside sim: out of memory\n", stderr);
		return CLI_EXIT_USAGE;
	}
	err = record_open(o, &rec);
	if (err) {
		free(p);
		return err;
	}
	run_campaign(o, &rec, c, p);
	err = record_close(&rec);
	if (!err)
		err = p->error;
	c->rec = &rec;
	if (!o->campaign && c->runs == 0)
		; /* interrupted or no worker: nothing to print */
	else if (!o->campaign && o->json)
		print_run_json(o, o->first, &p->single, p->single_id);
	else if (!o->campaign)
		print_run_text(o, o->first, &p->single, p->single_id,
			       p->single_report);
	else if (o->json)
		print_campaign_json(o, c);
	else
		print_campaign_text(o, c);
	free(p);
	if (err)
		return err;
	if (c->interrupted)
		return CLI_EXIT_INTERRUPTED + c->interrupted - SIGINT;
	return c->failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_sim(int argc, char **argv)
{
	struct sim_opts *o;
	struct campaign *c;
	int err;

	o = calloc(1, sizeof(*o));
	c = calloc(1, sizeof(*c));
	if (!o || !c) {
		free(o);
		free(c);
		fputs("ringside sim: out of memory\n", stderr);
		return CLI_EXIT_FAIL;
	}
	err = parse_args(o, argc, argv);
	if (err)
		err = err < 0 ? CLI_EXIT_OK : err;
	else if (o->list)
		list_adversaries(o->json);
	else
		err = simulate(o, c);
	free(o);
	free(c);
	return err;
}
