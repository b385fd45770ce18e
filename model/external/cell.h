/*
 * cell.h - what every cell shares: one run of the unchanged workload driver
 * (driver.h) against a device that is not ours, judged by the wall clock.
 *
 * A cell of the QEMU target (qemu/qemu_run.c) and one of the vhost-user
 * target (vhost/vhost_run.c) differ in how the device is started, found
 * and answered between steps. The rest is here: the run's choice source,
 * event log and oracle; the reason a cell failed (the first one wins: an
 * oracle's or the cell's); the shim hooks (a WARN or BUG fails the cell,
 * the last printk is kept for the failure message); kick-to-used round
 * trips; the loop of driver steps with its request and cell time-outs;
 * the world's last batch before remove; and the verdict.
 *
 * A cell embeds a struct cell and finds itself from it with container_of
 * in its host callbacks. One cell runs at a time in a process (the shim's
 * hooks are global).
 */
#ifndef RINGSIDE_MODEL_CELL_H
#define RINGSIDE_MODEL_CELL_H

#include "choice.h"
#include "devices.h"
#include "driver.h"
#include "event_log.h"
#include "oracle.h"

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define CELL_MAX_QUEUES 4
#define CELL_WHY_BYTES 1024
#define CELL_REQUESTS_DEFAULT 20
#define CELL_TIMEOUT_MS_DEFAULT 20000
#define CELL_REQUEST_MS_DEFAULT 3000

/* What a cell asks of its run; zeros mean the defaults above. */
struct cell_limits {
	u64 requests;		 /* completions wanted */
	unsigned int request_ms; /* no completion for this long: failed */
	unsigned int timeout_ms; /* the whole loop */
	bool bytes_suffice;	 /* bytes received are the data (entropy) */
};

struct cell {
	struct cell_limits lim;
	struct wl_driver drv;
	bool driver_ready; /* wl_init done: wl_fini owed */
	struct choice_source cs;
	struct event_log own_log;
	struct oracle oracle;
	struct sim_env env;
	double kick_at[CELL_MAX_QUEUES]; /* first kick not yet answered, ms */
	u64 kicks_seen[CELL_MAX_QUEUES];
	u16 used_seen[CELL_MAX_QUEUES];
	double rtt_sum_us;
	u64 rtt_n;
	double last_progress, t0;
	u64 last_completed;
	u64 interrupts;
	char last_log[160];
	char why[CELL_WHY_BYTES];
};

/* What the cell's host does in the loop. */
struct cell_host {
	/* After each driver step: answer the device (interrupts, a
	 * console's bytes), note each queue's kicks and used index
	 * (cell_note_queue), look for trouble with the device's process. */
	void (*between_steps)(struct cell *c);
	/* Nothing came back in this step with requests out: wait a moment
	 * for the device. */
	void (*idle)(struct cell *c);
};

/* Zeroes c, seeds its choice source, gives it an event log (log, or
 * its own when NULL) and an oracle, and installs the shim hooks. */
void cell_begin(struct cell *c, const struct cell_limits *lim, u64 seed,
		struct event_log *log);
/* Removes the hooks, frees the choice source and the own log. */
void cell_end(struct cell *c);

__attribute__((format(printf, 2, 3))) void cell_fail(struct cell *c,
						     const char *fmt, ...);
bool cell_failed(const struct cell *c);

/* Steps until the cell failed or has done enough (cell_enough), with
 * the request and cell time-outs. */
void cell_run(struct cell *c, const struct cell_host *host);
bool cell_enough(const struct cell *c);

/* Round trips: from the first kick of queue q with nothing answered to
 * the device's next used entry on it (used: the used index now, kicks:
 * the queue's kicks so far). */
void cell_note_queue(struct cell *c, unsigned int q, u16 used, u64 kicks);
double cell_rtt_us(const struct cell *c);

/* As the world ends a run: drain, leave a last batch of one to three
 * requests on every queue (when the device is still good to talk to),
 * then unregister the driver, which resets the device and detaches
 * every token. */
void cell_last_batch_and_remove(struct cell *c, bool transport_ready);

/* The verdict into message (empty: passed) and *oracle (the oracle that
 * fired, or NULL). */
bool cell_verdict(const struct cell *c, char *message, size_t n,
		  const char **oracle);

#endif /* RINGSIDE_MODEL_CELL_H */
