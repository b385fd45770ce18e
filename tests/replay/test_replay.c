/*
 * test_replay.c - re-executing recorded runs (replay/replay.c): a run
 * read back from the trace file reproduces; an event edited in the file
 * is reported as the divergence at exactly its seq; an edited outcome or
 * hash is a divergence; a fixed bug makes the replay diverge.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include "replay_db.h"

#include <devices.h>
#include <replay.h>

/* Fails at teardown after every step: a long run, many events. */
#define LOST_TOKEN                                                             \
	"device=entropy steps=600 stall=256 adversary=none plants=lost-token"
#define SWARM "device=any steps=800 stall=256 adversary=swarm plants="

#define TESTS(X)                                                               \
	X(round_trip_reproduced)                                               \
	X(seeded_run_reproduced)                                               \
	X(edited_event_diverges_at_its_seq)                                    \
	X(edited_event_with_its_hash_diverges_at_its_seq)                      \
	X(edited_outcome_diverges)                                             \
	X(edited_hash_of_a_run_without_events_diverges)                        \
	X(fixed_bug_diverges)                                                  \
	X(unknown_run_is_an_error)                                             \
	X(fail_kind_is_the_event_before_the_fail_event)
TESTS(HARNESS_DECLARE)

static void check_reproduced(struct test_db *t, s64 id, bool with_events)
{
	struct replay_outcome o;
	char err[256] = "";

	CHECK_EQ(0, replay_run(t->db, id, &o, err, sizeof(err)));
	if (!o.report.reproduced)
		fprintf(stderr, "    run %lld: %s\n", (long long)id,
			o.report.reason);
	CHECK(o.report.reproduced);
	CHECK_EQ(with_events, o.report.compared_events);
	CHECK(!o.report.stored_hash_mismatch);
	CHECK_EQ(o.run.event_hash, o.ex.result.event_hash);
	replay_outcome_free(&o);
}

static void round_trip_reproduced(void)
{
	struct test_db t;
	struct sim_result r;
	s64 id;
	u64 seed;

	test_db_create(&t);
	id = test_db_record(&t, LOST_TOKEN, 3, true, true, &r);
	CHECK(r.failed);
	check_reproduced(&t, id, true);
	/* swarm worlds of every device, read back after reopening */
	for (seed = 1; seed <= 8; seed++)
		test_db_record(&t, SWARM, seed, true, true, NULL);
	test_db_close(&t);
	test_db_reopen(&t);
	for (seed = 1; seed <= 8; seed++)
		check_reproduced(&t, id + (s64)seed, true);
	test_db_remove(&t);
}

static void seeded_run_reproduced(void)
{
	struct test_db t;
	s64 with, without;

	test_db_create(&t);
	with = test_db_record(&t, SWARM, 11, true, false, NULL);
	without = test_db_record(&t, SWARM, 12, false, false, NULL);
	check_reproduced(&t, with, true);
	check_reproduced(&t, without, false);
	test_db_remove(&t);
}

/* Replays id: it must diverge at event seq, the recorded one's a being
 * one more than the replayed one's. */
static void check_diverges_at(struct test_db *t, s64 id, u64 seq,
			      bool hash_mismatch)
{
	struct replay_outcome o;
	char err[256] = "";

	CHECK_EQ(0, replay_run(t->db, id, &o, err, sizeof(err)));
	CHECK(!o.report.reproduced);
	CHECK(o.report.compared_events);
	CHECK(o.report.at_event);
	CHECK_EQ(seq, o.report.seq);
	CHECK(o.report.has_expected && o.report.has_actual);
	CHECK_EQ(seq, o.report.expected.seq);
	CHECK_EQ(seq, o.report.actual.seq);
	CHECK_EQ(o.report.actual.a + 1, o.report.expected.a);
	CHECK_EQ(o.report.actual.kind, o.report.expected.kind);
	CHECK_EQ(hash_mismatch, o.report.stored_hash_mismatch);
	replay_outcome_free(&o);
}

static void edited_event_diverges_at_its_seq(void)
{
	static const u64 seqs[] = { 0, 1, 777 };
	struct test_db t;
	struct sim_result r;
	char sql[160];
	size_t i;
	s64 id;

	test_db_create(&t);
	id = test_db_record(&t, LOST_TOKEN, 5, true, true, &r);
	CHECK(r.events > 1000);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "UPDATE events SET a = a + 1 WHERE run = %lld AND "
			 "seq = %llu",
			 (long long)id, (unsigned long long)seqs[i]);
		test_db_sql(&t, sql);
		check_diverges_at(&t, id, seqs[i], true);
		snprintf(sql, sizeof(sql),
			 "UPDATE events SET a = a - 1 WHERE run = %lld AND "
			 "seq = %llu",
			 (long long)id, (unsigned long long)seqs[i]);
		test_db_sql(&t, sql);
		check_reproduced(&t, id, true);
	}
	/* the last event */
	snprintf(sql, sizeof(sql),
		 "UPDATE events SET a = a + 1 WHERE run = %lld AND seq = %llu",
		 (long long)id, (unsigned long long)(r.events - 1));
	test_db_sql(&t, sql);
	check_diverges_at(&t, id, r.events - 1, true);
	test_db_remove(&t);
}

/* The hash of the stored events of id after adding 1 to event seq's a. */
static u64 edited_hash(struct test_db *t, s64 id, u64 seq)
{
	struct event_log log;
	u64 hash = EVENT_HASH_INIT;
	size_t i;

	event_log_init(&log, 0);
	CHECK_EQ(0, trace_get_events(t->db, id, &log));
	for (i = 0; i < event_log_stored(&log); i++) {
		struct sim_event ev = *event_log_get(&log, i);

		ev.a += i == seq;
		hash = event_hash_update(hash, &ev);
	}
	event_log_free(&log);
	return hash;
}

/* An edit that keeps the file consistent (events and the run's hash):
 * only the re-execution can tell. */
static void edited_event_with_its_hash_diverges_at_its_seq(void)
{
	struct test_db t;
	char sql[256];
	u64 seq = 321;
	s64 id;

	test_db_create(&t);
	id = test_db_record(&t, SWARM, 4, true, true, NULL);
	snprintf(sql, sizeof(sql),
		 "UPDATE events SET a = a + 1 WHERE run = %lld AND seq = %llu; "
		 "UPDATE runs SET event_hash = %lld WHERE id = %lld",
		 (long long)id, (unsigned long long)seq,
		 (long long)edited_hash(&t, id, seq), (long long)id);
	test_db_sql(&t, sql);
	check_diverges_at(&t, id, seq, false);
	test_db_remove(&t);
}

static void check_diverges(struct test_db *t, s64 id, const char *reason)
{
	struct replay_outcome o;
	char err[256] = "";

	CHECK_EQ(0, replay_run(t->db, id, &o, err, sizeof(err)));
	CHECK(!o.report.reproduced);
	CHECK(!o.report.at_event);
	if (!strstr(o.report.reason, reason))
		fprintf(stderr, "    reason: %s\n", o.report.reason);
	CHECK(strstr(o.report.reason, reason) != NULL);
	replay_outcome_free(&o);
}

static void edited_outcome_diverges(void)
{
	struct test_db t;
	char sql[160];
	s64 id;

	test_db_create(&t);
	id = test_db_record(&t, LOST_TOKEN, 6, true, true, NULL);
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET outcome = 'pass', oracle = NULL, message = "
		 "NULL WHERE id = %lld",
		 (long long)id);
	test_db_sql(&t, sql);
	check_diverges(&t, id, "outcome: recorded pass, replayed fail");
	/* another oracle is another outcome */
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET outcome = 'fail', oracle = 'stall', message "
		 "= 'x' WHERE id = %lld",
		 (long long)id);
	test_db_sql(&t, sql);
	check_diverges(&t, id, "recorded fail (stall)");
	test_db_remove(&t);
}

static void edited_hash_of_a_run_without_events_diverges(void)
{
	struct test_db t;
	char sql[160];
	s64 id;

	test_db_create(&t);
	id = test_db_record(&t, SWARM, 9, false, false, NULL);
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET event_hash = event_hash + 1 WHERE id = %lld",
		 (long long)id);
	test_db_sql(&t, sql);
	check_diverges(&t, id, "event hash");
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET event_hash = event_hash - 1, events = events "
		 "+ 1 WHERE id = %lld",
		 (long long)id);
	test_db_sql(&t, sql);
	check_diverges(&t, id, "event count");
	test_db_remove(&t);
}

/* The planted fault "fixed" in the recorded configuration: the replay
 * diverges at the failing step and passes. */
static void fixed_bug_diverges(void)
{
	struct replay_outcome o;
	struct test_db t;
	struct sim_result r;
	char sql[200], err[256] = "";
	s64 id;

	test_db_create(&t);
	id = test_db_record(&t, LOST_TOKEN, 7, true, true, &r);
	CHECK(r.failed);
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET config = replace(config, 'lost-token', '') "
		 "WHERE id = %lld",
		 (long long)id);
	test_db_sql(&t, sql);
	CHECK_EQ(0, replay_run(t.db, id, &o, err, sizeof(err)));
	CHECK(!o.report.reproduced);
	CHECK(o.report.at_event);
	CHECK(!o.ex.result.failed);
	/* the runs agree until the teardown of the failing step */
	CHECK_EQ(r.fail_step, o.report.expected.step);
	replay_outcome_free(&o);
	test_db_remove(&t);
}

static void unknown_run_is_an_error(void)
{
	struct replay_outcome o;
	struct test_db t;
	char err[256] = "";

	test_db_create(&t);
	test_db_record(&t, SWARM, 1, false, false, NULL);
	CHECK_EQ(TRACE_ENOENT, replay_run(t.db, 99, &o, err, sizeof(err)));
	CHECK(err[0] != '\0');
	replay_outcome_free(&o);
	test_db_remove(&t);
}

static void fail_kind_is_the_event_before_the_fail_event(void)
{
	struct event_log log;

	event_log_init(&log, 0);
	CHECK_EQ(SIM_EV_COUNT, replay_fail_kind(&log));
	event_log_add(&log, 1, SIM_ACTOR_DRIVER, SIM_EV_ADD, 0, 1, 2, 3);
	event_log_add(&log, 1, SIM_ACTOR_DRIVER, SIM_EV_DETACH, 0, 1, 0, 0);
	CHECK_EQ(SIM_EV_COUNT, replay_fail_kind(&log));
	event_log_add(&log, 1, SIM_ACTOR_WORLD, SIM_EV_FAIL, 0, 1, 0, 0);
	event_log_add(&log, 1, SIM_ACTOR_WORLD, SIM_EV_RUN_END, 0, 1, 0, 0);
	CHECK_EQ(SIM_EV_DETACH, replay_fail_kind(&log));
	event_log_free(&log);
}

HARNESS_MAIN(TESTS)
