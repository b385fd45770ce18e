/*
 * cell.c - what every cell shares (cell.h).
 */
#include "cell.h"

#include "proc.h"
#include "world.h"

#include <ringside/shim.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void cell_report(void *ctx, enum shim_report_kind kind, const char *file,
			int line, const char *what)
{
	struct cell *c = ctx;

	oracle_fail(&c->oracle, "warn", "%s at %s:%d: %s",
		    kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line, what);
}

/* printk: kept for the failure message (e.g. "device refuses features"). */
static void cell_log(void *ctx, int level, const char *text)
{
	struct cell *c = ctx;
	size_t n;

	(void)level;
	snprintf(c->last_log, sizeof(c->last_log), "%s", text);
	n = strlen(c->last_log);
	while (n && c->last_log[n - 1] == '\n')
		c->last_log[--n] = '\0';
}

void cell_begin(struct cell *c, const struct cell_limits *lim, u64 seed,
		struct event_log *log)
{
	memset(c, 0, sizeof(*c));
	c->lim = *lim;
	if (!c->lim.requests)
		c->lim.requests = CELL_REQUESTS_DEFAULT;
	if (!c->lim.request_ms)
		c->lim.request_ms = CELL_REQUEST_MS_DEFAULT;
	if (!c->lim.timeout_ms)
		c->lim.timeout_ms = CELL_TIMEOUT_MS_DEFAULT;
	choice_init_seed(&c->cs, seed);
	event_log_init(&c->own_log, 1);
	oracle_init(&c->oracle, ~0ULL);
	c->env.cs = &c->cs;
	c->env.log = log ? log : &c->own_log;
	c->env.oracle = &c->oracle;
	shim_set_report_hook(cell_report, c);
	shim_set_log_hook(cell_log, c);
	shim_set_alloc_fail_hook(NULL, NULL);
}

void cell_end(struct cell *c)
{
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
	choice_free(&c->cs);
	event_log_free(&c->own_log);
}

void cell_fail(struct cell *c, const char *fmt, ...)
{
	va_list ap;

	if (cell_failed(c))
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

bool cell_failed(const struct cell *c)
{
	return c->why[0] || c->oracle.failed;
}

bool cell_enough(const struct cell *c)
{
	if (c->drv.completed < c->lim.requests)
		return false;
	return c->lim.bytes_suffice ? c->drv.bytes > 0
				    : c->drv.data_checked > 0;
}

void cell_note_queue(struct cell *c, unsigned int q, u16 used, u64 kicks)
{
	double t = proc_now_ms();

	assert(q < CELL_MAX_QUEUES);
	if (used != c->used_seen[q]) {
		c->used_seen[q] = used;
		if (c->kick_at[q] > 0) {
			c->rtt_sum_us += (t - c->kick_at[q]) * 1e3;
			c->rtt_n++;
		}
		c->kick_at[q] = 0;
	}
	if (kicks != c->kicks_seen[q]) {
		c->kicks_seen[q] = kicks;
		if (c->kick_at[q] == 0)
			c->kick_at[q] = t;
	}
}

double cell_rtt_us(const struct cell *c)
{
	return c->rtt_n ? c->rtt_sum_us / (double)c->rtt_n : 0;
}

static void outstanding_queues(const struct cell *c, char *buf, size_t n)
{
	unsigned int q;
	size_t used;

	buf[0] = '\0';
	for (q = 0; q < c->drv.cls->nqueues; q++) {
		if (!c->drv.vq[q] || !virtqueue_outstanding(c->drv.vq[q]))
			continue;
		used = strlen(buf);
		snprintf(buf + used, n - used, "%s%s: %u", used ? ", " : "",
			 c->drv.cls->queue_names[q],
			 virtqueue_outstanding(c->drv.vq[q]));
	}
}

/* Wall-clock progress: a request timeout, or the cell's. */
static void check_progress(struct cell *c)
{
	double t = proc_now_ms();
	char qs[128];

	if (c->drv.completed != c->last_completed || !wl_outstanding(&c->drv)) {
		c->last_completed = c->drv.completed;
		c->last_progress = t;
	}
	if (t - c->last_progress > c->lim.request_ms) {
		outstanding_queues(c, qs, sizeof(qs));
		cell_fail(c,
			  "request timed out: no completion for %u ms with "
			  "buffers outstanding (%s); %llu completed before",
			  c->lim.request_ms, qs,
			  (unsigned long long)c->drv.completed);
	} else if (t - c->t0 > c->lim.timeout_ms) {
		cell_fail(c,
			  "cell timed out after %u ms: %llu requests "
			  "completed, %llu verified",
			  c->lim.timeout_ms,
			  (unsigned long long)c->drv.completed,
			  (unsigned long long)c->drv.data_checked);
	}
}

void cell_run(struct cell *c, const struct cell_host *host)
{
	u64 before;

	c->t0 = c->last_progress = proc_now_ms();
	for (c->env.step = 1; !cell_failed(c); c->env.step++) {
		c->oracle.step = c->env.step;
		before = c->drv.completed;
		sim_emit(&c->env, SIM_ACTOR_WORLD, SIM_EV_STEP, 0,
			 SIM_ACTOR_DRIVER, 0, 0);
		wl_step(&c->drv);
		host->between_steps(c);
		if (cell_failed(c) || cell_enough(c))
			break;
		check_progress(c);
		if (c->drv.completed == before && wl_outstanding(&c->drv))
			host->idle(c);
	}
}

void cell_last_batch_and_remove(struct cell *c, bool transport_ready)
{
	unsigned int q;

	if (transport_ready && wl_bound(&c->drv) && !cell_failed(c)) {
		wl_drain(&c->drv);
		for (q = 0; q < c->drv.cls->nqueues; q++)
			wl_add_batch(&c->drv, q,
				     1 + (unsigned int)choice_below(&c->cs, 3));
	}
	if (c->driver_ready)
		wl_unregister(&c->drv);
}

bool cell_verdict(const struct cell *c, char *message, size_t n,
		  const char **oracle)
{
	*oracle = NULL;
	message[0] = '\0';
	if (c->oracle.failed) {
		*oracle = c->oracle.name;
		snprintf(message, n, "%s: %s", c->oracle.name,
			 c->oracle.message);
	} else if (c->why[0]) {
		snprintf(message, n, "%s", c->why);
	} else if (!cell_enough(c)) {
		snprintf(message, n,
			 "only %llu of %llu requests completed (%llu "
			 "verified)",
			 (unsigned long long)c->drv.completed,
			 (unsigned long long)c->lim.requests,
			 (unsigned long long)c->drv.data_checked);
	}
	return !message[0];
}
