/*
 * cli_trace.c - the commands on the trace store (replay/): runs, show,
 * replay, minimise, export and merge.
 *
 * Each takes the trace file first and the run second, "[DB] RUN"; DB is
 * ringside.db when left out. A lone positional that reads as a run number
 * is the RUN; one that names an existing file is the DB.
 *
 * Exit status: 0 success; 1 replay: the run diverged; 2 a usage error or
 * a trace error (no such file, not a trace, another schema version, no
 * such run: the message says which).
 */
#define _POSIX_C_SOURCE 200809L /* fileno */

#include "cli.h"
#include "crash.h"
#include "isolate.h"

#include <adversary.h>
#include <bystander.h>
#include <devices.h>
#include <export.h>
#include <minimise.h>
#include <replay.h>
#include <robust.h>
#include <sim_transport.h>
#include <trace.h>
#include <world.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR_BYTES 512
#define WHAT_BYTES 160
#define COMMAND_BYTES 1024
#define POSITIONALS_MAX 2

/* The options every command parses the same way. */
struct trace_args {
	const char *cmd;
	void (*usage)(FILE *out);
	const char *db;
	s64 run;
	bool need_run;
	bool json;
};

/* Prints "ringside CMD: message" (no usage) and returns exit status 2. */
#define trace_error(cmd, ...) cli_usage_error(cmd, NULL, __VA_ARGS__)

static bool parse_run(const char *s, s64 *run)
{
	u64 v;

	if (cli_parse_u64(s, &v) != 0 || v == 0 || v > INT64_MAX)
		return false;
	*run = (s64)v;
	return true;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Positionals: [DB] RUN (need_run) or [DB]; see the top of the file. */
static int take_positionals(struct trace_args *a, char **pos, int npos)
{
	a->db = TRACE_DEFAULT_PATH;
	if (!a->need_run) {
		if (npos > 1)
			return cli_usage_error(a->cmd, a->usage,
					       "unexpected argument '%s'",
					       pos[1]);
		if (npos == 1)
			a->db = pos[0];
		return 0;
	}
	if (npos == 0)
		return cli_usage_error(a->cmd, a->usage, "no RUN given");
	if (npos == 1 && !parse_run(pos[0], &a->run)) {
		if (file_exists(pos[0]))
			return cli_usage_error(a->cmd, a->usage,
					       "no RUN given after '%s'",
					       pos[0]);
		return cli_usage_error(a->cmd, a->usage,
				       "bad run number '%s': expected a run "
				       "id (1, 2, ...; see ringside runs)",
				       pos[0]);
	}
	if (npos == 2) {
		a->db = pos[0];
		if (!parse_run(pos[1], &a->run))
			return cli_usage_error(a->cmd, a->usage,
					       "bad run number '%s': expected "
					       "a run id (1, 2, ...; see "
					       "ringside runs)",
					       pos[1]);
	}
	return 0;
}

static int open_db(const struct trace_args *a, int flags, struct trace_db **db)
{
	char err[ERR_BYTES];

	if (trace_open(a->db, flags, db, err, sizeof(err)) != 0)
		return trace_error(a->cmd, "%s", err);
	return 0;
}

static void json_u64(const char *key, u64 v)
{
	printf("\"%s\": %" PRIu64 ", ", key, v);
}

static void json_str(const char *key, const char *v)
{
	printf("\"%s\": ", key);
	if (v)
		cli_json_string(stdout, v);
	else
		fputs("null", stdout);
	fputs(", ", stdout);
}

static const char *mode_name(int mode)
{
	return mode == SIMT_MODERN   ? "1.x"
	       : mode == SIMT_LEGACY ? "legacy"
	       : mode == 0	     ? "none"
				     : "?";
}

/*
 * The option loop of every command: --help (and --json where json_ok) are
 * common; any other option goes to opt(), which returns OPT_TAKEN,
 * OPT_NOT_MINE, or the exit status of a usage error (CLI_EXIT_USAGE, which
 * differs from both). Returns 0 to go on, -1 when --help was printed, or
 * an exit status.
 */
typedef int (*opt_fn)(void *ctx, int argc, char **argv, int *i);

#define OPT_TAKEN 1
#define OPT_NOT_MINE 0

static int parse_common(struct trace_args *a, int argc, char **argv, opt_fn opt,
			void *ctx, bool json_ok)
{
	char *pos[POSITIONALS_MAX];
	int i, npos = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			a->usage(stdout);
			return -1;
		}
		if (json_ok && strcmp(argv[i], "--json") == 0) {
			a->json = true;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			rc = opt ? opt(ctx, argc, argv, &i) : OPT_NOT_MINE;
			if (rc == OPT_TAKEN)
				continue;
			if (rc != OPT_NOT_MINE)
				return rc;
			return cli_usage_error(a->cmd, a->usage,
					       "unknown option '%s'", argv[i]);
		}
		if (npos == POSITIONALS_MAX)
			return cli_usage_error(a->cmd, a->usage,
					       "unexpected argument '%s'",
					       argv[i]);
		pos[npos++] = argv[i];
	}
	return take_positionals(a, pos, npos);
}

/* An option's value; a usage error when there is none. */
static int need_value(const struct trace_args *a, int argc, char **argv, int *i,
		      const char *name, const char **v)
{
	*v = cli_option_value(argc, argv, i);
	if (!*v)
		return cli_usage_error(a->cmd, a->usage,
				       "option '%s' needs a value", name);
	return 0;
}

/* --- runs ------------------------------------------------------------------ */

void cli_runs_usage(FILE *out)
{
	fputs("usage: ringside runs [DB] [options]\n"
	      "\n"
	      "Lists the runs of a trace file (default ringside.db): id, "
	      "source,\n"
	      "seed, device, mode, outcome, oracle, steps, events and parent "
	      "run,\n"
	      "then a count line.\n"
	      "\n"
	      "Options:\n"
	      "  --outcome pass|fail  only runs with this outcome\n"
	      "  --oracle O           only runs that failed with oracle O\n"
	      "  --source S           only runs from sim, libfuzzer, afl, "
	      "qemu,\n"
	      "                       replay, minimise or vhost\n"
	      "  --device D           only runs of device block, entropy, "
	      "console\n"
	      "                       or net\n"
	      "  --limit N            at most N runs (the first N by id)\n"
	      "  --json               one JSON object instead of the table\n"
	      "  --help               this text\n"
	      "\n"
	      "A run whose row cannot be read is listed as DAMAGED with the\n"
	      "reason, and the listing goes on.\n"
	      "\n"
	      "Exit status: 0 success, 2 usage error, a bad trace file or a\n"
	      "damaged row (the other rows are listed).\n",
	      out);
}

struct runs_ctx {
	struct trace_args *a;
	struct trace_filter filter;
	u64 count, with_events, regenerated, damaged;
};

/* The mark after a run's event count: * stored, + regenerated. */
static char events_mark(enum trace_events where)
{
	return where == TRACE_EVENTS_STORED	   ? '*'
	       : where == TRACE_EVENTS_REGENERATED ? '+'
						   : ' ';
}

static int runs_opt(void *ctx, int argc, char **argv, int *i)
{
	struct runs_ctx *c = ctx;
	const char *arg = argv[*i], *v;
	u64 n;

	if (cli_option_match(arg, "--outcome")) {
		if (need_value(c->a, argc, argv, i, "--outcome", &v))
			return CLI_EXIT_USAGE;
		if (strcmp(v, "pass") && strcmp(v, "fail"))
			return cli_usage_error("runs", cli_runs_usage,
					       "bad --outcome value '%s': "
					       "pass or fail",
					       v);
		c->filter.outcome = v;
	} else if (cli_option_match(arg, "--oracle")) {
		if (need_value(c->a, argc, argv, i, "--oracle", &v))
			return CLI_EXIT_USAGE;
		c->filter.oracle = v;
	} else if (cli_option_match(arg, "--source")) {
		if (need_value(c->a, argc, argv, i, "--source", &v))
			return CLI_EXIT_USAGE;
		if (trace_source_lookup(v) == TRACE_SOURCE_COUNT)
			return cli_usage_error("runs", cli_runs_usage,
					       "unknown source '%s' in "
					       "--source",
					       v);
		c->filter.source = v;
	} else if (cli_option_match(arg, "--device")) {
		if (need_value(c->a, argc, argv, i, "--device", &v))
			return CLI_EXIT_USAGE;
		if (sim_device_lookup(v) == SIM_DEVICE_COUNT ||
		    sim_device_lookup(v) == SIM_DEVICE_ANY)
			return cli_usage_error("runs", cli_runs_usage,
					       "unknown device '%s' in "
					       "--device",
					       v);
		c->filter.device = v;
	} else if (cli_option_match(arg, "--limit")) {
		if (need_value(c->a, argc, argv, i, "--limit", &v))
			return CLI_EXIT_USAGE;
		if (cli_parse_u64(v, &n) || n == 0 || n > INT64_MAX)
			return cli_usage_error("runs", cli_runs_usage,
					       "bad --limit value '%s': a "
					       "number, at least 1",
					       v);
		c->filter.limit = (s64)n;
	} else {
		return OPT_NOT_MINE;
	}
	return OPT_TAKEN;
}

static void print_parent(s64 parent, const char *none)
{
	if (parent)
		printf("%" PRId64, parent);
	else
		fputs(none, stdout);
}

static int runs_row(void *ctx, const struct trace_run *run)
{
	struct runs_ctx *c = ctx;

	if (c->a->json) {
		printf("%s{\"id\": %" PRId64 ", ", c->count ? ", " : "",
		       run->id);
		json_str("source", trace_source_name(run->source));
		json_u64("seed", run->seed);
		json_str("device", run->device);
		json_str("mode", mode_name(run->mode));
		json_str("outcome", run->failed ? "fail" : "pass");
		json_str("oracle", run->failed ? run->oracle : NULL);
		json_u64("steps", run->steps);
		json_u64("events", run->events);
		printf("\"has_events\": %s, \"events_regenerated\": %s, "
		       "\"parent\": ",
		       run->has_events ? "true" : "false",
		       run->has_events == TRACE_EVENTS_REGENERATED ? "true"
								   : "false");
		print_parent(run->parent, "null");
		putchar('}');
	} else {
		printf("%6" PRId64 " %-9s %20" PRIu64 " %-8s %-6s %-4s "
		       "%-22s %7" PRIu64 " %8" PRIu64 "%c ",
		       run->id, trace_source_name(run->source), run->seed,
		       run->device, mode_name(run->mode),
		       run->failed ? "fail" : "pass",
		       run->failed ? run->oracle : "-", run->steps, run->events,
		       events_mark(run->has_events));
		print_parent(run->parent, "-");
		putchar('\n');
	}
	c->count++;
	c->with_events += run->has_events == TRACE_EVENTS_STORED;
	c->regenerated += run->has_events == TRACE_EVENTS_REGENERATED;
	return 0;
}

/* A row that cannot be read: flagged, and the listing goes on. */
static int runs_damaged(void *ctx, s64 id, const char *why)
{
	struct runs_ctx *c = ctx;

	if (c->a->json) {
		printf("%s{\"id\": %" PRId64 ", ", c->count ? ", " : "", id);
		printf("\"damaged\": ");
		cli_json_string(stdout, why);
		putchar('}');
	} else {
		printf("%6" PRId64 " DAMAGED: %s\n", id, why);
	}
	c->count++;
	c->damaged++;
	return 0;
}

/* "N runs", with how many have their events stored (marked *) and how
 * many rows are damaged. */
static void print_runs_count(const struct runs_ctx *c)
{
	printf("%" PRIu64 " run%s", c->count, c->count == 1 ? "" : "s");
	if (c->with_events)
		printf(", %" PRIu64 " with events stored (*)", c->with_events);
	if (c->regenerated)
		printf(", %" PRIu64 " with events regenerated (+)",
		       c->regenerated);
	if (c->damaged)
		printf(", %" PRIu64 " DAMAGED", c->damaged);
	putchar('\n');
}

int cli_runs(int argc, char **argv)
{
	struct trace_args a = { .cmd = "runs", .usage = cli_runs_usage };
	struct runs_ctx c = { .a = &a };
	struct trace_db *db;
	int rc;

	rc = parse_common(&a, argc, argv, runs_opt, &c, true);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (open_db(&a, TRACE_READ, &db))
		return CLI_EXIT_USAGE;
	if (a.json) {
		fputs("{\"db\": ", stdout);
		cli_json_string(stdout, a.db);
		fputs(", \"runs\": [", stdout);
	} else {
		printf("%6s %-9s %20s %-8s %-6s %-4s %-22s %7s %8s  %s\n", "id",
		       "source", "seed", "device", "mode", "out", "oracle",
		       "steps", "events", "parent");
	}
	c.filter.damaged = runs_damaged;
	rc = trace_list_runs(db, &c.filter, runs_row, &c);
	if (rc < 0) {
		if (a.json)
			puts("]}");
		rc = trace_error("runs", "%s", trace_errmsg(db));
		trace_close(db);
		return rc;
	}
	if (a.json)
		printf("], \"count\": %" PRIu64 ", \"damaged\": %" PRIu64 "}\n",
		       c.count, c.damaged);
	else
		print_runs_count(&c);
	trace_close(db);
	if (c.damaged)
		fprintf(stderr,
			"ringside runs: %s: %" PRIu64
			" damaged row%s (marked DAMAGED)\n",
			a.db, c.damaged, c.damaged == 1 ? "" : "s");
	return c.damaged ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

/* --- show ------------------------------------------------------------------- */

void cli_show_usage(FILE *out)
{
	fputs("usage: ringside show [DB] RUN [--json]\n"
	      "\n"
	      "Shows one run of a trace file (default ringside.db): its seed, "
	      "source,\n"
	      "configuration, outcome (oracle and message), counts, parent "
	      "run and\n"
	      "the command that replays it, then its timeline: one line per "
	      "event\n"
	      "(seq, step, actor, what happened, queue). The events of the "
	      "failing\n"
	      "step and the fail event are marked >>. A run recorded with "
	      "--record\n"
	      "all has its events regenerated (re-executed from its seed or "
	      "stored\n"
	      "choices) and checked against its event count and hash. A run "
	      "whose\n"
	      "events were not recorded gets them with ringside replay DB RUN "
	      "--record.\n"
	      "\n"
	      "Options:\n"
	      "  --json   the run and its events as one JSON object (as "
	      "ringside\n"
	      "           export --format json)\n"
	      "  --help   this text\n"
	      "\n"
	      "Events that do not match the run's event count and hash "
	      "(stored ones\n"
	      "edited, or regenerated by a ringside whose world differs from "
	      "the\n"
	      "recording one) are shown, marked NOT VERIFIED (exit status "
	      "2).\n"
	      "\n"
	      "Exit status: 0 success, 2 usage error, no such run or a bad "
	      "trace file.\n",
	      out);
}

static s64 sx(u64 v)
{
	return (s64)v;
}

static const char *irq_text(u64 v)
{
	return v == 0 ? "none" : v == 1 ? "handled" : "?";
}

static void what_device(const struct sim_event *ev, char *buf, size_t n)
{
	switch (ev->kind) {
	case SIM_EV_DEV_KICK:
		snprintf(buf, n, "device takes a kick (%" PRIu64 ")", ev->a);
		break;
	case SIM_EV_DEV_FETCH:
		snprintf(buf, n,
			 "device fetches head %" PRIu64 " (avail idx "
			 "%" PRIu64 ")",
			 ev->a, ev->b);
		break;
	case SIM_EV_DEV_COMPLETE:
		snprintf(buf, n,
			 "device completes head %" PRIu64 " len %" PRIu64
			 " (used idx %" PRIu64 ")",
			 ev->a, ev->b, ev->c);
		break;
	case SIM_EV_ADVERSARY:
		snprintf(buf, n, "adversary %s (%" PRIu64 ", %" PRIu64 ")",
			 ev->a < ADV_COUNT ? adv_info((unsigned int)ev->a)->name
					   : "?",
			 ev->b, ev->c);
		break;
	case SIM_EV_CHECK:
		snprintf(buf, n,
			 "check: fault %s seen, expected mask 0x%" PRIx64,
			 ev->a < VRING_FAULT_COUNT
				 ? vring_fault_name((enum vring_fault)ev->a)
				 : "?",
			 ev->b);
		break;
	default:
		snprintf(buf, n,
			 "kind %u a=%" PRIu64 " b=%" PRIu64 " c=%" PRIu64,
			 ev->kind, ev->a, ev->b, ev->c);
	}
}

static void what_driver(const struct sim_event *ev, char *buf, size_t n)
{
	switch (ev->kind) {
	case SIM_EV_ADD:
		snprintf(buf, n,
			 "add token %" PRIu64 " bytes %" PRIu64 " -> %" PRId64,
			 ev->a, ev->b, sx(ev->c));
		break;
	case SIM_EV_ADD_NOMEM:
		snprintf(buf, n, "add: no memory for %" PRIu64 " bytes", ev->a);
		break;
	case SIM_EV_KICK:
		snprintf(buf, n, "%s, notified %" PRIu64,
			 ev->a ? "kick_prepare + notify" : "kick", ev->b);
		break;
	case SIM_EV_GET_BUF:
		if (ev->a == UINT64_MAX)
			snprintf(buf, n, "get_buf: nothing");
		else
			snprintf(buf, n,
				 "get_buf token %" PRIu64 " len %" PRIu64,
				 ev->a, ev->b);
		break;
	case SIM_EV_DISABLE_CB:
		snprintf(buf, n, "disable callbacks");
		break;
	case SIM_EV_ENABLE_CB:
		snprintf(buf, n, "enable callbacks -> %" PRId64, sx(ev->a));
		break;
	case SIM_EV_ENABLE_CB_DELAYED:
		snprintf(buf, n, "enable callbacks delayed -> %" PRId64,
			 sx(ev->a));
		break;
	case SIM_EV_CALLBACK:
		snprintf(buf, n, "callback: %" PRIu64 " tokens collected",
			 ev->a);
		break;
	case SIM_EV_DETACH:
		snprintf(buf, n, "detach token %" PRIu64, ev->a);
		break;
	default:
		what_device(ev, buf, n);
	}
}

/* What an event says, operands named (devices.h). */

/* SIM_EV_PROBE and SIM_EV_UNPLUG: queue 1 + n is bystander device n
 * (model/bystander.h). */
static const char *bystander_name(u16 queue)
{
	static const char *const names[] = { "", " (bystander 0)",
					     " (bystander 1)" };

	_Static_assert(ARRAY_SIZE(names) == 1 + SIM_BYSTANDERS,
		       "a name per bystander");
	return queue < ARRAY_SIZE(names) ? names[queue] : " (bystander)";
}

static void what(const struct sim_event *ev, char *buf, size_t n)
{
	const char *name =
		ev->kind == SIM_EV_STEP ? sim_actor_name((u16)ev->a) : NULL;

	switch (ev->kind) {
	case SIM_EV_RUN_START:
		snprintf(buf, n,
			 "run start: %s, features 0x%" PRIx64 ", device %s",
			 mode_name((int)ev->a), ev->b,
			 ev->c < SIM_DEVICE_COUNT
				 ? sim_device_name((enum sim_device_type)ev->c)
				 : "?");
		break;
	case SIM_EV_PROBE:
		if (ev->queue == SIM_BYSTANDER_DRIVER_EVENT)
			snprintf(buf, n,
				 "bystander driver registers: %" PRIu64
				 " devices bound",
				 ev->b);
		else
			snprintf(buf, n,
				 "probe%s: status 0x%" PRIx64
				 ", bound %" PRIu64,
				 bystander_name(ev->queue), ev->a, ev->b);
		break;
	case SIM_EV_STEP:
		snprintf(buf, n, "step: %s%s", name ? name : "?",
			 ev->b ? " (forced: fairness)" : "");
		break;
	case SIM_EV_IRQ:
		snprintf(buf, n, "interrupt on queue %" PRIu64 ": %s", ev->a,
			 irq_text(ev->b));
		break;
	case SIM_EV_CONFIG_CHANGE:
		snprintf(buf, n, "config change, generation %" PRIu64, ev->a);
		break;
	case SIM_EV_ALLOC_FAIL:
		snprintf(buf, n, "allocation of %" PRIu64 " bytes fails",
			 ev->a);
		break;
	case SIM_EV_FAIL:
		snprintf(buf, n, "FAIL: the oracle fired at step %" PRIu64,
			 ev->a);
		break;
	case SIM_EV_RUN_END:
		snprintf(buf, n,
			 "run end: tokens added %" PRIu64 ", got "
			 "%" PRIu64 ", detached %" PRIu64,
			 ev->a, ev->b, ev->c);
		break;
	case SIM_EV_UNPLUG:
		if (ev->queue == SIM_BYSTANDER_DRIVER_EVENT)
			snprintf(buf, n, "bystander driver unregisters");
		else if (ev->queue)
			snprintf(buf, n, "hot unplug%s",
				 bystander_name(ev->queue));
		else
			snprintf(buf, n,
				 "hot unplug%s, %" PRIu64 " tokens outstanding",
				 ev->c ? " (the driver leaves)" : "", ev->a);
		break;
	case SIM_EV_REPLUG:
		snprintf(buf, n, "replug: status 0x%" PRIx64, ev->a);
		break;
	default:
		if (!rb_event_text(ev, buf, n))
			what_driver(ev, buf, n);
	}
}

static void show_header(const struct trace_args *a, const struct trace_run *r)
{
	unsigned int b;

	printf("run %" PRId64 " of %s\n", r->id, a->db);
	printf("seed: %" PRIu64 "\n", r->seed);
	printf("source: %s", trace_source_name(r->source));
	if (r->parent)
		printf(" (parent run %" PRId64 ")", r->parent);
	printf("\nconfig: %s\n", r->config);
	printf("device: %s (%s)\n", r->device, mode_name(r->mode));
	if (r->failed)
		printf("outcome: FAILED oracle=%s step=%" PRIu64 ": %s\n",
		       r->oracle, r->fail_step, r->message);
	else
		printf("outcome: passed\n");
	printf("steps: %" PRIu64 "\n", r->steps);
	printf("events: %" PRIu64 " (hash 0x%016" PRIx64 ")%s\n", r->events,
	       r->event_hash,
	       r->has_events == TRACE_EVENTS_STORED ? ""
	       : r->has_events == TRACE_EVENTS_REGENERATED
		       ? ", regenerated (not stored)"
		       : ", not stored");
	if (r->choices)
		printf("choices: %" PRIu64 " drawn, %zu stored\n",
		       r->choice_count, r->nchoices);
	else
		printf("choices: %" PRIu64 " drawn, from the seed\n",
		       r->choice_count);
	for (b = 0; b < ADV_COUNT; b++)
		if (r->rate[b] || r->fired[b])
			printf("behaviour: %-18s rate %4u/%u  fired %" PRIu64
			       "\n",
			       adv_info(b)->name, r->rate[b], ADV_RATE_DEN,
			       r->fired[b]);
	if (r->source == TRACE_SOURCE_QEMU)
		printf("replay: not possible, the device was QEMU's\n");
	else if (r->source == TRACE_SOURCE_VHOST)
		printf("replay: not possible, the device was a vhost-user back "
		       "end\n");
	else if (r->source == TRACE_SOURCE_CHECK)
		printf("reproduce with: ringside %s\n", r->config);
	else
		printf("replay with: ringside replay %s %" PRId64 "\n", a->db,
		       r->id);
}

static void show_timeline(const struct trace_run *r,
			  const struct event_log *log)
{
	size_t i, n = event_log_stored(log);
	char buf[WHAT_BYTES];

	printf("timeline: %zu events%s\n", n,
	       r->failed ? " (>> the failing step and the fail event)" : "");
	printf("  %7s %7s %-8s %-50s %s\n", "seq", "step", "actor", "what",
	       "queue");
	for (i = 0; i < n; i++) {
		const struct sim_event *ev = event_log_get(log, i);
		const char *actor = sim_actor_name(ev->actor);
		bool mark = r->failed && (ev->step == r->fail_step ||
					  ev->kind == SIM_EV_FAIL);

		what(ev, buf, sizeof(buf));
		printf("%s%7" PRIu32 " %7" PRIu32 " %-8s %-50s %u\n",
		       mark ? ">>" : "  ", ev->seq, ev->step,
		       actor ? actor : "?", buf, ev->queue);
	}
}

/* A verified timeline, saying where it came from. */
static void show_events(const struct trace_run *r, const struct event_log *log)
{
	if (r->has_events == TRACE_EVENTS_REGENERATED)
		printf("regenerated: from its %s, verified against its event "
		       "count and hash\n",
		       r->choices ? "stored choices" : "seed");
	show_timeline(r, log);
}

/* replay_events gave rc: are the events in log complete but not the
 * run's (stored ones edited, or a regeneration by another world)? */
static bool all_read_unverified(const struct trace_run *r,
				const struct event_log *log, int rc)
{
	if (rc != TRACE_ECORRUPT || !event_log_complete(log))
		return false;
	if (r->has_events == TRACE_EVENTS_REGENERATED)
		return true;
	return event_log_count(log) == r->events &&
	       event_log_hash(log) != r->event_hash;
}

int cli_show(int argc, char **argv)
{
	struct trace_args a = { .cmd = "show",
				.usage = cli_show_usage,
				.need_run = true };
	struct export_opts eo = { .format = EXPORT_JSON };
	char err[ERR_BYTES];
	struct event_log log;
	struct trace_db *db;
	struct trace_run run;
	int rc;

	rc = parse_common(&a, argc, argv, NULL, NULL, true);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (open_db(&a, TRACE_READ, &db))
		return CLI_EXIT_USAGE;
	if (a.json) {
		rc = export_run(db, a.run, &eo, stdout, err, sizeof(err));
		trace_close(db);
		return rc ? trace_error("show", "%s", err) : CLI_EXIT_OK;
	}
	if (trace_get_run(db, a.run, &run) != 0) {
		rc = trace_error("show", "%s", trace_errmsg(db));
		trace_close(db);
		return rc;
	}
	show_header(&a, &run);
	event_log_init(&log, 0);
	rc = CLI_EXIT_OK;
	if (crash_run_is(&run))
		crash_show(&run, a.db);
	else if (!run.has_events && run.source == TRACE_SOURCE_CHECK)
		printf("timeline: none recorded; the evidence is the outcome "
		       "above\n");
	else if (!run.has_events)
		printf("timeline: no events stored for this run (a campaign "
		       "stores the events\nof failing runs); to get them: "
		       "ringside replay %s %" PRId64 " --record\n",
		       a.db, run.id);
	else if ((rc = replay_events(db, &run, &log, err, sizeof(err))) == 0)
		show_events(&run, &log);
	else if (all_read_unverified(&run, &log, rc)) {
		/* every event there, but not the run's: show them, as what
		 * they are */
		printf("NOT VERIFIED: %s\n", err);
		show_timeline(&run, &log);
		printf("NOT VERIFIED: the events above are not the run's as "
		       "recorded\n");
		rc = trace_error("show", "%s", err);
	} else {
		rc = trace_error("show", "%s", err);
	}
	event_log_free(&log);
	trace_run_free(&run);
	trace_close(db);
	return rc;
}

/* --- replay ----------------------------------------------------------------- */

void cli_replay_usage(FILE *out)
{
	fputs("usage: ringside replay [DB] RUN [--record] [--json]\n"
	      "\n"
	      "Re-executes a recorded run from its choices (its stored choice "
	      "sequence,\n"
	      "or its seed) with its configuration, and compares every event "
	      "(seq,\n"
	      "step, actor, kind, queue and operands) with the stored ones, "
	      "then the\n"
	      "outcome (failed, oracle) and the event count and hash. It "
	      "prints\n"
	      "\"reproduced\", or the first divergence: its seq, the expected "
	      "and the\n"
	      "actual event. A run without stored events is compared by "
	      "outcome,\n"
	      "event count and hash only. After a fix, the replay of a "
	      "failing run\n"
	      "diverges at the failing step.\n"
	      "\n"
	      "Options:\n"
	      "  --record   store the replay as a new run (source replay, "
	      "parent RUN)\n"
	      "             with its events\n"
	      "  --json     one JSON object instead of text\n"
	      "  --help     this text\n"
	      "\n"
	      "Exit status: 0 reproduced, 1 diverged, 2 usage error, no such "
	      "run or a\n"
	      "bad trace file.\n",
	      out);
}

static int replay_opt(void *ctx, int argc, char **argv, int *i)
{
	bool *record = ctx;

	(void)argc;
	if (strcmp(argv[*i], "--record") != 0)
		return OPT_NOT_MINE;
	*record = true;
	return OPT_TAKEN;
}

static void print_event(const char *label, bool has, const struct sim_event *ev)
{
	char buf[WHAT_BYTES * 2];

	if (!has) {
		printf("  %s (none: that run had ended)\n", label);
		return;
	}
	event_log_format(ev, buf, sizeof(buf));
	printf("  %s %s\n", label, buf);
}

static void replay_text(const struct trace_args *a,
			const struct replay_outcome *o)
{
	const struct replay_report *rep = &o->report;
	const struct sim_result *r = &o->ex.result;

	printf("run %" PRId64 " of %s: seed %" PRIu64 ", source %s\n",
	       o->run.id, a->db, o->run.seed, trace_source_name(o->run.source));
	printf("config: %s\n", o->run.config);
	if (o->run.choices)
		printf("choices: the %zu stored\n", o->run.nchoices);
	else
		printf("choices: from the seed\n");
	if (rep->regenerated)
		printf("events regenerated, not stored: compared by outcome, "
		       "event count and hash\n");
	else if (!rep->compared_events)
		printf("no stored events: compared by outcome, event count and "
		       "hash only\n");
	if (rep->stored_hash_mismatch)
		printf("note: the stored events do not hash to the run's event "
		       "hash (edited\nor damaged after recording); compared "
		       "one by one all the same\n");
	if (rep->reproduced) {
		printf("reproduced: %" PRIu64 " events%s, hash 0x%016" PRIx64
		       ", ",
		       r->events,
		       rep->compared_events ? " compared one by one" : "",
		       r->event_hash);
		if (r->failed)
			printf("failed again: oracle=%s step=%" PRIu64 "\n",
			       r->oracle, r->fail_step);
		else
			printf("passed\n");
		return;
	}
	if (rep->at_event) {
		printf("DIVERGED at seq %" PRIu64 ": %s\n", rep->seq,
		       rep->reason);
		print_event("expected:", rep->has_expected, &rep->expected);
		print_event("actual:  ", rep->has_actual, &rep->actual);
	} else {
		printf("DIVERGED: %s\n", rep->reason);
	}
	printf("recorded: %s%s, %" PRIu64 " events, hash 0x%016" PRIx64 "\n",
	       o->run.failed ? "failed " : "passed",
	       o->run.failed ? o->run.oracle : "", o->run.events,
	       o->run.event_hash);
	printf("replayed: %s%s, %" PRIu64 " events, hash 0x%016" PRIx64 "\n",
	       r->failed ? "failed " : "passed", r->failed ? r->oracle : "",
	       r->events, r->event_hash);
}

static void json_event(const char *key, bool has, const struct sim_event *ev)
{
	printf("\"%s\": ", key);
	if (!has) {
		fputs("null, ", stdout);
		return;
	}
	printf("{\"seq\": %" PRIu32 ", \"step\": %" PRIu32 ", \"actor\": %u, "
	       "\"kind\": %u, \"queue\": %u, \"a\": %" PRIu64
	       ", \"b\": %" PRIu64 ", \"c\": %" PRIu64 "}, ",
	       ev->seq, ev->step, ev->actor, ev->kind, ev->queue, ev->a, ev->b,
	       ev->c);
}

static void replay_json(const struct replay_outcome *o, s64 recorded)
{
	const struct replay_report *rep = &o->report;
	const struct sim_result *r = &o->ex.result;

	printf("{\"run\": %" PRId64 ", ", o->run.id);
	printf("\"reproduced\": %s, \"compared_events\": %s, ",
	       rep->reproduced ? "true" : "false",
	       rep->compared_events ? "true" : "false");
	if (rep->at_event)
		json_u64("seq", rep->seq);
	else
		fputs("\"seq\": null, ", stdout);
	json_event("expected", rep->at_event && rep->has_expected,
		   &rep->expected);
	json_event("actual", rep->at_event && rep->has_actual, &rep->actual);
	json_str("reason", rep->reproduced ? NULL : rep->reason);
	json_str("outcome", r->failed ? "fail" : "pass");
	json_str("oracle", r->failed ? r->oracle : NULL);
	json_u64("events", r->events);
	printf("\"event_hash\": \"0x%016" PRIx64 "\", \"recorded_as\": ",
	       r->event_hash);
	print_parent(recorded, "null");
	puts("}");
}

static int record_replay(struct trace_db *db, const struct replay_outcome *o,
			 s64 *id)
{
	struct sim_config cfg;
	struct adversary adv;
	struct trace_run tr;
	char err[ERR_BYTES];
	bool complete = event_log_complete(&o->ex.log);
	int rc;

	rc = replay_parse_config(&o->run, &cfg, &adv, err, sizeof(err));
	if (rc == 0)
		rc = replay_fill_run(&tr, TRACE_SOURCE_REPLAY, o->run.seed,
				     &cfg, &o->ex.result, o->run.choices,
				     o->run.nchoices, o->run.id, complete);
	else
		memset(&tr, 0, sizeof(tr));
	if (rc == 0)
		rc = trace_add_run(db, &tr, complete ? &o->ex.log : NULL);
	*id = tr.id;
	trace_run_free(&tr);
	if (rc)
		return trace_error("replay", "cannot record the replay: %s",
				   rc == TRACE_ECORRUPT ? err
							: trace_errmsg(db));
	return 0;
}

/*
 * A run that crashed or hung (crash.h) is replayed and minimised in child
 * processes: runs the command for it (replay when max_runs is 0, else
 * minimise) and closes db. Returns its exit status, or -1 (db still open)
 * for any other run.
 */
static int crash_command(struct trace_db *db, const struct trace_args *a,
			 u64 max_runs, bool quiet)
{
	struct trace_run run;
	int rc;

	if (trace_get_run(db, a->run, &run))
		return -1; /* the usual path reports it */
	if (!crash_run_is(&run)) {
		trace_run_free(&run);
		return -1;
	}
	if (max_runs)
		rc = crash_minimise(db, &run, a->db, max_runs, quiet);
	else
		rc = crash_replay(db, &run, a->db, a->json);
	trace_run_free(&run);
	trace_close(db);
	return rc;
}

int cli_replay(int argc, char **argv)
{
	struct trace_args a = { .cmd = "replay",
				.usage = cli_replay_usage,
				.need_run = true };
	struct replay_outcome o;
	char err[ERR_BYTES];
	struct trace_db *db;
	bool record = false;
	s64 recorded = 0;
	int rc;

	rc = parse_common(&a, argc, argv, replay_opt, &record, true);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (open_db(&a, record ? TRACE_WRITE : TRACE_READ, &db))
		return CLI_EXIT_USAGE;
	rc = crash_command(db, &a, 0, false);
	if (rc >= 0)
		return rc;
	sim_install_event_names();
	rc = replay_run(db, a.run, &o, err, sizeof(err));
	if (rc) {
		replay_outcome_free(&o);
		trace_close(db);
		return trace_error("replay", "%s", err);
	}
	if (record && record_replay(db, &o, &recorded)) {
		replay_outcome_free(&o);
		trace_close(db);
		return CLI_EXIT_USAGE;
	}
	if (a.json) {
		replay_json(&o, recorded);
	} else {
		replay_text(&a, &o);
		if (record)
			printf("recorded as run %" PRId64
			       " (source replay, parent %" PRId64 "): "
			       "ringside show %s %" PRId64 "\n",
			       recorded, a.run, a.db, recorded);
	}
	rc = o.report.reproduced ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	replay_outcome_free(&o);
	trace_close(db);
	return rc;
}

/* --- minimise --------------------------------------------------------------- */

void cli_minimise_usage(FILE *out)
{
	fprintf(out,
		"usage: ringside minimise [DB] RUN [--max-runs N] [--quiet]\n"
		"\n"
		"Shrinks the choice sequence of a failing run (a seeded run's "
		"choices are\n"
		"made by re-executing it first), as delta debugging and "
		"Hypothesis do:\n"
		"deleting spans (chunk sizes halving down to 1), zeroing "
		"spans and\n"
		"halving values. A candidate is kept when its run still fails "
		"with the\n"
		"same oracle at an event of the same kind (the event before "
		"the fail\n"
		"event). The configuration stays the same. The result is "
		"stored as a\n"
		"new run (source minimise, parent RUN, with its events); the "
		"sizes\n"
		"before and after (choices, steps, events) and its id are "
		"printed.\n"
		"\n"
		"Options:\n"
		"  --max-runs N   at most N re-executions (default %u)\n"
		"  --quiet        no progress lines on stderr\n"
		"  --help         this text\n"
		"\n"
		"Exit status: 0 minimised, 2 usage error, no such run, a run "
		"that did not\n"
		"fail, or a bad trace file.\n",
		MINIMISE_MAX_RUNS_DEFAULT);
}

struct minimise_ctx {
	struct trace_args *a;
	struct minimise_opts mo;
	bool quiet, tty;
	double last;
};

static int minimise_opt(void *ctx, int argc, char **argv, int *i)
{
	struct minimise_ctx *c = ctx;
	const char *v;
	u64 n;

	if (strcmp(argv[*i], "--quiet") == 0) {
		c->quiet = true;
		return OPT_TAKEN;
	}
	if (!cli_option_match(argv[*i], "--max-runs"))
		return OPT_NOT_MINE;
	if (need_value(c->a, argc, argv, i, "--max-runs", &v))
		return CLI_EXIT_USAGE;
	if (cli_parse_u64(v, &n) || n == 0)
		return cli_usage_error("minimise", cli_minimise_usage,
				       "bad --max-runs value '%s': a number, "
				       "at least 1",
				       v);
	c->mo.max_runs = n;
	return OPT_TAKEN;
}

/* A candidate runs in a child process: a shrunk sequence may reach a
 * crash the original did not (an assert of the code under test), which
 * must cost the candidate, not the minimiser. */
#define CANDIDATE_SECONDS 60.0

struct candidate_work {
	const struct minimise_target *t;
	const u64 *choices;
	size_t n;
};

/* In the child: whether the run failed as the original did, then the
 * first n values it drew. */
static int candidate_child(void *ctx, int in_fd, int out_fd)
{
	const struct candidate_work *c = ctx;
	struct sim_config cfg = *c->t->cfg;
	struct replay_exec ex;
	u64 head[2];

	(void)in_fd;
	if (replay_exec(&cfg, c->t->seed, c->choices, c->n, &ex))
		return 1;
	head[0] = minimise_same_failure(c->t, &ex);
	head[1] = ex.nchoices < c->n ? ex.nchoices : c->n;
	if (isolate_write_full(out_fd, head, sizeof(head)) ||
	    (head[0] && isolate_write_full(out_fd, ex.choices,
					   (size_t)head[1] * sizeof(u64))))
		return 1;
	replay_exec_free(&ex);
	return 0;
}

static int isolated_candidate(void *ctx, const struct minimise_target *t,
			      const u64 *choices, size_t n, bool *same,
			      u64 **drawn, size_t *ndrawn)
{
	struct candidate_work c = { .t = t, .choices = choices, .n = n };
	size_t len = (2 + n) * sizeof(u64), got = 0;
	struct isolate_end end;
	u64 *buf = malloc(len);

	(void)ctx;
	*same = false;
	if (!buf)
		return -ENOMEM;
	if (isolate_run(candidate_child, &c, CANDIDATE_SECONDS, buf, len, &got,
			&end) ||
	    end.crashed || end.hung || got < 2 * sizeof(u64) || !buf[0] ||
	    got != (2 + buf[1]) * sizeof(u64)) {
		free(buf);
		return 0; /* a crash, a hang or a pass: not kept */
	}
	*same = true;
	*ndrawn = (size_t)buf[1];
	memmove(buf, buf + 2, *ndrawn * sizeof(u64));
	*drawn = buf;
	return 0;
}

/* About every half second, and at every improvement on a log. */
static void minimise_progress(void *ctx, const struct minimise_progress *p)
{
	struct minimise_ctx *c = ctx;
	double now = cli_now();

	if (c->quiet || (!p->improved && now - c->last < 0.5))
		return;
	if (!p->improved && !c->tty && now - c->last < 2.0)
		return;
	c->last = now;
	fprintf(stderr,
		"%sringside minimise: %" PRIu64 "/%" PRIu64 " runs, %zu "
		"choices (%s)%s",
		c->tty ? "\r" : "", p->runs, p->max_runs, p->size, p->pass,
		c->tty ? "\033[K" : "\n");
}

int cli_minimise(int argc, char **argv)
{
	struct trace_args a = { .cmd = "minimise",
				.usage = cli_minimise_usage,
				.need_run = true };
	struct minimise_ctx c = { .a = &a };
	struct minimise_result res;
	char err[ERR_BYTES];
	struct trace_db *db;
	int rc;

	rc = parse_common(&a, argc, argv, minimise_opt, &c, false);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (open_db(&a, TRACE_WRITE, &db))
		return CLI_EXIT_USAGE;
	rc = crash_command(db, &a,
			   c.mo.max_runs ? c.mo.max_runs
					 : MINIMISE_MAX_RUNS_DEFAULT,
			   c.quiet);
	if (rc >= 0)
		return rc;
	c.tty = isatty(STDERR_FILENO);
	c.last = cli_now();
	c.mo.progress = minimise_progress;
	c.mo.ctx = &c;
	c.mo.candidate = isolated_candidate;
	rc = minimise_run(db, a.run, &c.mo, &res, err, sizeof(err));
	if (c.tty && !c.quiet)
		fputs("\r\033[K", stderr);
	trace_close(db);
	if (rc)
		return trace_error("minimise", "%s", err);
	printf("run %" PRId64 " of %s: oracle %s\n", a.run, a.db, res.oracle);
	printf("choices: %zu -> %zu%s\n", res.choices_before, res.choices_after,
	       res.choices_after ? "" : " (stored as one zero: all zeros)");
	printf("steps: %" PRIu64 " -> %" PRIu64 "\n", res.steps_before,
	       res.steps_after);
	printf("events: %" PRIu64 " -> %" PRIu64 "\n", res.events_before,
	       res.events_after);
	printf("re-executions: %" PRIu64 "%s\n", res.runs,
	       res.exhausted ? " (the bound: it may shrink further with "
			       "--max-runs)"
			     : "");
	printf("minimised run: %" PRId64 " (source minimise, parent %" PRId64
	       ")\n",
	       res.id, a.run);
	printf("show with: ringside show %s %" PRId64 "\n", a.db, res.id);
	return CLI_EXIT_OK;
}

/* --- export ----------------------------------------------------------------- */

void cli_export_usage(FILE *out)
{
	fputs("usage: ringside export [DB] RUN --format c|json [-o FILE] "
	      "[--without-plants]\n"
	      "\n"
	      "Writes one run of a trace file (default ringside.db):\n"
	      "  json  one object: the run, its behaviours, choices and "
	      "events\n"
	      "  c     a standalone regression test (tests/support/harness.h) "
	      "that\n"
	      "        replays the run's choices through sim_run with its\n"
	      "        configuration, checks that it reaches the recorded\n"
	      "        scenario (its events before the failing step) and that "
	      "it\n"
	      "        does NOT fail: it fails while the bug is there and "
	      "passes\n"
	      "        once it is fixed. Drop it into tests/regress/: the "
	      "next\n"
	      "        build (tools/test) picks it up and ctest runs it.\n"
	      "        Only a run that reproduces, and of at most 262144\n"
	      "        choices, is exported.\n"
	      "\n"
	      "Options:\n"
	      "  --format F         c or json (required)\n"
	      "  -o FILE            write to FILE instead of stdout\n"
	      "  --without-plants   c: drop plants= from the embedded "
	      "configuration\n"
	      "                     (the run without its planted faults)\n"
	      "  --help             this text\n"
	      "\n"
	      "Exit status: 0 success, 1 the run does not reproduce or is "
	      "too big\n"
	      "to export as C (nothing written), 2 usage error, no such run "
	      "or a\n"
	      "bad trace file.\n",
	      out);
}

struct export_ctx {
	struct trace_args *a;
	struct export_opts eo;
	bool format_set;
	const char *output;
};

static int export_opt(void *ctx, int argc, char **argv, int *i)
{
	struct export_ctx *c = ctx;
	const char *v;

	if (strcmp(argv[*i], "--without-plants") == 0) {
		c->eo.without_plants = true;
		return OPT_TAKEN;
	}
	if (strcmp(argv[*i], "-o") == 0 ||
	    cli_option_match(argv[*i], "--output")) {
		if (need_value(c->a, argc, argv, i, "-o", &v))
			return CLI_EXIT_USAGE;
		c->output = v;
		return OPT_TAKEN;
	}
	if (!cli_option_match(argv[*i], "--format"))
		return OPT_NOT_MINE;
	if (need_value(c->a, argc, argv, i, "--format", &v))
		return CLI_EXIT_USAGE;
	if (strcmp(v, "c") == 0)
		c->eo.format = EXPORT_C;
	else if (strcmp(v, "json") == 0)
		c->eo.format = EXPORT_JSON;
	else
		return cli_usage_error("export", cli_export_usage,
				       "bad --format value '%s': c or json", v);
	c->format_set = true;
	return OPT_TAKEN;
}

static void join_command(int argc, char **argv, char *buf, size_t n)
{
	size_t used = (size_t)snprintf(buf, n, "ringside");
	int i;

	for (i = 0; i < argc && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, " %s", argv[i]);
}

/* A run that crashed or hung must not be re-executed in this process:
 * it is re-executed in a child, and exported only when it crashes (or
 * hangs) the same way again. Returns 0 or the exit status. */
static int export_crash_check(struct trace_db *db, const struct trace_args *a,
			      struct export_opts *eo)
{
	char how[ERR_BYTES];
	struct trace_run run;
	int same;

	if (eo->format != EXPORT_C)
		return 0;
	if (trace_get_run(db, a->run, &run) != 0)
		return trace_error("export", "%s", trace_errmsg(db));
	same = crash_run_is(&run) ? crash_reproduces(&run, how, sizeof(how))
				  : 1;
	eo->crash_reproduced = crash_run_is(&run) && same == 1;
	trace_run_free(&run);
	if (same < 0)
		return trace_error("export", "run %" PRId64 ": %s", a->run,
				   how);
	if (same == 0) {
		fprintf(stderr,
			"ringside export: run %" PRId64 " does not reproduce: "
			"re-executed in a child it %s; not exported\n",
			a->run, how);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

int cli_export(int argc, char **argv)
{
	struct trace_args a = { .cmd = "export",
				.usage = cli_export_usage,
				.need_run = true };
	struct export_ctx c = { .a = &a };
	char err[ERR_BYTES], command[COMMAND_BYTES];
	struct trace_db *db;
	FILE *out = stdout;
	int rc;

	rc = parse_common(&a, argc, argv, export_opt, &c, false);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!c.format_set)
		return cli_usage_error("export", cli_export_usage,
				       "--format c|json is required");
	join_command(argc, argv, command, sizeof(command));
	c.eo.command = command;
	if (open_db(&a, TRACE_READ, &db))
		return CLI_EXIT_USAGE;
	rc = export_crash_check(db, &a, &c.eo);
	if (rc) {
		trace_close(db);
		return rc;
	}
	if (c.output) {
		out = fopen(c.output, "w");
		if (!out) {
			trace_close(db);
			return trace_error("export", "%s: cannot write: %s",
					   c.output, strerror(errno));
		}
	}
	rc = export_run(db, a.run, &c.eo, out, err, sizeof(err));
	trace_close(db);
	if (out != stdout && (fclose(out) != 0 || rc)) {
		remove(c.output);
		if (!rc)
			return trace_error("export", "%s: cannot write",
					   c.output);
	}
	if (rc == EXPORT_NOT_REPRODUCED || rc == EXPORT_TOO_BIG) {
		fprintf(stderr, "ringside export: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	if (rc)
		return trace_error("export", "%s", err);
	if (c.output)
		fprintf(stderr,
			"ringside export: run %" PRId64 " written to %s\n",
			a.run, c.output);
	return CLI_EXIT_OK;
}

/* --- merge ------------------------------------------------------------------ */

void cli_merge_usage(FILE *out)
{
	fputs("usage: ringside merge A.db [B.db ...] -o OUT.db\n"
	      "\n"
	      "Copies every run (with its events and behaviours) of the "
	      "trace files\n"
	      "into OUT.db, created when missing. A run already present (same "
	      "uid)\n"
	      "is not copied again, so merging twice adds nothing; parent "
	      "links are\n"
	      "remapped. Prints the runs added per file and the total.\n"
	      "\n"
	      "Options:\n"
	      "  -o OUT.db   the trace file to merge into (required)\n"
	      "  --help      this text\n"
	      "\n"
	      "Exit status: 0 success, 2 usage error or a bad trace file.\n",
	      out);
}

static int merge_one(struct trace_db *out, const char *path, u64 *total)
{
	char err[ERR_BYTES];
	struct trace_db *src;
	u64 added = 0;
	int rc;

	if (trace_open(path, TRACE_READ, &src, err, sizeof(err)) != 0)
		return trace_error("merge", "%s", err);
	rc = trace_merge_from(out, src, &added);
	if (rc)
		rc = trace_error("merge", "%s: %s", path, trace_errmsg(out));
	else
		printf("%s: %" PRIu64 " run%s added\n", path, added,
		       added == 1 ? "" : "s");
	*total += added;
	trace_close(src);
	return rc;
}

int cli_merge(int argc, char **argv)
{
	const char *output = NULL;
	char err[ERR_BYTES];
	struct trace_db *out;
	char **inputs;
	u64 total = 0;
	int i, n = 0, rc = 0;

	inputs = calloc((size_t)argc, sizeof(*inputs));
	if (!inputs)
		return trace_error("merge", "out of memory");
	for (i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_merge_usage(stdout);
			rc = -1;
		} else if (strcmp(argv[i], "-o") == 0 ||
			   cli_option_match(argv[i], "--output")) {
			output = cli_option_value(argc, argv, &i);
			if (!output)
				rc = cli_usage_error("merge", cli_merge_usage,
						     "option '-o' needs a "
						     "value");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_usage_error("merge", cli_merge_usage,
					     "unknown option '%s'", argv[i]);
		} else {
			inputs[n++] = argv[i];
		}
	}
	if (rc == 0 && !output)
		rc = cli_usage_error("merge", cli_merge_usage,
				     "-o OUT.db is required");
	if (rc == 0 && n == 0)
		rc = cli_usage_error("merge", cli_merge_usage,
				     "no trace file to merge");
	if (rc == 0 &&
	    trace_open(output, TRACE_CREATE, &out, err, sizeof(err)) != 0)
		rc = trace_error("merge", "%s", err);
	if (rc) {
		free(inputs);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = merge_one(out, inputs[i], &total);
	if (rc == 0)
		printf("total: %" PRIu64 " run%s added to %s\n", total,
		       total == 1 ? "" : "s", output);
	trace_close(out);
	free(inputs);
	return rc;
}

/* --- materialise ------------------------------------------------------------ */

void cli_materialise_usage(FILE *out)
{
	fputs("usage: ringside materialise [DB] [RUN ...] [options]\n"
	      "\n"
	      "Stores the events of runs whose events are regenerated (runs "
	      "recorded\n"
	      "with --record all; + in ringside runs) in the events table, so "
	      "that\n"
	      "sqlite3 queries over events and events_named see them. Each "
	      "run is\n"
	      "re-executed and its events checked against its event count "
	      "and hash\n"
	      "first; a run whose events do not match is reported and left "
	      "as it is.\n"
	      "RUNs named may be any run of the simulated world (e.g. a "
	      "passing run\n"
	      "of --record failures); without RUN, every run with "
	      "regenerated events\n"
	      "that the options select.\n"
	      "\n"
	      "Options:\n"
	      "  --outcome pass|fail  only runs with this outcome\n"
	      "  --oracle O           only runs that failed with oracle O\n"
	      "  --device D           only runs of device D\n"
	      "  --limit N            at most N runs (the first N by id)\n"
	      "  --help               this text\n"
	      "\n"
	      "Exit status: 0 success, 2 usage error, a bad trace file, or a "
	      "run\n"
	      "whose events could not be made or did not match (the others "
	      "are\n"
	      "stored).\n",
	      out);
}

struct materialise_ctx {
	struct trace_filter filter;
	s64 *ids;
	size_t n, cap;
	u64 stored, events, already, failed;
};

static int materialise_push(struct materialise_ctx *c, s64 id)
{
	s64 *p;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		p = realloc(c->ids, c->cap * sizeof(*p));
		if (!p)
			return TRACE_ENOMEM;
		c->ids = p;
	}
	c->ids[c->n++] = id;
	return 0;
}

/* trace_list_runs: the runs with regenerated events. */
static int materialise_take(void *ctx, const struct trace_run *run)
{
	if (run->has_events != TRACE_EVENTS_REGENERATED)
		return 0;
	return materialise_push(ctx, run->id);
}

/* Regenerates and stores one run's events; 0, or -1 after saying why. */
static int materialise_one(struct trace_db *db, struct materialise_ctx *c,
			   s64 id)
{
	char err[ERR_BYTES];
	struct trace_run run;
	struct event_log log;
	bool stored = false;
	int rc;

	if (trace_get_run(db, id, &run) != 0) {
		fprintf(stderr, "ringside materialise: %s\n", trace_errmsg(db));
		return -1;
	}
	event_log_init(&log, 0);
	if (run.has_events == TRACE_EVENTS_STORED) {
		c->already++;
		rc = 0;
	} else if (!trace_run_regenerable(&run)) {
		fprintf(stderr,
			"ringside materialise: run %" PRId64 " (source %s, "
			"oracle %s) cannot be re-executed: its events cannot "
			"be made\n",
			id, trace_source_name(run.source),
			run.failed ? run.oracle : "none");
		rc = -1;
	} else {
		run.has_events = TRACE_EVENTS_REGENERATED;
		rc = replay_events(db, &run, &log, err, sizeof(err));
		if (rc == TRACE_ECORRUPT)
			fprintf(stderr,
				"ringside materialise: NOT VERIFIED: %s\n",
				err);
		else if (rc)
			fprintf(stderr, "ringside materialise: %s\n", err);
		if (rc == 0 && trace_store_events(db, id, &log, &stored)) {
			fprintf(stderr, "ringside materialise: %s\n",
				trace_errmsg(db));
			rc = -1;
		}
	}
	if (rc == 0 && stored) {
		c->stored++;
		c->events += event_log_stored(&log);
	} else if (rc == 0) {
		c->already += run.has_events != TRACE_EVENTS_STORED;
	}
	event_log_free(&log);
	trace_run_free(&run);
	return rc ? -1 : 0;
}

static int materialise_positionals(struct trace_args *a,
				   struct materialise_ctx *c, char **pos,
				   int npos)
{
	int i = 0;
	s64 id;

	a->db = TRACE_DEFAULT_PATH;
	if (npos && !parse_run(pos[0], &id)) {
		a->db = pos[0];
		i = 1;
	}
	for (; i < npos; i++) {
		if (!parse_run(pos[i], &id))
			return cli_usage_error(a->cmd, a->usage,
					       "bad run number '%s': expected "
					       "a run id (1, 2, ...; see "
					       "ringside runs)",
					       pos[i]);
		if (materialise_push(c, id))
			return trace_error(a->cmd, "out of memory");
	}
	return 0;
}

int cli_materialise(int argc, char **argv)
{
	struct trace_args a = { .cmd = "materialise",
				.usage = cli_materialise_usage };
	struct materialise_ctx c = { .ids = NULL };
	struct runs_ctx opts = { .a = &a };
	struct trace_db *db;
	char **pos;
	int i, npos = 0, rc = 0;
	size_t k;

	pos = calloc((size_t)argc, sizeof(*pos));
	if (!pos)
		return trace_error(a.cmd, "out of memory");
	for (i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_materialise_usage(stdout);
			rc = -1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = runs_opt(&opts, argc, argv, &i);
			rc = rc == OPT_TAKEN ? 0
			     : rc == OPT_NOT_MINE
				     ? cli_usage_error(a.cmd, a.usage,
						       "unknown option '%s'",
						       argv[i])
				     : rc;
		} else {
			pos[npos++] = argv[i];
		}
	}
	c.filter = opts.filter;
	if (rc == 0)
		rc = materialise_positionals(&a, &c, pos, npos);
	free(pos);
	if (rc == 0 && open_db(&a, TRACE_WRITE, &db))
		rc = CLI_EXIT_USAGE;
	if (rc) {
		free(c.ids);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	/* no RUN named: the runs the options select */
	if (c.n == 0 && trace_list_runs(db, &c.filter, materialise_take, &c))
		rc = trace_error(a.cmd, "%s", trace_errmsg(db));
	for (k = 0; rc == 0 && k < c.n; k++)
		c.failed += materialise_one(db, &c, c.ids[k]) != 0;
	trace_close(db);
	free(c.ids);
	if (rc)
		return rc;
	printf("materialised: %" PRIu64 " run%s, %" PRIu64
	       " events stored in %s",
	       c.stored, c.stored == 1 ? "" : "s", c.events, a.db);
	if (c.already)
		printf("; %" PRIu64 " had them stored already", c.already);
	if (c.failed)
		printf("; %" PRIu64 " FAILED (see above)", c.failed);
	putchar('\n');
	return c.failed ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
