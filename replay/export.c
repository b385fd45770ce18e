/*
 * export.c - a recorded run as JSON or as a regression test (export.h).
 */
#include "export.h"

#include "replay.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- json -------------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_key_str(FILE *out, const char *key, const char *v)
{
	fprintf(out, "\"%s\": ", key);
	if (v)
		json_string(out, v);
	else
		fputs("null", out);
	fputs(", ", out);
}

static void json_key_u64(FILE *out, const char *key, u64 v)
{
	fprintf(out, "\"%s\": %" PRIu64 ", ", key, v);
}

static void json_behaviours(FILE *out, const struct trace_run *run)
{
	unsigned int b;
	bool first = true;

	fputs("\"behaviours\": [", out);
	for (b = 0; b < ADV_COUNT; b++) {
		if (!run->rate[b] && !run->fired[b])
			continue;
		fprintf(out, "%s{\"name\": ", first ? "" : ", ");
		json_string(out, adv_info(b)->name);
		fprintf(out, ", \"rate\": %" PRIu32 ", \"fired\": %" PRIu64 "}",
			run->rate[b], run->fired[b]);
		first = false;
	}
	fputs("], ", out);
}

static void json_choices(FILE *out, const struct trace_run *run)
{
	size_t i;

	fputs("\"choices\": ", out);
	if (!run->choices) {
		fputs("null, ", out);
		return;
	}
	fputc('[', out);
	for (i = 0; i < run->nchoices; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : "", run->choices[i]);
	fputs("], ", out);
}

static void json_timeline(FILE *out, const struct event_log *log)
{
	size_t i, n = log ? event_log_stored(log) : 0;

	fputs("\"timeline\": [", out);
	for (i = 0; i < n; i++) {
		const struct sim_event *ev = event_log_get(log, i);
		const char *actor = sim_actor_name(ev->actor);
		const char *kind = sim_event_kind_name(ev->kind);

		fprintf(out,
			"%s\n  {\"seq\": %" PRIu32 ", \"step\": %" PRIu32
			", \"actor\": %u, \"actor_name\": ",
			i ? "," : "", ev->seq, ev->step, ev->actor);
		json_string(out, actor ? actor : "unknown");
		fprintf(out, ", \"kind\": %u, \"kind_name\": ", ev->kind);
		json_string(out, kind ? kind : "unknown");
		fprintf(out,
			", \"queue\": %u, \"a\": %" PRIu64 ", \"b\": %" PRIu64
			", \"c\": %" PRIu64 "}",
			ev->queue, ev->a, ev->b, ev->c);
	}
	fputs(n ? "\n]" : "]", out);
}

static void export_json(FILE *out, const struct trace_run *run,
			const struct event_log *log)
{
	fputc('{', out);
	fprintf(out, "\"id\": %" PRId64 ", ", run->id);
	json_key_u64(out, "seed", run->seed);
	json_key_str(out, "source", trace_source_name(run->source));
	json_key_str(out, "config", run->config);
	json_key_str(out, "device", run->device);
	fprintf(out, "\"mode\": %d, ", run->mode);
	json_key_str(out, "outcome", run->failed ? "fail" : "pass");
	json_key_str(out, "oracle", run->failed ? run->oracle : NULL);
	json_key_str(out, "message", run->failed ? run->message : NULL);
	if (run->failed)
		json_key_u64(out, "fail_step", run->fail_step);
	else
		fputs("\"fail_step\": null, ", out);
	json_key_u64(out, "steps", run->steps);
	json_key_u64(out, "events", run->events);
	json_key_u64(out, "choice_count", run->choice_count);
	fprintf(out, "\"event_hash\": \"0x%016" PRIx64 "\", ", run->event_hash);
	fprintf(out, "\"duration_us\": %" PRId64 ", ", run->duration_us);
	if (run->parent)
		fprintf(out, "\"parent\": %" PRId64 ", ", run->parent);
	else
		fputs("\"parent\": null, ", out);
	fprintf(out, "\"has_events\": %s, \"events_regenerated\": %s, ",
		run->has_events ? "true" : "false",
		run->has_events == TRACE_EVENTS_REGENERATED ? "true" : "false");
	json_behaviours(out, run);
	json_choices(out, run);
	json_timeline(out, log);
	fputs("}\n", out);
}

/* --- c ----------------------------------------------------------------------- */

/* Text for a comment: no end of comment, nothing unprintable. */
static void comment_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (p[0] == '*' && p[1] == '/')
			fputs("* ", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fputc('?', out);
		else
			fputc(*p, out);
	}
}

/* A C string literal's contents. */
static void c_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f || *p == '?')
			fprintf(out, "\\%03o", *p); /* '?': no trigraphs */
		else
			fputc(*p, out);
	}
}

static void c_header(FILE *out, const struct trace_run *run, const char *config,
		     size_t n, const struct export_opts *o)
{
	fprintf(out,
		"/*\n * regress_run_%" PRId64 " - a regression test exported "
		"by ringside from run %" PRId64 "\n * (source %s, seed "
		"%" PRIu64 ").\n *\n",
		run->id, run->id, trace_source_name(run->source), run->seed);
	if (run->failed) {
		fprintf(out, " * oracle: %s at step %" PRIu64 "\n", run->oracle,
			run->fail_step);
		fputs(" * message: ", out);
		comment_text(out, run->message);
		fputc('\n', out);
	} else {
		fputs(" * The run passed when it was recorded.\n", out);
	}
	fputs(" * recorded config: ", out);
	comment_text(out, run->config);
	fputs("\n * config here: ", out);
	comment_text(out, config);
	fputc('\n', out);
	if (o->command) {
		fputs(" * made by: ", out);
		comment_text(out, o->command);
		fputc('\n', out);
	}
	fprintf(out,
		" *\n * It replays the run's %zu choices through sim_run with "
		"that configuration\n * and checks that the run does not fail: "
		"it fails while the bug is there\n * and passes once it is "
		"fixed.\n */\n",
		n);
}

static void c_choices(FILE *out, const u64 *choices, size_t n)
{
	size_t i, col = 8;

	fputs("static const u64 choices[] = {\n\t", out);
	for (i = 0; i < n; i++) {
		char num[32];
		int len = snprintf(num, sizeof(num), "%" PRIu64 "%s%s",
				   choices[i],
				   choices[i] > 0xffffffffu ? "ULL" : "",
				   i + 1 < n ? "," : "");

		if (col + (size_t)len + 1 > 80) {
			fputs("\n\t", out);
			col = 8;
		} else if (i) {
			fputc(' ', out);
			col++;
		}
		fputs(num, out);
		col += (size_t)len;
	}
	fputs("\n};\n", out);
}

static void export_c(FILE *out, const struct trace_run *run, const char *config,
		     const u64 *choices, size_t n, const struct export_opts *o,
		     u64 prefix_steps, u64 prefix_hash)
{
	const char *fn = "regress_run_";
	s64 id = run->id;

	c_header(out, run, config, n, o);
	fputs("#include \"harness.h\"\n\n#include <choice.h>\n#include "
	      "<event_log.h>\n#include <world.h>\n\n#include <stdio.h>\n\n",
	      out);
	fputs("static const char config_text[] =\n\t\"", out);
	c_string(out, config);
	fputs("\";\n\n", out);
	c_choices(out, choices, n);
	fprintf(out,
		"\n/* The recorded scenario: the events before step %" PRIu64
		" (the step\n * where the oracle fired) hash to this. A world "
		"that draws its\n * choices differently no longer reaches it: "
		"the test then fails\n * instead of passing without testing "
		"anything. */\n"
		"#define PREFIX_STEPS %" PRIu64 "ULL\n"
		"#define PREFIX_HASH 0x%016" PRIx64 "ULL\n",
		prefix_steps, prefix_steps, prefix_hash);
	fprintf(out,
		"\n#define TESTS(X) X(%s%" PRId64
		")\nTESTS(HARNESS_DECLARE)\n\n"
		"static u64 prefix_hash(const struct event_log *log)\n{\n"
		"\tu64 h = EVENT_HASH_INIT;\n\tsize_t i;\n\n"
		"\tfor (i = 0; i < event_log_stored(log); i++)\n"
		"\t\tif (event_log_get(log, i)->step < PREFIX_STEPS)\n"
		"\t\t\th = event_hash_update(h, event_log_get(log, i));\n"
		"\treturn h;\n}\n\n"
		"static void %s%" PRId64 "(void)\n{\n",
		fn, id, fn, id);
	fprintf(out,
		"\tstruct sim_config cfg;\n"
		"\tstruct adversary adv;\n"
		"\tstruct choice_source cs;\n"
		"\tstruct event_log log;\n"
		"\tstruct sim_result r;\n"
		"\tchar err[160];\n"
		"\tu64 h;\n\n"
		"\tCHECK_EQ(0, sim_config_parse(config_text, &cfg, &adv, err,\n"
		"\t\t\t\t       sizeof(err)));\n"
		"\tevent_log_init(&log, 0);\n"
		"\tcfg.log = &log;\n"
		"\tchoice_init_replay(&cs, choices,\n"
		"\t\t\t   sizeof(choices) / sizeof(choices[0]));\n"
		"\tCHECK_EQ(0, sim_run(&cfg, &cs, &r));\n"
		"\tchoice_free(&cs);\n"
		"\tCHECK(event_log_complete(&log));\n"
		"\th = prefix_hash(&log);\n"
		"\tevent_log_free(&log);\n"
		"\tif (h != PREFIX_HASH)\n"
		"\t\tfprintf(stderr, \"%s%" PRId64 ": the run no longer "
		"reaches the recorded scenario (its events before step "
		"%%llu differ): re-export it\\n\",\n"
		"\t\t\t(unsigned long long)PREFIX_STEPS);\n"
		"\tCHECK_EQ(PREFIX_HASH, h);\n"
		"\tif (r.failed)\n"
		"\t\tfprintf(stderr, \"%s%" PRId64 ": oracle %%s at step "
		"%%llu: %%s\\n\",\n"
		"\t\t\tr.oracle, (unsigned long long)r.fail_step, "
		"r.message);\n"
		"\tCHECK(!r.failed);\n}\n\nHARNESS_MAIN(TESTS)\n",
		fn, id, fn, id);
}

/* The hash of the events before step steps. */
static u64 prefix_of(const struct event_log *log, u64 steps)
{
	u64 h = EVENT_HASH_INIT;
	size_t i;

	for (i = 0; i < event_log_stored(log); i++)
		if (event_log_get(log, i)->step < steps)
			h = event_hash_update(h, event_log_get(log, i));
	return h;
}

/* Re-executes the run as recorded (its choices, else its seed): it must
 * give the same events, outcome and oracle. Returns 0,
 * EXPORT_NOT_REPRODUCED or a trace_error, with err saying why. */
static int reproduce(const struct trace_run *run, struct replay_exec *ex,
		     char *err, size_t errlen)
{
	struct sim_config cfg;
	struct adversary adv;
	int rc;

	if (run->source == TRACE_SOURCE_QEMU) {
		snprintf(err, errlen,
			 "run %" PRId64 " ran against QEMU, which keeps its "
			 "own time: it cannot be re-executed, so it is not "
			 "exported",
			 run->id);
		return EXPORT_NOT_REPRODUCED;
	}
	rc = replay_parse_config(run, &cfg, &adv, err, errlen);
	if (rc)
		return rc;
	if (replay_exec(&cfg, run->seed, run->choices, run->nchoices, ex)) {
		snprintf(err, errlen, "run %" PRId64 ": out of memory",
			 run->id);
		return TRACE_ENOMEM;
	}
	if (ex->result.event_hash != run->event_hash ||
	    ex->result.events != run->events ||
	    ex->result.failed != run->failed ||
	    (run->failed &&
	     strcmp(ex->result.oracle ? ex->result.oracle : "", run->oracle)) ||
	    (!run->choices && !ex->recordable)) {
		snprintf(err, errlen,
			 "run %" PRId64 " does not reproduce: re-executed it "
			 "%s with %" PRIu64 " events hashing to %016" PRIx64
			 ", recorded: %s with %" PRIu64
			 " hashing to %016" PRIx64
			 " (ringside replay shows where); not exported",
			 run->id, ex->result.failed ? "fails" : "passes",
			 ex->result.events, ex->result.event_hash,
			 run->failed ? "fails" : "passes", run->events,
			 run->event_hash);
		return EXPORT_NOT_REPRODUCED;
	}
	return 0;
}

/* The configuration to embed (plants dropped when asked). */
static int c_config(const struct trace_run *run, const struct export_opts *o,
		    struct sim_config *cfg, struct adversary *adv, char *config,
		    size_t configlen, char *err, size_t errlen)
{
	unsigned int p;
	int rc = replay_parse_config(run, cfg, adv, err, errlen);

	if (rc)
		return rc;
	if (o->without_plants)
		for (p = 0; p < SIM_PLANT_COUNT; p++)
			sim_plant_set(cfg, (enum sim_plant)p, false);
	sim_config_format(cfg, config, configlen);
	return 0;
}

/* A crash or hang run, reproduced by the caller in a child: its stored
 * choices as they are. There is no scenario to hash (the run ended before
 * its events could be kept): the test reaches the crash or, once fixed,
 * the end of the run. */
static int export_c_crash(const struct trace_run *run,
			  const struct export_opts *o, FILE *out, char *err,
			  size_t errlen)
{
	char config[TRACE_CONFIG_BYTES];
	struct sim_config cfg;
	struct adversary adv;
	int rc;

	if (!run->choices || run->nchoices == 0) {
		snprintf(err, errlen,
			 "run %" PRId64 " crashed without stored choices; "
			 "not exported",
			 run->id);
		return EXPORT_NOT_REPRODUCED;
	}
	rc = c_config(run, o, &cfg, &adv, config, sizeof(config), err, errlen);
	if (rc)
		return rc;
	export_c(out, run, config, run->choices, run->nchoices, o, 0,
		 EVENT_HASH_INIT);
	return 0;
}

static int export_c_run(const struct trace_run *run,
			const struct export_opts *o, FILE *out, char *err,
			size_t errlen)
{
	char config[TRACE_CONFIG_BYTES];
	struct replay_exec ex, here;
	struct sim_config cfg;
	struct adversary adv;
	u64 steps = run->failed ? run->fail_step : UINT64_MAX;
	const u64 *choices;
	size_t n;
	int rc;

	memset(&here, 0, sizeof(here));
	n = run->choices ? run->nchoices : run->choice_count;
	if (n > EXPORT_C_CHOICES_MAX) {
		snprintf(err, errlen,
			 "run %" PRId64 " has %zu choices: as C that is about "
			 "%zu MB, over the bound of %d choices; minimise it "
			 "first (ringside minimise)",
			 run->id, n, n * 21 >> 20, EXPORT_C_CHOICES_MAX);
		return EXPORT_TOO_BIG;
	}
	if (o->crash_reproduced)
		return export_c_crash(run, o, out, err, errlen);
	rc = reproduce(run, &ex, err, errlen);
	if (rc == 0)
		rc = c_config(run, o, &cfg, &adv, config, sizeof(config), err,
			      errlen);
	if (rc)
		goto done;
	choices = run->choices ? run->choices : ex.choices;
	n = run->choices ? run->nchoices : ex.nchoices;
	while (n > 0 && choices[n - 1] == 0)
		n--;
	/* the scenario as the test will run it: its configuration, its
	 * choices (an empty array is not C: one zero reads the same) */
	if (replay_exec(&cfg, run->seed, n ? choices : ex.choices, n ? n : 1,
			&here)) {
		snprintf(err, errlen, "run %" PRId64 ": out of memory",
			 run->id);
		rc = TRACE_ENOMEM;
		goto done;
	}
	export_c(out, run, config, n ? choices : ex.choices, n ? n : 1, o,
		 steps == UINT64_MAX ? UINT32_MAX : steps,
		 prefix_of(&here.log, steps));
done:
	replay_exec_free(&here);
	replay_exec_free(&ex);
	return rc;
}

int export_run(struct trace_db *db, s64 id, const struct export_opts *o,
	       FILE *out, char *err, size_t errlen)
{
	struct event_log log;
	struct trace_run run;
	bool have_log = false;
	int rc;

	rc = trace_get_run(db, id, &run);
	if (rc) {
		snprintf(err, errlen, "%s", trace_errmsg(db));
		return rc;
	}
	event_log_init(&log, 0);
	if (o->format == EXPORT_C) {
		rc = export_c_run(&run, o, out, err, errlen);
		goto done;
	}
	if (run.has_events) {
		rc = replay_events(db, &run, &log, err, errlen);
		have_log = rc == 0;
	}
	if (rc == 0)
		export_json(out, &run, have_log ? &log : NULL);
done:
	event_log_free(&log);
	trace_run_free(&run);
	return rc;
}
