/*
 * cli_crash.c - runs that crash or hang (crash.h): the shared choice log,
 * and "ringside replay" and "ringside minimise" of such runs, each
 * re-execution in a child process (isolate.h).
 *
 * Notes:
 * 1. The same crash: the same kind (signal or sanitizer kind, or hang)
 *    and, when the original named one, the same place (file:line). A
 *    re-execution that crashes elsewhere, or ends, has diverged.
 * 2. A hang is re-executed with the time limit its campaign had (in its
 *    message), at least HANG_SECONDS_MIN; a crash with CRASH_SECONDS: a
 *    crash run that hangs instead has diverged.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include "cli.h"
#include "crash.h"

#include <minimise.h>
#include <replay.h>

#include <linux/errno.h>

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Room for the largest log: CHOICE_LOG_MAX draws of values and bounds,
 * grown by doubling (the old arrays stay: at most twice the final). */
#define SHARED_ARENA_BYTES ((size_t)CHOICE_LOG_MAX * 16 * 2 + (1u << 20))
#define CRASH_SECONDS 60.0
#define HANG_SECONDS_MIN 1.0
#define HANG_SECONDS_DEFAULT 10.0
#define REPORT_LINES_SHOWN 20
#define ERR_BYTES 512

/* --- the shared choice log -------------------------------------------------- */

struct shared_choices {
	struct choice_source cs;
	size_t size; /* bytes of arena */
	size_t used;
	_Alignas(16) unsigned char arena[];
};

/* The log of the source being grown (one per child process). */
static struct shared_choices *growing;

/* realloc() in the arena: a new block each time, the old one left. */
static void *shared_grow(void *ptr, size_t size)
{
	struct shared_choices *sc = growing;
	size_t *block, old = 0, need = (size + 2 * sizeof(size_t) + 15) & ~15u;

	assert(sc);
	if (need > sc->size - sc->used)
		return NULL; /* the source stops recording (choice.h note 2) */
	block = (size_t *)(void *)(sc->arena + sc->used);
	sc->used += need;
	block[0] = size;
	if (ptr) {
		old = ((size_t *)ptr)[-2];
		memcpy(block + 2, ptr, old < size ? old : size);
	}
	return block + 2;
}

struct shared_choices *shared_choices_create(void)
{
	size_t bytes = sizeof(struct shared_choices) + SHARED_ARENA_BYTES;
	struct shared_choices *sc;

	sc = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sc == MAP_FAILED)
		return NULL;
	sc->size = SHARED_ARENA_BYTES;
	return sc;
}

void shared_choices_destroy(struct shared_choices *sc)
{
	if (sc)
		munmap(sc, sizeof(*sc) + sc->size);
}

static struct choice_source *shared_start(struct shared_choices *sc)
{
	growing = sc;
	sc->used = 0;
	choice_set_realloc(&sc->cs, shared_grow);
	return &sc->cs;
}

struct choice_source *shared_choices_seed(struct shared_choices *sc, u64 seed)
{
	choice_init_seed(&sc->cs, seed);
	return shared_start(sc);
}

struct choice_source *shared_choices_replay(struct shared_choices *sc,
					    const u64 *values, size_t n)
{
	choice_init_replay(&sc->cs, values, n);
	return shared_start(sc);
}

int shared_choices_copy(const struct shared_choices *sc, u64 **out, size_t *n)
{
	const struct choice_source *cs = &sc->cs;
	size_t count = cs->count;

	*out = NULL;
	*n = 0;
	/* the child may have died at any point: trust only what is
	 * consistent (a count inside the log, the log inside the arena) */
	if (cs->unrecordable || count > cs->capacity ||
	    count > CHOICE_LOG_MAX ||
	    (count && ((const unsigned char *)cs->values < sc->arena ||
		       (const unsigned char *)(cs->values + count) >
			       sc->arena + sc->size)))
		return -1;
	*out = malloc((count ? count : 1) * sizeof(u64));
	if (!*out)
		return -1;
	(*out)[0] = 0;
	memcpy(*out, cs->values, count * sizeof(u64));
	*n = count ? count : 1;
	return 0;
}

/* --- crash runs ------------------------------------------------------------- */

bool crash_run_is(const struct trace_run *run)
{
	return run->failed && (strcmp(run->oracle, "crash") == 0 ||
			       strcmp(run->oracle, "hang") == 0);
}

void crash_run_kind(const struct trace_run *run, char *kind, size_t kindlen,
		    char *where, size_t wherelen)
{
	const char *m = run->message;
	size_t n = strcspn(m, " :");

	snprintf(kind, kindlen, "%.*s", (int)n, m);
	where[0] = '\0';
	if (strncmp(m + n, " in ", 4) == 0)
		snprintf(where, wherelen, "%.*s", (int)strcspn(m + n + 4, ":"),
			 m + n + 4);
	/* "virtio_ring.c:683": the line number is part of the place */
	if (where[0] && m[n + 4 + strlen(where)] == ':') {
		size_t w = strlen(where);
		const char *p = m + n + 4 + w + 1;
		size_t digits = strspn(p, "0123456789");

		if (digits && w + 1 + digits < wherelen)
			snprintf(where + w, wherelen - w, ":%.*s", (int)digits,
				 p);
	}
}

void crash_result_fill(const struct isolate_end *e, enum sim_device_type device,
		       double timeout, struct sim_result *r)
{
	int n;

	memset(r, 0, sizeof(*r));
	r->failed = true;
	r->device = device;
	if (e->hung) {
		r->oracle = "hang";
		snprintf(r->message, sizeof(r->message),
			 "hang: still running after %g s (--run-timeout)",
			 timeout);
		return;
	}
	r->oracle = "crash";
	n = snprintf(r->message, sizeof(r->message), "%s%s%s: ", e->kind,
		     e->where[0] ? " in " : "", e->where);
	if (n > 0 && (size_t)n < sizeof(r->message)) {
		size_t room = sizeof(r->message) - (size_t)n - 1;
		size_t len = strnlen(e->line, room);

		memcpy(r->message + n, e->line, len);
		r->message[(size_t)n + len] = '\0';
	}
}

void crash_report_head(const char *report, char *buf, size_t len)
{
	size_t n = 0, lines = 0;

	assert(len > 0);
	while (report[n] && n + 1 < len && lines < REPORT_LINES_SHOWN) {
		if (report[n] == '\n')
			lines++;
		n++;
	}
	memcpy(buf, report, n);
	buf[n] = '\0';
}

/* The time limit a re-execution of run gets (note 2). */
static double crash_seconds(const struct trace_run *run)
{
	const char *after = strstr(run->message, "after ");
	double s;

	if (strcmp(run->oracle, "hang") != 0)
		return CRASH_SECONDS;
	if (!after || sscanf(after, "after %lf", &s) != 1 || !(s > 0))
		return HANG_SECONDS_DEFAULT;
	return s < HANG_SECONDS_MIN ? HANG_SECONDS_MIN : s;
}

/* One re-execution in a child: the configuration, the choices (NULL: the
 * seed's), what it drew and how it ended. */
struct crash_exec {
	const struct sim_config *cfg;
	u64 seed;
	const u64 *choices;
	size_t n;
	struct shared_choices *sc;
	double seconds;
	/* out */
	struct sim_result result; /* when it ended */
	bool ended;
	struct isolate_end end;
};

static int crash_exec_child(void *ctx, int in_fd, int out_fd)
{
	struct crash_exec *x = ctx;
	struct choice_source *cs;
	struct sim_result r;

	(void)in_fd;
	cs = x->choices ? shared_choices_replay(x->sc, x->choices, x->n)
			: shared_choices_seed(x->sc, x->seed);
	if (sim_run(x->cfg, cs, &r))
		return 2;
	return isolate_write_full(out_fd, &r, sizeof(r)) ? 1 : 0;
}

static int crash_exec_run(struct crash_exec *x)
{
	size_t got = 0;

	if (isolate_run(crash_exec_child, x, x->seconds, &x->result,
			sizeof(x->result), &got, &x->end))
		return -1;
	x->ended = !x->end.crashed && !x->end.hung && got == sizeof(x->result);
	return 0;
}

/* Note 1: the re-execution crashed as the original did. */
static bool same_crash(const char *kind, const char *where,
		       const struct crash_exec *x)
{
	if (x->ended)
		return false;
	if (strcmp(kind, "hang") == 0)
		return x->end.hung;
	return strcmp(kind, x->end.kind) == 0 &&
	       (!where[0] || strcmp(where, x->end.where) == 0);
}

/* How the re-execution ended, in words. */
static void describe(const struct crash_exec *x, char *buf, size_t len)
{
	if (x->ended)
		snprintf(buf, len, "ended (%s%s)",
			 x->result.failed ? "failed: " : "passed",
			 x->result.failed ? x->result.oracle : "");
	else if (x->end.hung)
		snprintf(buf, len, "hung (no end in %g s)", x->seconds);
	else
		snprintf(buf, len, "crashed with %s%s%s", x->end.kind,
			 x->end.where[0] ? " in " : "", x->end.where);
}

static void print_report(const char *report)
{
	char head[ISOLATE_REPORT_BYTES];
	const char *p;

	crash_report_head(report, head, sizeof(head));
	if (!head[0])
		return;
	puts("report:");
	for (p = head; *p;) {
		size_t n = strcspn(p, "\n");

		printf("  %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* --- ringside show ---------------------------------------------------------- */

void crash_show(const struct trace_run *run, const char *db_path)
{
	char report[ISOLATE_REPORT_BYTES] = "";

	if (run->input && run->input_len) {
		size_t n = run->input_len < sizeof(report) - 1
				   ? run->input_len
				   : sizeof(report) - 1;

		memcpy(report, run->input, n);
		report[n] = '\0';
	}
	print_report(report);
	printf("timeline: none, the run %s before its end; ringside replay "
	       "%s %" PRId64 " re-executes it in a child process\n",
	       strcmp(run->oracle, "hang") ? "crashed" : "hung", db_path,
	       run->id);
}

/* --- ringside replay -------------------------------------------------------- */

/* Re-executes a crash or hang run in a child: x says how it ended, kind
 * and where what the run recorded. 0, or -1 with err saying why. */
static int reexecute(const struct trace_run *run, struct crash_exec *x,
		     char *kind, char *where, char *err, size_t errlen)
{
	struct sim_config cfg;
	struct adversary adv;
	int rc;

	if (replay_parse_config(run, &cfg, &adv, err, errlen))
		return -1;
	crash_run_kind(run, kind, ISOLATE_KIND_BYTES, where,
		       ISOLATE_WHERE_BYTES);
	x->cfg = &cfg;
	x->seed = run->seed;
	x->choices = run->choices;
	x->n = run->nchoices;
	x->seconds = crash_seconds(run);
	x->sc = shared_choices_create();
	rc = x->sc ? crash_exec_run(x) : -1;
	shared_choices_destroy(x->sc);
	x->cfg = NULL;
	if (rc)
		snprintf(err, errlen, "cannot start a child process");
	return rc ? -1 : 0;
}

int crash_reproduces(const struct trace_run *run, char *how, size_t howlen)
{
	char kind[ISOLATE_KIND_BYTES], where[ISOLATE_WHERE_BYTES];
	struct crash_exec x = { 0 };

	if (reexecute(run, &x, kind, where, how, howlen))
		return -1;
	describe(&x, how, howlen);
	return same_crash(kind, where, &x) ? 1 : 0;
}

int crash_replay(struct trace_db *db, const struct trace_run *run,
		 const char *db_path, bool json)
{
	char kind[ISOLATE_KIND_BYTES], where[ISOLATE_WHERE_BYTES];
	char err[ERR_BYTES], how[ERR_BYTES];
	struct crash_exec x = { 0 };
	bool same;

	(void)db;
	if (reexecute(run, &x, kind, where, err, sizeof(err)))
		return cli_usage_error("replay", NULL, "%s", err);
	same = same_crash(kind, where, &x);
	describe(&x, how, sizeof(how));
	if (json) {
		printf("{\"run\": %" PRId64 ", \"oracle\": ", run->id);
		cli_json_string(stdout, run->oracle);
		fputs(", \"expected\": ", stdout);
		cli_json_string(stdout, run->message);
		printf(", \"reproduced\": %s, \"actual\": ",
		       same ? "true" : "false");
		cli_json_string(stdout, how);
		fputs(", \"report\": ", stdout);
		cli_json_string(stdout, x.end.report);
		puts("}");
	} else {
		printf("run %" PRId64 ": seed %" PRIu64 ", %s, oracle %s: %s\n",
		       run->id, run->seed,
		       run->choices ? "its stored choices" : "seeded",
		       run->oracle, run->message);
		if (same && x.end.hung)
			printf("reproduced: hung again (no end in %g s)\n",
			       x.seconds);
		else if (same)
			printf("reproduced: crashed again with %s%s%s\n",
			       x.end.kind, x.end.where[0] ? " in " : "",
			       x.end.where);
		else
			printf("DIVERGED: expected %s%s%s; the re-execution "
			       "%s\n",
			       kind, where[0] ? " in " : "", where, how);
		print_report(x.end.report);
		printf("database: %s\n", db_path);
	}
	return same ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- ringside minimise ------------------------------------------------------ */

struct crash_shrink {
	struct crash_exec x; /* the configuration and the shared log */
	const char *kind, *where;
	bool quiet;
};

static void shrink_progress(void *ctx, const struct minimise_progress *p)
{
	struct crash_shrink *s = ctx;

	if (!s->quiet && (p->improved || p->runs % 50 == 0))
		fprintf(stderr,
			"ringside minimise: %" PRIu64 "/%" PRIu64
			" runs, %zu choices (%s)\n",
			p->runs, p->max_runs, p->size, p->pass);
}

static int shrink_candidate(void *ctx, const struct minimise_target *t,
			    const u64 *choices, size_t n, bool *same,
			    u64 **drawn, size_t *ndrawn)
{
	struct crash_shrink *s = ctx;

	(void)t; /* the crash is kept in s: a kind and a place */
	s->x.choices = choices;
	s->x.n = n;
	if (crash_exec_run(&s->x))
		return -ENOMEM;
	*same = same_crash(s->kind, s->where, &s->x);
	if (*same && shared_choices_copy(s->x.sc, drawn, ndrawn))
		*same = false; /* its draws are not all known: not kept */
	return 0;
}

/* The minimised run, re-executed once more for its report, stored. */
static int store_minimised(struct trace_db *db, const struct trace_run *run,
			   struct crash_shrink *s, const u64 *out, size_t nout,
			   s64 *id)
{
	char report[ISOLATE_REPORT_BYTES];
	struct trace_run tr;
	struct sim_result r;
	int rc;

	s->x.choices = out;
	s->x.n = nout;
	if (crash_exec_run(&s->x) || !same_crash(s->kind, s->where, &s->x))
		return TRACE_EINVAL;
	crash_result_fill(&s->x.end, SIM_DEVICE_ANY, s->x.seconds, &r);
	if (replay_fill_run(&tr, TRACE_SOURCE_MINIMISE, run->seed, s->x.cfg, &r,
			    out, nout, run->id, false))
		return TRACE_ENOMEM;
	snprintf(tr.device, sizeof(tr.device), "%s", run->device);
	crash_report_head(s->x.end.report, report, sizeof(report));
	if (report[0]) {
		tr.input = (u8 *)strdup(report);
		tr.input_len = tr.input ? strlen(report) : 0;
	}
	rc = trace_add_run(db, &tr, NULL);
	*id = tr.id;
	trace_run_free(&tr);
	return rc;
}

int crash_minimise(struct trace_db *db, const struct trace_run *run,
		   const char *db_path, u64 max_runs, bool quiet)
{
	char kind[ISOLATE_KIND_BYTES], where[ISOLATE_WHERE_BYTES];
	char err[ERR_BYTES];
	struct crash_shrink s = { .quiet = quiet };
	struct minimise_opts mo = { .max_runs = max_runs,
				    .progress = shrink_progress,
				    .ctx = &s,
				    .candidate = shrink_candidate };
	struct minimise_target t = { .seed = run->seed, .oracle = run->oracle };
	struct sim_config cfg;
	struct adversary adv;
	u64 *start = NULL, *out = NULL, runs = 0;
	size_t nstart = 0, nout = 0;
	s64 id = 0;
	int rc;

	if (replay_parse_config(run, &cfg, &adv, err, sizeof(err)))
		return cli_usage_error("minimise", NULL, "%s", err);
	crash_run_kind(run, kind, sizeof(kind), where, sizeof(where));
	s.kind = kind;
	s.where = where;
	s.x.cfg = t.cfg = &cfg;
	s.x.seed = run->seed;
	s.x.seconds = crash_seconds(run);
	s.x.sc = shared_choices_create();
	if (!s.x.sc)
		return cli_usage_error("minimise", NULL, "out of memory");
	/* the original, re-executed: it must crash the same way, and its
	 * draws are where the shrinking starts */
	s.x.choices = run->choices;
	s.x.n = run->nchoices;
	rc = crash_exec_run(&s.x);
	if (rc || !same_crash(kind, where, &s.x) ||
	    shared_choices_copy(s.x.sc, &start, &nstart)) {
		shared_choices_destroy(s.x.sc);
		return cli_usage_error("minimise", NULL,
				       "run %" PRId64 " does not %s the same "
				       "way when re-executed (see ringside "
				       "replay %s %" PRId64 ")",
				       run->id,
				       strcmp(kind, "hang") ? "crash" : "hang",
				       db_path, run->id);
	}
	rc = minimise_choices(&t, start, nstart, &mo, &out, &nout, &runs);
	if (!rc && nout == 0) {
		free(out);
		out = calloc(1, sizeof(u64)); /* one zero: see replay.h */
		nout = 1;
		rc = out ? 0 : -ENOMEM;
	}
	if (!rc)
		rc = store_minimised(db, run, &s, out, nout, &id);
	shared_choices_destroy(s.x.sc);
	if (rc) {
		free(start);
		free(out);
		return cli_usage_error("minimise", NULL,
				       "run %" PRId64
				       ": minimising failed (%s)",
				       run->id, trace_errmsg(db));
	}
	printf("minimised run %" PRId64 " (%s %s%s%s): choices %zu -> %zu "
	       "in %" PRIu64 " runs\n",
	       run->id, run->oracle, kind, where[0] ? " in " : "", where,
	       nstart, nout, runs);
	printf("stored as run %" PRId64 " (source minimise, parent %" PRId64
	       "): ringside replay %s %" PRId64 "\n",
	       id, run->id, db_path, id);
	free(start);
	free(out);
	return CLI_EXIT_OK;
}
