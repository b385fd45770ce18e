/*
 * cli_robust.c - ringside check --robustness (and its alias ringside
 * robustness): the malicious-driver suite (model/robust/robust.h) against
 * one target, with a text, JSON or JUnit report.
 *
 * Exit status: 0 when no case is FAIL or WEDGED, 1 when one is, 2 on a
 * usage error or a target that cannot start.
 */
#include "cli.h"

#include <robust.h>
#include <sim_transport.h>
#include <trace.h>
#include <vhost.h>
#include <vhost_backend.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RCMD "robustness"

void cli_robustness_usage(FILE *out)
{
	fputs("usage: ringside check --robustness TARGET [--seed N] "
	      "[--only ID,...]\n"
	      "                      [--json] [--junit FILE] [--isolate]\n"
	      "                      [--db FILE | --no-db]\n"
	      "       ringside check --robustness --list [--json]\n"
	      "       (`ringside robustness ...` is the same command)\n"
	      "\n"
	      "Runs the malicious-driver suite against a device model: each "
	      "case\n"
	      "breaks one rule the virtio specification sets for drivers "
	      "(through a\n"
	      "raw ring writer that bypasses the hardened ring), on a fresh "
	      "instance,\n"
	      "then a short well-formed workload checks that the device "
	      "still works.\n"
	      "\n"
	      "Targets:\n"
	      "  sim:DEVICE[,legacy|modern]   our simulated devices (block, "
	      "entropy,\n"
	      "                               console, net); modern when "
	      "not said\n"
	      "  lib:PATH[,OPTIONS]           a device model in a shared "
	      "library\n"
	      "                               (ringside/device_model.h), "
	      "modern;\n"
	      "                               every case in a child "
	      "process\n"
	      "  qemu:DEVICE[,legacy|modern]  QEMU's virtio-pci device over "
	      "qtest\n"
	      "  vhost-user:DEVICE:SOCKET     a vhost-user back end someone "
	      "started\n"
	      "                               (DEVICE: block, fs, net), a "
	      "session\n"
	      "                               per case\n"
	      "  vhost-user-exec:DEVICE[:COMMAND]\n"
	      "                               a back end started per case "
	      "and\n"
	      "                               stopped after it (@SOCK@, "
	      "@DIR@ in\n"
	      "                               COMMAND); no COMMAND: the "
	      "built-in\n"
	      "                               qemu-storage-daemon, "
	      "virtiofsd or\n"
	      "                               dpdk-testpmd\n"
	      "\n"
	      "Verdicts: REJECT (refused cleanly, still works), FAIL "
	      "(crashed, wrote\n"
	      "outside the request, impossible used entry, later requests "
	      "broken),\n"
	      "WEDGED (alive, but dead even after a reset), SKIP (does not "
	      "apply).\n"
	      "\n"
	      "Options:\n"
	      "  --seed N       the seed of the first case (default 1); "
	      "sim: and\n"
	      "                 lib: targets give the same report for the "
	      "same seed\n"
	      "  --only IDS     only these cases (comma-separated ids, see "
	      "--list)\n"
	      "  --json         one JSON object instead of the text report\n"
	      "  --junit FILE   also write a JUnit XML file, one test case "
	      "per case\n"
	      "  --isolate      each case in a child process (a crash is "
	      "that case's\n"
	      "                 FAIL; lib: targets always are, qemu: "
	      "targets need\n"
	      "                 none, QEMU is its own process)\n"
	      "  --db FILE      record every FAIL and WEDGED case as a\n"
	      "                 run of this trace file "
	      "(default " TRACE_DEFAULT_PATH "), its\n"
	      "                 evidence in the message (ringside show "
	      "RUN)\n"
	      "  --no-db        record nothing\n"
	      "  --list         the catalogue\n"
	      "\n"
	      "Exit status: 0 no FAIL or WEDGED, 1 some, 2 usage error or a "
	      "target\n"
	      "that cannot start, 130/143 on SIGINT/SIGTERM (a back end we "
	      "started\n"
	      "is stopped and its files removed first).\n",
	      out);
}

struct rb_cli {
	const char *target, *only, *junit;
	const char *db_path; /* NULL: --no-db */
	u64 seed;
	bool json, list, isolate;
};

static int parse(int argc, char **argv, struct rb_cli *m)
{
	int i, rc;

	m->seed = 1;
	m->db_path = TRACE_DEFAULT_PATH;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cli_robustness_usage(stdout);
			return -1;
		} else if (!strcmp(a, "--json")) {
			m->json = true;
		} else if (!strcmp(a, "--list")) {
			m->list = true;
		} else if (!strcmp(a, "--isolate")) {
			m->isolate = true;
		} else if (cli_db_option(argc, argv, &i, RCMD,
					 cli_robustness_usage, &m->db_path,
					 &rc)) {
			if (rc)
				return rc;
		} else if (cli_option_match(a, "--seed")) {
			v = cli_option_value(argc, argv, &i);
			if (!v || cli_parse_u64(v, &m->seed))
				return cli_usage_error(RCMD,
						       cli_robustness_usage,
						       "--seed needs a number");
		} else if (cli_option_match(a, "--only")) {
			m->only = cli_option_value(argc, argv, &i);
			if (!m->only)
				return cli_usage_error(RCMD,
						       cli_robustness_usage,
						       "--only needs case ids");
		} else if (cli_option_match(a, "--junit")) {
			m->junit = cli_option_value(argc, argv, &i);
			if (!m->junit)
				return cli_usage_error(RCMD,
						       cli_robustness_usage,
						       "--junit needs a file");
		} else if (a[0] == '-') {
			return cli_usage_error(RCMD, cli_robustness_usage,
					       "unknown option \"%s\"", a);
		} else if (m->target) {
			return cli_usage_error(RCMD, cli_robustness_usage,
					       "one target only (\"%s\")", a);
		} else {
			m->target = a;
		}
	}
	if (!m->target && !m->list)
		return cli_usage_error(RCMD, cli_robustness_usage,
				       "no target (e.g. sim:block)");
	return 0;
}

static void list_cases(bool json)
{
	char devs[64];
	unsigned int i;

	if (json)
		printf("{\"cases\":[");
	for (i = 0; i < rb_ncases; i++) {
		const struct rb_case *k = &rb_cases[i];

		rb_device_names(k->devices, devs, sizeof(devs));
		if (!json) {
			printf("%-30s %-9s %-8s %s\n", k->id, k->section, devs,
			       k->rule);
			continue;
		}
		printf("%s{\"id\":", i ? "," : "");
		cli_json_string(stdout, k->id);
		printf(",\"section\":");
		cli_json_string(stdout, k->section);
		printf(",\"devices\":");
		cli_json_string(stdout, devs);
		printf(",\"rule\":");
		cli_json_string(stdout, k->rule);
		printf(",\"allowed\":");
		cli_json_string(stdout, k->allowed);
		printf("}");
	}
	if (json)
		printf("],\"count\":%u}\n", rb_ncases);
	else
		printf("%u cases\n", rb_ncases);
}

static const char *detail(const struct rb_result *r)
{
	return r->verdict == RB_REJECT ? r->reaction : r->why;
}

static void progress(void *ctx, const struct rb_result *r)
{
	(void)ctx;
	fprintf(stderr, "%-30s %s\n", r->kase->id, rb_verdict_name(r->verdict));
}

static void print_text(const struct rb_report *rep, double seconds)
{
	unsigned int i;

	printf("robustness %s seed %llu\n", rep->target,
	       (unsigned long long)rep->seed);
	for (i = 0; i < rep->nresults; i++) {
		const struct rb_result *r = &rep->results[i];

		printf("%-7s %-30s %-9s %s\n", rb_verdict_name(r->verdict),
		       r->kase->id, r->kase->section, detail(r));
		if (r->run)
			printf("        evidence: run %lld of the trace file "
			       "(ringside show FILE %lld)\n",
			       (long long)r->run, (long long)r->run);
		if (r->verdict == RB_FAIL || r->verdict == RB_WEDGED)
			printf("        reproduce with: ringside check "
			       "--robustness %s "
			       "--only %s --seed %llu\n",
			       rep->target, r->kase->id,
			       (unsigned long long)rep->seed);
	}
	printf("%u cases: %u reject, %u fail, %u wedged, %u skip (%.2f s)\n",
	       rep->nresults, rep->counts[RB_REJECT], rep->counts[RB_FAIL],
	       rep->counts[RB_WEDGED], rep->counts[RB_SKIP], seconds);
}

static void print_json(const struct rb_report *rep, double seconds)
{
	unsigned int i;

	printf("{\"target\":");
	cli_json_string(stdout, rep->target);
	printf(",\"seed\":%llu,\"seconds\":%.3f,\"counts\":{\"reject\":%u,"
	       "\"fail\":%u,\"wedged\":%u,\"skip\":%u},\"cases\":[",
	       (unsigned long long)rep->seed, seconds, rep->counts[RB_REJECT],
	       rep->counts[RB_FAIL], rep->counts[RB_WEDGED],
	       rep->counts[RB_SKIP]);
	for (i = 0; i < rep->nresults; i++) {
		const struct rb_result *r = &rep->results[i];

		printf("%s{\"id\":", i ? "," : "");
		cli_json_string(stdout, r->kase->id);
		printf(",\"section\":");
		cli_json_string(stdout, r->kase->section);
		printf(",\"verdict\":");
		cli_json_string(stdout, rb_verdict_name(r->verdict));
		printf(",\"detail\":");
		cli_json_string(stdout, detail(r));
		printf(",\"needs_reset\":%s,\"used\":%u,\"received\":%u",
		       r->needs_reset ? "true" : "false", r->used_seen,
		       r->received);
		if (r->run)
			printf(",\"run\":%lld", (long long)r->run);
		putchar('}');
	}
	printf("]}\n");
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 &&
			    (unsigned char)*s < 0x7f)
				fputc(*s, f);
			else
				fprintf(f, "&#%u;", (unsigned char)*s);
		}
	}
}

static int write_junit(const char *path, const struct rb_report *rep,
		       double seconds)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f) {
		fprintf(stderr, "ringside robustness: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"robustness ");
	xml_text(f, rep->target);
	fprintf(f,
		"\" tests=\"%u\" failures=\"%u\" errors=\"%u\" "
		"skipped=\"%u\" time=\"%.3f\">\n",
		rep->nresults, rep->counts[RB_FAIL], rep->counts[RB_WEDGED],
		rep->counts[RB_SKIP], seconds);
	for (i = 0; i < rep->nresults; i++) {
		const struct rb_result *r = &rep->results[i];
		const char *tag = r->verdict == RB_FAIL	    ? "failure"
				  : r->verdict == RB_WEDGED ? "error"
				  : r->verdict == RB_SKIP   ? "skipped"
							    : NULL;

		fprintf(f, "  <testcase classname=\"robustness.");
		xml_text(f, rep->target);
		fprintf(f, "\" name=\"");
		xml_text(f, r->kase->id);
		fprintf(f, "\">");
		if (tag) {
			fprintf(f, "<%s message=\"", tag);
			xml_text(f, detail(r));
			fprintf(f, "\"/>");
		}
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
	return fclose(f) ? -1 : 0;
}

/* The target's device for the run's device column: "sim:block",
 * "qemu:virtio-blk-pci", "lib:" and the plug-in's file name. */
static void short_name(const char *target, char *buf, size_t n)
{
	const char *end = strchr(target, ',');
	size_t len = end ? (size_t)(end - target) : strlen(target), base = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (target[i] == '/')
			base = i + 1;
	if (!strncmp(target, "lib:", 4) && base)
		snprintf(buf, n, "lib:%.*s", (int)(len - base), target + base);
	else
		snprintf(buf, n, "%.*s", (int)len, target);
}

/* Where FAIL and WEDGED cases are recorded: the trace file is opened at
 * the first one. */
struct recorder {
	const char *path;
	const struct rb_target *t;
	u64 seed;
	struct trace_db *db;
	unsigned int recorded;
	int err; /* -EIO once a case could not be recorded (printed) */
};

static void fill_run(const struct recorder *w, const struct rb_result *r,
		     struct trace_run *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->seed = r->seed;
	tr->source = w->t->deterministic ? TRACE_SOURCE_CHECK
		     : strncmp(w->t->name, "vhost-user", 10) == 0
			     ? TRACE_SOURCE_VHOST
			     : TRACE_SOURCE_QEMU;
	if (w->t->deterministic)
		snprintf(tr->config, sizeof(tr->config),
			 "check --robustness %.300s --only %s --seed %llu",
			 w->t->name, r->kase->id, (unsigned long long)w->seed);
	else
		snprintf(tr->config, sizeof(tr->config),
			 "robustness target=%.300s case=%s seed=%llu",
			 w->t->name, r->kase->id, (unsigned long long)r->seed);
	short_name(w->t->name, tr->device, sizeof(tr->device));
	tr->mode = w->t->modern ? SIMT_MODERN : SIMT_LEGACY;
	tr->failed = true;
	snprintf(tr->oracle, sizeof(tr->oracle), "robustness-%s",
		 r->verdict == RB_FAIL ? "fail" : "wedged");
	snprintf(tr->message, sizeof(tr->message), "%s: %.*s", r->kase->id,
		 (int)sizeof(tr->message) - 64, r->why);
}

/* A FAIL or WEDGED case as a failed run: its evidence in the message
 * (ringside show RUN), with the events its front end logged when the
 * case ran in this process; the run id kept in the result. A
 * deterministic target's is a run of source check whose config is the
 * command that reproduces it, a third-party one's of source qemu or
 * vhost. */
static void record_case(void *ctx, struct rb_result *r,
			const struct event_log *events)
{
	struct recorder *w = ctx;
	struct trace_run tr;
	char msg[300];

	if ((r->verdict != RB_FAIL && r->verdict != RB_WEDGED) || w->err)
		return;
	if (!w->db &&
	    trace_open(w->path, TRACE_CREATE, &w->db, msg, sizeof(msg))) {
		fprintf(stderr, "ringside robustness: %s\n", msg);
		w->err = -EIO;
		return;
	}
	fill_run(w, r, &tr);
	if (events && event_log_complete(events) && event_log_count(events)) {
		/* Steps are the case's phases: the last one failed. */
		tr.fail_step =
			event_log_get(events, event_log_stored(events) - 1)
				->step;
		tr.steps = tr.fail_step + 1;
		tr.events = event_log_count(events);
		tr.event_hash = event_log_hash(events);
	} else {
		events = NULL;
	}
	if (trace_add_run(w->db, &tr, events)) {
		fprintf(stderr, "ringside robustness: cannot record %s: %s\n",
			r->kase->id, trace_errmsg(w->db));
		w->err = -EIO;
		return;
	}
	r->run = tr.id;
	w->recorded++;
}

/* Closes the trace file; 0, or -EIO (the message printed). */
static int recorder_close(struct recorder *w)
{
	if (w->db)
		trace_close(w->db);
	if (!w->err && w->recorded)
		fprintf(stderr,
			"ringside robustness: FAIL and WEDGED cases recorded "
			"in %s (ringside show %s RUN)\n",
			w->path, w->path);
	return w->err;
}

/* The target named by spec; false (with a message) when there is none. */
static int make_target(const char *spec, struct rb_inproc *ip,
		       struct rb_target *t, char *err, size_t n)
{
	if (!strncmp(spec, "sim:", 4))
		return rb_sim_target(spec, ip, t, err, n);
	if (!strncmp(spec, "lib:", 4))
		return rb_lib_target(spec, ip, t, err, n);
	if (!strncmp(spec, "qemu:", 5))
		return rb_qemu_target(spec, t, err, n);
	if (!strncmp(spec, VHOST_KIND_SOCKET ":",
		     strlen(VHOST_KIND_SOCKET) + 1) ||
	    !strncmp(spec, VHOST_KIND_EXEC ":", strlen(VHOST_KIND_EXEC) + 1))
		return rb_vhost_target(spec, t, err, n);
	snprintf(err, n,
		 "unknown target \"%s\" (sim:DEVICE, lib:PATH, qemu:DEVICE, "
		 "vhost-user:DEVICE:SOCKET, vhost-user-exec:DEVICE[:COMMAND])",
		 spec);
	return -EINVAL;
}

int cli_robustness(int argc, char **argv)
{
	static struct rb_report rep;
	struct rb_cli m = { 0 };
	struct rb_inproc ip = { 0 };
	struct rb_target t;
	struct rb_options opt = { 0 };
	struct recorder rec = { 0 };
	char err[300];
	double t0, seconds;
	int e = parse(argc, argv, &m);

	if (e)
		return e < 0 ? CLI_EXIT_OK : e;
	if (m.list) {
		list_cases(m.json);
		return CLI_EXIT_OK;
	}
	if (make_target(m.target, &ip, &t, err, sizeof(err)))
		return cli_usage_error(RCMD, NULL, "%s", err);
	opt.seed = m.seed;
	opt.only = m.only;
	/* A plug-in is not ours: a crash or hang must cost one case. */
	opt.isolate = m.isolate || !strncmp(m.target, "lib:", 4);
	opt.progress = m.json ? NULL : progress;
	rec.path = m.db_path;
	rec.t = &t;
	rec.seed = m.seed;
	if (m.db_path) {
		opt.record = record_case;
		opt.record_ctx = &rec;
	}
	t0 = cli_now();
	e = rb_run(&t, &opt, &rep, err, sizeof(err));
	seconds = cli_now() - t0;
	if (!strncmp(m.target, "lib:", 4))
		rb_lib_target_close(&ip);
	if (recorder_close(&rec))
		return CLI_EXIT_USAGE;
	if (vhb_signal()) {
		/* Every back end of ours is stopped, its files removed. */
		fprintf(stderr,
			"ringside robustness: interrupted by signal %d; the "
			"back end stopped, its files removed\n",
			vhb_signal());
		vhb_reraise();
		return 128 + vhb_signal();
	}
	if (e)
		return cli_usage_error(RCMD, NULL, "%s", err);
	if (m.json)
		print_json(&rep, seconds);
	else
		print_text(&rep, seconds);
	if (m.junit && write_junit(m.junit, &rep, seconds))
		return CLI_EXIT_USAGE;
	return rep.counts[RB_FAIL] || rep.counts[RB_WEDGED] ? CLI_EXIT_FAIL
							    : CLI_EXIT_OK;
}
