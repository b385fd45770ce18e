/*
 * cli_check.c - "ringside check": the conformance catalogue against one
 * target (model/check/check.h), as text, one JSON object, or JUnit XML.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include "cli.h"

#include <check.h>
#include <trace.h>
#include <vhost_backend.h>

#include <linux/errno.h>

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CCMD "check"

void cli_check_usage(FILE *out)
{
	unsigned int i;

	fputs("usage: ringside check TARGET [--only ID,...] [--seed N] "
	      "[--seeds N]\n"
	      "                      [--steps N] [--json] [--junit FILE] "
	      "[--quiet]\n"
	      "                      [--db FILE | --no-db]\n"
	      "       ringside check --list [--json]\n"
	      "       ringside check --robustness TARGET [options]\n"
	      "\n"
	      "Checks a virtio device model against the catalogue of device\n"
	      "requirements of the virtio 1.2 specification: well-behaved\n"
	      "drivers (the workloads of the simulated world) drive it with\n"
	      "varied layouts, queue sizes, features, legacy and 1.x, and\n"
	      "every requirement gets one verdict:\n"
	      "  PASS  observed and kept      FAIL  a MUST broken (with "
	      "evidence)\n"
	      "  WARN  a SHOULD broken        SKIP  not applicable, or "
	      "nothing to\n"
	      "                                     observe (with why)\n"
	      "\n"
	      "Targets:\n",
	      out);
	for (i = 0; check_target_kinds[i]; i++)
		fprintf(out, "  %s\n      %s\n", check_target_kinds[i]->usage,
			check_target_kinds[i]->summary);
	fputs("\n"
	      "  --list          print the catalogue (with --json: as JSON)\n"
	      "  --only ID,...   check only these requirements\n"
	      "  --seed N        first seed of the cases (default 1)\n"
	      "  --seeds N       cases per transport mode (default 8)\n"
	      "  --steps N       scheduler steps per case (default 3000)\n"
	      "  --json          the report as one JSON object on stdout\n"
	      "  --junit FILE    also write the report as JUnit XML, one test\n"
	      "                  case per requirement\n"
	      "  --quiet         no progress on stderr\n"
	      "  --db FILE       record the evidence of every FAIL and WARN "
	      "as a run\n"
	      "                  of this trace file "
	      "(default " TRACE_DEFAULT_PATH "); the\n"
	      "                  verdict names the run: ringside show FILE "
	      "RUN\n"
	      "                  prints its step, observed and expected values "
	      "and\n"
	      "                  (sim:, lib:) the events that led to it\n"
	      "  --no-db         record nothing\n"
	      "  --robustness    the malicious-driver suite instead: one "
	      "broken\n"
	      "                  driver rule at a time against TARGET (sim:,\n"
	      "                  lib:, qemu:, vhost-user:, vhost-user-exec:); "
	      "its\n"
	      "                  options and exit statuses are\n"
	      "                  in `ringside check --robustness --help`\n"
	      "                  (`ringside robustness` is the same command)\n"
	      "\n"
	      "Evidence of a FAIL names the case (mode, seed), the step and "
	      "its "
	      "run\n"
	      "in the trace file; sim: and lib: targets are deterministic, "
	      "so\n"
	      "  ringside check TARGET --seed N --seeds 1 --only ID\n"
	      "reproduces it exactly.\n"
	      "\n"
	      "A vhost-user back end we start (vhost-user-exec:) runs once "
	      "per case\n"
	      "and is stopped, its files removed, after it, and on SIGINT "
	      "or\n"
	      "SIGTERM; vhost-user:SOCKET connects anew for every case.\n"
	      "\n"
	      "Exit status: 0 no FAIL, 1 a requirement FAILed, 2 usage or "
	      "setup\n"
	      "error (a target that cannot start is a setup error), 130/143 "
	      "on\n"
	      "SIGINT/SIGTERM.\n",
	      out);
}

struct check_cli {
	const char *target;
	const char *junit;
	const char *db_path; /* NULL: --no-db */
	bool list, json, quiet;
	u64 steps;
	struct check_options o;
};

static const char *level_name(enum check_level l)
{
	return l == CHECK_MUST ? "MUST" : "SHOULD";
}

static const char *modes_name(u8 modes)
{
	return modes == CHECK_BOTH     ? "legacy,1.x"
	       : modes == CHECK_MODERN ? "1.x"
				       : "legacy";
}

static void devices_name(u32 mask, char *buf, size_t n)
{
	static const char *const names[] = { NULL, "net", "block", "console",
					     "entropy" };
	unsigned int i;
	size_t used = 0;

	buf[0] = '\0';
	if (!mask) {
		snprintf(buf, n, "any");
		return;
	}
	for (i = 1; i < 5; i++)
		if (mask & CHECK_DEV(i))
			used += (size_t)snprintf(buf + used, n - used, "%s%s",
						 used ? "," : "", names[i]);
}

/* The feature an entry needs negotiated, as ", feature N (NAME)
 * negotiated", or "" for none. */
static void feature_name(int bit, char *buf, size_t n)
{
	const char *name = bit == 28   ? " (INDIRECT_DESC)"
			   : bit == 29 ? " (EVENT_IDX)"
				       : "";

	buf[0] = '\0';
	if (bit >= 0)
		snprintf(buf, n, ", feature %d%s negotiated", bit, name);
}

static void list_text(void)
{
	unsigned int i;
	char dev[64], feature[64];

	printf("# ringside device-requirement catalogue, version %d: %u "
	       "entries\n",
	       CHECK_CATALOGUE_VERSION, check_catalogue_size);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_req *q = &check_catalogue[i];

		devices_name(q->devices, dev, sizeof(dev));
		feature_name(q->feature, feature, sizeof(feature));
		printf("%-26s %-6s %-9s %s\n", q->id, level_name(q->level),
		       q->section, q->text);
		printf("%26s applies: device %s, %s%s%s\n", "", dev,
		       modes_name(q->modes), feature,
		       q->transport ? ", virtio-pci only" : "");
		printf("%26s checked: %s\n", "", q->how);
	}
}

static void json_kv(const char *key, const char *value, bool comma)
{
	printf("\"%s\":", key);
	cli_json_string(stdout, value);
	if (comma)
		putchar(',');
}

static void list_json(void)
{
	unsigned int i;
	char dev[64];

	printf("{\"catalogue_version\":%d,\"entries\":[",
	       CHECK_CATALOGUE_VERSION);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_req *q = &check_catalogue[i];

		devices_name(q->devices, dev, sizeof(dev));
		printf("%s{", i ? "," : "");
		json_kv("id", q->id, true);
		json_kv("area", q->area, true);
		json_kv("section", q->section, true);
		json_kv("level", level_name(q->level), true);
		json_kv("text", q->text, true);
		json_kv("devices", dev, true);
		json_kv("modes", modes_name(q->modes), true);
		if (q->feature >= 0)
			printf("\"feature\":%d,", q->feature);
		else
			printf("\"feature\":null,");
		json_kv("transport",
			q->transport == CHECK_TRANSPORT_PCI ? "pci" : "any",
			true);
		json_kv("how", q->how, true);
		json_kv("proof", q->proof, false);
		putchar('}');
	}
	puts("]}");
}

static void evidence_line(FILE *out, const struct check_evidence *ev)
{
	fprintf(out, "%s seed %llu, step %llu, queue %u: %s",
		ev->mode == CHECK_MODERN ? "1.x" : "legacy",
		(unsigned long long)ev->seed, (unsigned long long)ev->step,
		ev->queue, ev->text);
	if (ev->run)
		fprintf(out, " [run %lld]", (long long)ev->run);
}

static void report_text(const struct check_report *rep)
{
	unsigned int i;

	printf("ringside check %s: %u cases, device id %u\n", rep->target,
	       rep->cases, rep->device_id);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_result *r = &rep->r[i];

		printf("%-4s %-26s", check_verdict_name(r->verdict),
		       check_catalogue[i].id);
		if (r->verdict == CHECK_SKIP)
			printf(" %s", r->why);
		else if (r->has_evidence) {
			putchar(' ');
			evidence_line(stdout, &r->ev);
			printf(" (in %u of %u cases)", r->violations, r->cases);
		} else
			printf(" (%u of %u cases exercised it)", r->exercised,
			       r->cases);
		putchar('\n');
	}
	printf("%u PASS, %u FAIL, %u WARN, %u SKIP in %.2f s\n", rep->pass,
	       rep->fail, rep->warn, rep->skip, rep->seconds);
}

static void report_json(const struct check_report *rep)
{
	unsigned int i;

	printf("{\"target\":");
	cli_json_string(stdout, rep->target);
	printf(",\"catalogue_version\":%d,\"seed\":%llu,\"cases\":%u,"
	       "\"device_id\":%u,\"pass\":%u,\"fail\":%u,\"warn\":%u,"
	       "\"skip\":%u,\"seconds\":%.3f,\"results\":[",
	       CHECK_CATALOGUE_VERSION, (unsigned long long)rep->seed,
	       rep->cases, rep->device_id, rep->pass, rep->fail, rep->warn,
	       rep->skip, rep->seconds);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_result *r = &rep->r[i];

		printf("%s{", i ? "," : "");
		json_kv("id", check_catalogue[i].id, true);
		json_kv("verdict", check_verdict_name(r->verdict), true);
		printf("\"cases\":%u,\"exercised\":%u,\"violations\":%u",
		       r->cases, r->exercised, r->violations);
		if (r->verdict == CHECK_SKIP) {
			putchar(',');
			json_kv("why", r->why, false);
		}
		if (r->has_evidence) {
			printf(",\"evidence\":{\"mode\":\"%s\",\"seed\":%llu,"
			       "\"step\":%llu,\"queue\":%u,\"observed\":%llu,"
			       "\"expected\":%llu,",
			       r->ev.mode == CHECK_MODERN ? "1.x" : "legacy",
			       (unsigned long long)r->ev.seed,
			       (unsigned long long)r->ev.step, r->ev.queue,
			       (unsigned long long)r->ev.observed,
			       (unsigned long long)r->ev.expected);
			if (r->ev.run)
				printf("\"run\":%lld,", (long long)r->ev.run);
			json_kv("text", r->ev.text, false);
			putchar('}');
		}
		putchar('}');
	}
	puts("]}");
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20 &&
			    (unsigned char)*s < 0x7f)
				fputc(*s, out);
			else
				fputc('?', out);
		}
	}
}

static int report_junit(const struct check_report *rep, const char *path)
{
	FILE *out = fopen(path, "w");
	unsigned int i;

	if (!out)
		return -errno;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<testsuites>\n<testsuite name=\"ringside check ");
	xml_text(out, rep->target);
	fprintf(out,
		"\" tests=\"%u\" failures=\"%u\" skipped=\"%u\" time=\"%.3f\">"
		"\n",
		check_catalogue_size, rep->fail + rep->warn, rep->skip,
		rep->seconds);
	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_result *r = &rep->r[i];
		const struct check_req *q = &check_catalogue[i];

		fprintf(out, "  <testcase classname=\"%s\" name=\"%s\">",
			q->area, q->id);
		if (r->verdict == CHECK_SKIP) {
			fputs("<skipped message=\"", out);
			xml_text(out, r->why);
			fputs("\"/>", out);
		} else if (r->verdict != CHECK_PASS) {
			fprintf(out, "<failure type=\"%s\" message=\"",
				check_verdict_name(r->verdict));
			xml_text(out, q->text);
			fputs("\">", out);
			fprintf(out, "%s %s: ", level_name(q->level),
				q->section);
			if (r->has_evidence) {
				char line[400];

				snprintf(line, sizeof(line),
					 "%s seed %llu step %llu queue %u: %s "
					 "(run %lld)",
					 r->ev.mode == CHECK_MODERN ? "1.x"
								    : "legacy",
					 (unsigned long long)r->ev.seed,
					 (unsigned long long)r->ev.step,
					 r->ev.queue, r->ev.text,
					 (long long)r->ev.run);
				xml_text(out, line);
			}
			fputs("</failure>", out);
		}
		fputs("</testcase>\n", out);
	}
	fputs("</testsuite>\n</testsuites>\n", out);
	if (fclose(out) != 0)
		return -errno;
	return 0;
}

static int parse_only(struct check_options *o, const char *list)
{
	char buf[1024];
	char *save = NULL, *id;
	int i;

	snprintf(buf, sizeof(buf), "%s", list);
	for (id = strtok_r(buf, ",", &save); id;
	     id = strtok_r(NULL, ",", &save)) {
		i = check_lookup(id);
		if (i < 0)
			return cli_usage_error(CCMD, NULL,
					       "--only: no requirement '%s' "
					       "(ringside check --list)",
					       id);
		o->only[i] = true;
		o->only_set = true;
	}
	return 0;
}

static int parse_number(const char *opt, const char *v, u64 lo, u64 hi,
			u64 *out)
{
	if (!v || cli_parse_u64(v, out) != 0 || *out < lo || *out > hi)
		return cli_usage_error(CCMD, cli_check_usage,
				       "%s needs a number from %llu to %llu",
				       opt, (unsigned long long)lo,
				       (unsigned long long)hi);
	return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse(struct check_cli *a, int argc, char **argv)
{
	int i, ret, rc;
	u64 v;

	a->o.seed = 1;
	a->db_path = TRACE_DEFAULT_PATH;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			cli_check_usage(stdout);
			return CLI_EXIT_OK;
		} else if (strcmp(s, "--list") == 0) {
			a->list = true;
		} else if (strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (strcmp(s, "--quiet") == 0) {
			a->quiet = true;
		} else if (cli_db_option(argc, argv, &i, CCMD, cli_check_usage,
					 &a->db_path, &rc)) {
			if (rc)
				return rc;
		} else if (cli_option_match(s, "--junit")) {
			a->junit = cli_option_value(argc, argv, &i);
			if (!a->junit)
				return cli_usage_error(CCMD, cli_check_usage,
						       "--junit needs a file");
		} else if (cli_option_match(s, "--only")) {
			const char *list = cli_option_value(argc, argv, &i);

			if (!list)
				return cli_usage_error(CCMD, cli_check_usage,
						       "--only needs ID,...");
			ret = parse_only(&a->o, list);
			if (ret)
				return ret;
		} else if (cli_option_match(s, "--seed")) {
			ret = parse_number("--seed",
					   cli_option_value(argc, argv, &i), 0,
					   ~0ULL >> 1, &a->o.seed);
			if (ret)
				return ret;
		} else if (cli_option_match(s, "--seeds")) {
			ret = parse_number("--seeds",
					   cli_option_value(argc, argv, &i), 1,
					   1000000, &v);
			if (ret)
				return ret;
			a->o.seeds = (unsigned int)v;
		} else if (cli_option_match(s, "--steps")) {
			ret = parse_number("--steps",
					   cli_option_value(argc, argv, &i), 1,
					   10000000, &a->steps);
			if (ret)
				return ret;
		} else if (s[0] == '-') {
			return cli_usage_error(CCMD, cli_check_usage,
					       "unknown option '%s'", s);
		} else if (a->target) {
			return cli_usage_error(
				CCMD, cli_check_usage,
				"one target only ('%s' and '%s')", a->target,
				s);
		} else {
			a->target = s;
		}
	}
	if (!a->list && !a->target)
		return cli_usage_error(CCMD, cli_check_usage,
				       "no target given (or --list)");
	return -1;
}

/* --- evidence in the trace store (check.h note 4) ----------------------- */

struct evidence_db {
	const struct check_cli *a;
	struct trace_db *db;
	bool failed;
	char err[300];
};

static const char *device_name(u32 id)
{
	static const char *const names[] = { "?", "net", "block", "console",
					     "entropy" };

	return id < 5 ? names[id] : "?";
}

/* The command that reproduces the case: the config of the run. */
static void reproduce(const struct check_cli *a, const struct check_report *rep,
		      unsigned int i, char *buf, size_t n)
{
	const struct check_evidence *ev = &rep->r[i].ev;
	int used =
		snprintf(buf, n, "check %.300s --seed %llu --seeds 1 --only %s",
			 rep->target, (unsigned long long)ev->seed,
			 check_catalogue[i].id);

	if (a->steps && used > 0 && (size_t)used < n)
		snprintf(buf + used, n - (size_t)used, " --steps %llu",
			 (unsigned long long)a->steps);
}

/* The trail of c as the run's events, renumbered from 0. */
static void trail_log(const struct check_case *c, struct event_log *log)
{
	unsigned int k;

	event_log_init(log, 0);
	for (k = 0; c && k < c->trail_n; k++) {
		const struct sim_event *e = &c->trail[k];

		event_log_add(log, e->step, e->actor, e->kind, e->queue, e->a,
			      e->b, e->c);
	}
}

static s64 record_evidence(void *ctx, const struct check_report *rep,
			   unsigned int i, const struct check_case *c)
{
	struct evidence_db *e = ctx;
	const struct check_evidence *ev = &rep->r[i].ev;
	struct trace_run tr;
	struct event_log log;
	bool events = c && c->trail_n;

	if (e->failed)
		return 0;
	if (!e->db && trace_open(e->a->db_path, TRACE_CREATE, &e->db, e->err,
				 sizeof(e->err))) {
		e->failed = true;
		return 0;
	}
	memset(&tr, 0, sizeof(tr));
	tr.seed = ev->seed;
	tr.source = TRACE_SOURCE_CHECK;
	reproduce(e->a, rep, i, tr.config, sizeof(tr.config));
	snprintf(tr.device, sizeof(tr.device), "%s",
		 device_name(rep->device_id));
	tr.mode = ev->mode == CHECK_MODERN ? 2 : 1;
	tr.failed = true;
	snprintf(tr.oracle, sizeof(tr.oracle), "%s", check_catalogue[i].id);
	snprintf(tr.message, sizeof(tr.message),
		 "%s: observed %llu, expected %llu, queue %u: %.120s",
		 check_verdict_name(rep->r[i].verdict),
		 (unsigned long long)ev->observed,
		 (unsigned long long)ev->expected, ev->queue, ev->text);
	tr.fail_step = ev->step;
	tr.steps = ev->step;
	trail_log(c, &log);
	tr.events = event_log_count(&log);
	tr.event_hash = event_log_hash(&log);
	if (trace_add_run(e->db, &tr, events ? &log : NULL)) {
		snprintf(e->err, sizeof(e->err), "%s", trace_errmsg(e->db));
		e->failed = true;
		tr.id = 0;
	}
	event_log_free(&log);
	return tr.id;
}

/* Returns 0, or an exit status (the message printed). */
static int record_all(const struct check_cli *a, struct check_target *t,
		      struct check_report *rep)
{
	struct evidence_db e = { .a = a };
	char err[600];
	int ret;

	if (!a->db_path || (!rep->fail && !rep->warn))
		return 0;
	ret = check_record_evidence(t, rep, record_evidence, &e, err,
				    sizeof(err));
	if (e.db)
		trace_close(e.db);
	if (ret) {
		fprintf(stderr, "ringside check: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (e.failed) {
		fprintf(stderr,
			"ringside check: cannot record the evidence: %s\n",
			e.err);
		return CLI_EXIT_USAGE;
	}
	if (!a->json)
		fprintf(stderr,
			"ringside check: evidence recorded in %s (ringside "
			"show %s RUN)\n",
			a->db_path, a->db_path);
	return 0;
}

static void progress(void *ctx, unsigned int done, unsigned int total)
{
	(void)ctx;
	fprintf(stderr, "\rringside check: case %u of %u", done, total);
	if (done == total)
		fputc('\n', stderr);
}

/* `check --robustness ...` is `robustness ...`: the option taken out of
 * argv (in place, the rest in order) and the rest handed on. Returns -1
 * when the option is not there. */
static int robustness_mode(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--robustness"))
			continue;
		memmove(&argv[i], &argv[i + 1],
			(size_t)(argc - i) * sizeof(*argv));
		return cli_robustness(argc - 1, argv);
	}
	return -1;
}

int cli_check(int argc, char **argv)
{
	struct check_cli a = { 0 };
	struct check_target t;
	struct check_report *rep;
	char err[600];
	double start;
	int ret = robustness_mode(argc, argv);

	if (ret >= 0)
		return ret;
	ret = parse(&a, argc, argv);
	if (ret >= 0)
		return ret;
	if (a.list) {
		if (a.json)
			list_json();
		else
			list_text();
		return CLI_EXIT_OK;
	}
	if (check_target_open(&t, a.target, err, sizeof(err)) != 0) {
		fprintf(stderr, "ringside check: %s\n", err);
		check_target_close(&t);
		return CLI_EXIT_USAGE;
	}
	t.steps = a.steps;
	if (!a.quiet && !a.json && isatty(STDERR_FILENO))
		a.o.progress = progress;
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		check_target_close(&t);
		fputs("ringside check: out of memory\n", stderr);
		return CLI_EXIT_USAGE;
	}
	start = cli_now();
	ret = check_run(&t, &a.o, rep, err, sizeof(err));
	rep->seconds = cli_now() - start;
	if (vhb_signal()) {
		check_target_close(&t);
		/* A back end of ours is stopped and its files removed by
		 * now: end as the signal would have ended us. */
		fprintf(stderr,
			"ringside check: interrupted by signal %d; the back "
			"end stopped, its files removed\n",
			vhb_signal());
		free(rep);
		vhb_reraise();
		return 128 + vhb_signal();
	}
	if (ret) {
		check_target_close(&t);
		fprintf(stderr, "ringside check: %s\n", err);
		free(rep);
		return CLI_EXIT_USAGE;
	}
	ret = record_all(&a, &t, rep);
	check_target_close(&t);
	if (ret) {
		free(rep);
		return ret;
	}
	if (a.json)
		report_json(rep);
	else
		report_text(rep);
	if (a.junit && (ret = report_junit(rep, a.junit)) != 0) {
		fprintf(stderr, "ringside check: cannot write %s: %s\n",
			a.junit, strerror(-ret));
		free(rep);
		return CLI_EXIT_USAGE;
	}
	ret = rep->fail ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	free(rep);
	return ret;
}
