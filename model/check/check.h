/*
 * check.h - conformance checking of device models (`ringside check`): the
 * catalogue of device requirements, the targets a check runs against, and
 * the verdicts with their evidence.
 *
 * Notes:
 *
 * 1. The catalogue (catalogue.c) is one table: an entry per requirement a
 *    driver-side harness can observe, with a stable id, its section of the
 *    virtio 1.2 specification, MUST or SHOULD, one line of text, where it
 *    applies (device types, legacy or 1.x, a feature that must have been
 *    negotiated), how it is checked, and its proof: a target that breaks
 *    exactly this requirement (the test suite runs every proof and expects
 *    FAIL, or WARN for a SHOULD, on that entry alone). Ids are stable:
 *    append, never renumber or rename. A rule about one transport's
 *    registers (ids pci.*) names that transport; a target of another
 *    transport does not apply it. Its proof is "registers:PLANT": no
 *    real device breaks its registers on demand, so the judgement of the
 *    registers is given wrong values (pci_rules.h note 1).
 *
 * 2. A target kind (target.c) is a row of a table: a prefix ("sim",
 *    "lib", "qemu", ...), and an open/run/close vtable. run() executes
 *    one case (a seed, a transport mode) and records violations into a
 *    struct check_case; the engine (engine.c) runs the cases, folds them
 *    into one verdict per requirement and keeps the first evidence of each
 *    FAIL. A target says which requirements it can observe at all; the
 *    others are SKIP with that reason.
 *
 * 3. Evidence names the case (seed, mode), the step of the run and the
 *    observed and expected values; for a deterministic target (sim, lib)
 *    `ringside check TARGET --seed N --only ID` reproduces it exactly.
 *
 * 4. Evidence in the trace store. After the verdicts, every FAIL and WARN
 *    can be recorded as a run of source "check" (check_record_evidence):
 *    on a deterministic target the case that showed it is run again with
 *    its events kept, and its last CHECK_TRAIL events become the run's
 *    timeline, so that `ringside show RUN` displays the step, the
 *    observed and expected values and what led to them. The run id goes
 *    into the evidence (ev.run).
 */
#ifndef RINGSIDE_MODEL_CHECK_H
#define RINGSIDE_MODEL_CHECK_H

#include "event_log.h"

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK_CATALOGUE_VERSION 3
#define CHECK_MAX 64 /* catalogue entries, at most */
#define CHECK_TEXT_BYTES 256
#define CHECK_TRAIL 512 /* events of a case kept as evidence (note 4) */

enum check_level { CHECK_MUST = 0, CHECK_SHOULD };

/* Where an entry applies: transport modes. */
#define CHECK_LEGACY 1u
#define CHECK_MODERN 2u
#define CHECK_BOTH (CHECK_LEGACY | CHECK_MODERN)

/* Device types (bit = virtio device id); 0 in an entry: every type. */
#define CHECK_DEV(id) (1u << (id))
#define CHECK_DEV_NET CHECK_DEV(1)
#define CHECK_DEV_BLOCK CHECK_DEV(2)
#define CHECK_DEV_CONSOLE CHECK_DEV(3)
#define CHECK_DEV_RNG CHECK_DEV(4)

/* The transport whose registers a rule is about (note 1); 0 in an entry:
 * any transport. */
#define CHECK_TRANSPORT_PCI 1u

struct check_req {
	const char *id;	     /* "ring.used-id-outstanding" */
	const char *area;    /* "ring", "lifecycle", "block", ... */
	const char *section; /* virtio 1.2 numbering: "2.7.8.2" */
	enum check_level level;
	const char *text;
	u32 devices;	 /* CHECK_DEV_* mask; 0: any device */
	u8 modes;	 /* CHECK_LEGACY / CHECK_MODERN */
	int feature;	 /* applies only when negotiated; -1: always */
	const char *how; /* how the harness checks it */
	/* Note 1: a target that breaks this requirement alone. "@plugin" is
	 * the test plug-in's path; "registers:PLANT" note 1. */
	const char *proof;
	u8 transport; /* CHECK_TRANSPORT_*; 0: any */
};

extern const struct check_req check_catalogue[];
extern const unsigned int check_catalogue_size;
/* The index of id, or -1. */
int check_lookup(const char *id);

enum check_verdict {
	CHECK_PASS = 0,
	CHECK_FAIL,
	CHECK_WARN, /* a SHOULD broken */
	CHECK_SKIP,
};
const char *check_verdict_name(enum check_verdict v);

struct check_evidence {
	u64 seed;
	int mode; /* CHECK_LEGACY or CHECK_MODERN */
	u64 step;
	u64 observed, expected;
	unsigned int queue;
	char text[CHECK_TEXT_BYTES];
	s64 run; /* its run in the trace store (note 4); 0: not recorded */
};

/* What one case saw, per catalogue entry (note 2). */
struct check_case {
	u64 seed;
	int mode;
	u64 features; /* negotiated */
	u32 device_id;
	bool exercised[CHECK_MAX]; /* the check had something to look at */
	bool violated[CHECK_MAX];
	struct check_evidence ev[CHECK_MAX];
	bool setup_failed;
	char setup_error[CHECK_TEXT_BYTES];
	/* The case's process died or hung (case_fork.h): how. */
	bool crashed;
	char crash[CHECK_TEXT_BYTES];
	/* Note 4: set by the engine to keep the case's last events. */
	bool keep_trail;
	unsigned int trail_n;
	u64 trail_skipped; /* events before the first one kept */
	struct sim_event trail[CHECK_TRAIL];
};

/* Records a violation of catalogue entry index (the first one of a case
 * is kept). */
__attribute__((format(printf, 7, 8))) void
check_violation(struct check_case *c, int index, u64 step, unsigned int queue,
		u64 observed, u64 expected, const char *fmt, ...);
/* Same, by id (asserts that the id exists). */
int check_index(const char *id);
/* The entry a data-integrity failure of a workload belongs to (message:
 * the oracle's), or NULL for a device type without one. */
const char *check_data_entry(u32 device_id, const char *message);

struct check_target;

/* One kind of target (note 2). */
struct check_target_kind {
	const char *prefix; /* before the ':' */
	const char *usage;  /* "sim:DEVICE[,OPTIONS]" */
	const char *summary;
	bool deterministic; /* the same seed gives the same report */
	u8 transport;	    /* CHECK_TRANSPORT_* it drives; 0: none of them */
	/* Parses spec (after the ':'), checks that the target can start.
	 * Returns 0, or -errno with err set (a setup error). */
	int (*open)(struct check_target *t, const char *spec, char *err,
		    size_t errlen);
	/* Runs one case; c->seed and c->mode are set. Returns 0, or -errno
	 * with c->setup_error (a setup error: the check stops). */
	int (*run)(struct check_target *t, struct check_case *c);
	/* True when the target can observe entry index at all; *why says
	 * why not. NULL: every entry. */
	bool (*observes)(const struct check_target *t, int index,
			 const char **why);
	void (*close)(struct check_target *t);
};

struct check_target {
	const struct check_target_kind *kind;
	char spec[512];
	u32 device_id;		    /* the device's virtio id, once open */
	u8 modes;		    /* the transport modes it can run */
	u64 steps;		    /* per case; 0: the kind's default */
	unsigned int seeds_default; /* cases per mode; 0: the engine's */
	void *priv;
};

extern const struct check_target_kind *const check_target_kinds[];
/* Finds the kind of "prefix:rest" and opens it. Returns 0, or -errno with
 * err set. */
int check_target_open(struct check_target *t, const char *spec, char *err,
		      size_t errlen);
void check_target_close(struct check_target *t);

/* The target kinds of this folder. */
extern const struct check_target_kind check_target_sim;
extern const struct check_target_kind check_target_lib;
extern const struct check_target_kind check_target_qemu;
/* vhost_target.c */
extern const struct check_target_kind check_target_vhost_user;
extern const struct check_target_kind check_target_vhost_exec;

/* The lib: loader (plugin.c), shared with the robustness suite
 * (model/robust/plugin.c): "PATH[,OPTIONS]" loaded, its symbols and ABI
 * version checked, one device made to learn its virtio id. Returns 0, or
 * -errno with err set. */
struct check_lib;
struct ringside_dm_host;
struct ringside_dm_ops;
int check_lib_load(const char *spec, struct check_lib **out, u32 *device_id,
		   char *err, size_t errlen);
/* A fresh device of the plug-in on host; its ops checked (ABI version,
 * queue count). Returns 0, or -errno with err set. */
int check_lib_create(struct check_lib *l, const struct ringside_dm_host *host,
		     const struct ringside_dm_ops **ops, void **ctx, char *err,
		     size_t errlen);
void check_lib_unload(struct check_lib *l);
/* The host's read and write of a device model in this process
 * (inproc.c): guest memory is the arena (shim.h), and a range outside it
 * is refused (-1), never touched. ctx is unused. */
int check_guest_read(void *ctx, uint64_t gpa, void *buf, uint32_t len);
int check_guest_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len);

/* --- the engine --------------------------------------------------------- */

struct check_options {
	u64 seed;	      /* first seed */
	unsigned int seeds;   /* cases per mode; 0: the target's default */
	bool only[CHECK_MAX]; /* all false: every entry */
	bool only_set;
	void (*progress)(void *ctx, unsigned int done, unsigned int total);
	void *progress_ctx;
};

struct check_result {
	enum check_verdict verdict;
	char why[CHECK_TEXT_BYTES]; /* SKIP: the reason */
	bool has_evidence;
	struct check_evidence ev;
	unsigned int cases, exercised, violations;
};

struct check_report {
	char target[512];
	u64 seed;
	unsigned int cases;
	u32 device_id;
	struct check_result r[CHECK_MAX];
	unsigned int pass, fail, warn, skip;
	double seconds; /* wall time, for display only */
};

/* Runs the catalogue against an open target. Returns 0, or -errno with
 * err set (a setup error). */
int check_run(struct check_target *t, const struct check_options *o,
	      struct check_report *rep, char *err, size_t errlen);

/* Note 4: records the evidence of result index (a FAIL or WARN) of rep;
 * c is the case run again with its events kept, or NULL (a target that
 * is not deterministic, or a case that did not show it again). Returns
 * the run id (> 0), or 0 when nothing was recorded. */
typedef s64 check_record_fn(void *ctx, const struct check_report *rep,
			    unsigned int index, const struct check_case *c);
/* Calls record for every FAIL and WARN of rep and keeps the run id in
 * its evidence. Returns 0, or -errno with err set (a setup error of the
 * target while it ran a case again). */
int check_record_evidence(struct check_target *t, struct check_report *rep,
			  check_record_fn *record, void *ctx, char *err,
			  size_t errlen);

#endif /* RINGSIDE_MODEL_CHECK_H */
