/*
 * qemu_run.c - one smoke cell: the unchanged workload driver against one
 * of QEMU's virtio-pci devices (qemu.h).
 *
 * A cell starts its own QEMU with one device, maps its RAM as the arena,
 * finds the device on the bus, and registers the workload driver and the
 * device through the production registry. Then a loop of driver steps
 * (wl_step, every decision from the seeded choice source) with, between
 * them, what a host around a real driver does: the console's chardev is
 * echoed back, and interrupts are handled, either by polling every queue
 * (vring_interrupt says IRQ_NONE when nothing is used) or by reading the
 * ISR when the INTx line rises. QEMU runs on its own clock, so progress is
 * judged by wall time: no completion for request_ms with requests
 * outstanding is a request timeout, and the whole cell has its timeout.
 *
 * The cell passes when the driver bound, completed the requests asked
 * for with data verified (entropy: bytes received), no oracle fired and
 * the teardown was clean: the driver's remove resets the device and takes
 * back every token, every descriptor is free, every arena block is freed.
 */
#define _GNU_SOURCE

#include "cell.h"
#include "driver.h"
#include "proc.h"
#include "qemu.h"
#include "vpci.h"
#include "world.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <ringside/shim.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Longest idle wait between steps while requests are out. */
#define CELL_IDLE_WAIT_US 200

_Static_assert(VPCI_MAX_QUEUES <= CELL_MAX_QUEUES, "a cell notes every queue");

struct qemu_cell {
	struct cell core;
	const struct qemu_cell_config *cfg;
	struct qemu qm;
	bool started;
	struct vpci t;
	bool transport_ready;
	const struct wl_class *cls;
	struct qemu_device_args args;
};

static const char *const device_names[QEMU_DEV_COUNT] = { "entropy", "block",
							  "console", "net" };
static const char *const mode_names[QEMU_MODE_COUNT] = { "legacy", "modern" };
static const char *const irq_names[QEMU_IRQ_COUNT] = { "poll", "intx" };

static const u32 virtio_ids[QEMU_DEV_COUNT] = { VIRTIO_ID_RNG, VIRTIO_ID_BLOCK,
						VIRTIO_ID_CONSOLE,
						VIRTIO_ID_NET };

static const struct wl_class *const classes[QEMU_DEV_COUNT] = {
	&wl_entropy_class, &wl_block_class, &wl_console_class, &wl_net_class
};

struct qemu *qemu_cell_qemu(struct qemu_cell *cell)
{
	return &cell->qm;
}

struct vpci *qemu_cell_transport(struct qemu_cell *cell)
{
	return &cell->t;
}

static void cell_observe(void *ctx, unsigned int q, enum sim_call call,
			 u64 result)
{
	struct qemu_cell *c = ctx;

	c->cfg->observe(c->cfg->observe_ctx, c, q, call, result);
}

/* --- QEMU's command line ------------------------------------------------------- */

static int opt(struct qemu_options *o, const char *a)
{
	return qemu_opt_add(o, a);
}

int qemu_device_options(enum qemu_device device, enum qemu_mode m,
			struct qemu_device_args *args, struct qemu_options *o)
{
	char(*arg)[QEMU_DEVICE_ARG_BYTES] = args->arg;
	const char *mode = m == QEMU_MODE_MODERN ? "disable-legacy=on"
						 : "disable-modern=on";
	int err = 0;

	switch (device) {
	case QEMU_DEV_ENTROPY:
		snprintf(arg[0], QEMU_DEVICE_ARG_BYTES, "virtio-rng-pci,%s",
			 mode);
		err |= opt(o, "-device") | opt(o, arg[0]);
		break;
	case QEMU_DEV_BLOCK:
		o->disk_bytes = QEMU_DEVICE_DISK_BYTES;
		snprintf(arg[0], QEMU_DEVICE_ARG_BYTES,
			 "if=none,id=d0,file=@DIR@/disk.img,format=raw");
		snprintf(arg[1], QEMU_DEVICE_ARG_BYTES,
			 "virtio-blk-pci,drive=d0,serial=ringside-blk,%s",
			 mode);
		err |= opt(o, "-drive") | opt(o, arg[0]);
		err |= opt(o, "-device") | opt(o, arg[1]);
		break;
	case QEMU_DEV_CONSOLE:
		/* We listen; QEMU connects its chardev at start-up. */
		o->console_socket = true;
		snprintf(arg[0], QEMU_DEVICE_ARG_BYTES,
			 "socket,id=c0,path=@DIR@/console.sock");
		snprintf(arg[1], QEMU_DEVICE_ARG_BYTES,
			 "virtio-serial-pci,id=vs0,%s", mode);
		snprintf(arg[2], QEMU_DEVICE_ARG_BYTES,
			 "virtconsole,chardev=c0,bus=vs0.0");
		err |= opt(o, "-chardev") | opt(o, arg[0]);
		err |= opt(o, "-device") | opt(o, arg[1]);
		err |= opt(o, "-device") | opt(o, arg[2]);
		break;
	default:
		/* A datagram socket sending to itself: every frame comes
		 * back to the NIC that sent it. */
		snprintf(arg[0], QEMU_DEVICE_ARG_BYTES,
			 "dgram,id=n0,local.type=unix,local.path=@DIR@/net."
			 "sock,remote.type=unix,remote.path=@DIR@/net.sock");
		snprintf(arg[1], QEMU_DEVICE_ARG_BYTES,
			 "virtio-net-pci,netdev=n0,romfile=,mac=52:54:00:12:"
			 "34:56,%s",
			 mode);
		err |= opt(o, "-netdev") | opt(o, arg[0]);
		err |= opt(o, "-device") | opt(o, arg[1]);
		break;
	}
	return err ? -E2BIG : 0;
}

static int build_options(struct qemu_cell *c, struct qemu_options *o)
{
	const char *const *a = c->cfg->qemu_args_override;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	if (!a)
		return qemu_device_options(c->cfg->device, c->cfg->mode,
					   &c->args, o);
	for (; *a; a++)
		if (qemu_opt_add(o, *a))
			return -E2BIG;
	return 0;
}

/* --- the host side between steps ----------------------------------------------- */

static void queue_irq(struct qemu_cell *c, unsigned int q, u16 actor)
{
	irqreturn_t r = vpci_queue_interrupt(&c->t, q);

	if (r == IRQ_HANDLED || actor == SIM_ACTOR_IRQ)
		sim_emit(&c->core.env, actor, SIM_EV_IRQ, (u16)q, q, r, 0);
	c->core.interrupts += r == IRQ_HANDLED;
}

/* INTx: a raised line is answered by reading the ISR (which lowers it),
 * then the queue interrupt of every queue and the config interrupt. */
static void intx(struct qemu_cell *c)
{
	unsigned int q;
	u8 isr;

	if (qtest_pump(&c->qm.qt, 0) || !c->qm.qt.irq_level)
		return;
	isr = vpci_read_isr(&c->t);
	if (qtest_failed(&c->qm.qt))
		return;
	if (isr & VPCI_ISR_QUEUE)
		for (q = 0; q < c->t.nvqs; q++)
			queue_irq(c, q, SIM_ACTOR_IRQ);
	if (isr & VPCI_ISR_CONFIG) {
		vpci_config_interrupt(&c->t);
		sim_emit(&c->core.env, SIM_ACTOR_CONFIG, SIM_EV_CONFIG_CHANGE,
			 0, c->t.config_interrupts, 1, 0);
	}
}

static void interrupts(struct qemu_cell *c)
{
	unsigned int q;

	if (c->cfg->irq == QEMU_IRQ_INTX) {
		intx(c);
		return;
	}
	for (q = 0; q < c->t.nvqs; q++)
		queue_irq(c, q, SIM_ACTOR_DEVICE);
}

static struct qemu_cell *of(struct cell *core)
{
	return container_of(core, struct qemu_cell, core);
}

/* What went wrong with QEMU, when qtest failed. */
static void qemu_trouble(struct qemu_cell *c)
{
	char exitmsg[QEMU_ERROR_BYTES - 200];

	if (!qtest_failed(&c->qm.qt) || cell_failed(&c->core))
		return;
	if (qemu_wait_exit(&c->qm, QEMU_EXIT_WAIT_MS)) {
		qemu_describe_exit(&c->qm, exitmsg, sizeof(exitmsg));
		cell_fail(&c->core, "QEMU died during the run: %s", exitmsg);
		return;
	}
	cell_fail(&c->core, "%s", c->qm.qt.error);
}

/* Nothing came back this step: give QEMU a moment (an INTx or console
 * byte ends the wait early). */
static void idle(struct cell *core)
{
	struct qemu_cell *c = of(core);
	struct pollfd pfd[2];
	nfds_t n = 0;

	if (c->cfg->irq == QEMU_IRQ_INTX) {
		pfd[n].fd = c->qm.qt.fd;
		pfd[n++].events = POLLIN;
	}
	if (c->qm.console_fd >= 0) {
		pfd[n].fd = c->qm.console_fd;
		pfd[n++].events = POLLIN;
	}
	if (n) {
		struct timespec ts = { 0, CELL_IDLE_WAIT_US * 1000L };

		ppoll(pfd, n, &ts, NULL);
	} else {
		usleep(CELL_IDLE_WAIT_US / 4);
	}
}

/* What a host around a real driver does between its steps. */
static void between_steps(struct cell *core)
{
	struct qemu_cell *c = of(core);
	unsigned int q;

	qemu_console_echo(&c->qm);
	interrupts(c);
	for (q = 0; q < c->t.nvqs; q++)
		cell_note_queue(core, q, vpci_used_idx(&c->t, q),
				c->t.queues[q].kicks);
	qemu_trouble(c);
	if (c->cfg->on_step)
		c->cfg->on_step(c->cfg->on_step_ctx, c, core->env.step);
}

static const struct cell_host qemu_host = { between_steps, idle };

/* --- set-up and teardown ------------------------------------------------------- */

static bool bind_device(struct qemu_cell *c)
{
	const struct qemu_cell_config *cfg = c->cfg;
	char err[QEMU_ERROR_BYTES - 100];
	int r;

	if (cfg->irq == QEMU_IRQ_INTX && vpci_enable_intx(&c->qm.qt)) {
		cell_fail(&c->core, "cannot set up INTx: %s", c->qm.qt.error);
		return false;
	}
	r = vpci_init(&c->t, &c->qm.qt, virtio_ids[cfg->device],
		      cfg->mode == QEMU_MODE_MODERN ? VPCI_MODERN : VPCI_LEGACY,
		      err, sizeof(err));
	if (r) {
		cell_fail(&c->core, "%s", err);
		return false;
	}
	c->transport_ready = true;
	c->t.notify_nowhere = cfg->notify_nowhere;
	c->cls = classes[cfg->device];
	if (wl_init(&c->core.drv, c->cls, &c->core.env)) {
		cell_fail(&c->core, "cannot set up the %s workload",
			  c->cls->name);
		return false;
	}
	c->core.driver_ready = true;
	c->core.drv.check_out_of_range = cfg->check_out_of_range;
	c->core.drv.check_framings = cfg->check_framings;
	if (wl_register(&c->core.drv)) {
		cell_fail(&c->core, "cannot register the %s driver",
			  c->cls->name);
		return false;
	}
	/* As the world numbers them (devices.h): mode, offered, device. */
	sim_emit(&c->core.env, SIM_ACTOR_WORLD, SIM_EV_RUN_START, 0, c->t.mode,
		 c->t.vdev.config->get_features(&c->t.vdev),
		 sim_device_lookup(qemu_device_name(cfg->device)));
	r = register_virtio_device(&c->t.vdev);
	sim_emit(&c->core.env, SIM_ACTOR_WORLD, SIM_EV_PROBE, 0,
		 c->t.vdev.config->get_status(&c->t.vdev),
		 wl_bound(&c->core.drv), (u64)(s64)r);
	qemu_trouble(c);
	if (!cell_failed(&c->core) && !wl_bound(&c->core.drv))
		cell_fail(&c->core,
			  "the %s driver did not bind to the device (register "
			  "%d, status %#x%s%s)",
			  c->cls->name, r,
			  c->t.vdev.config->get_status(&c->t.vdev),
			  c->core.last_log[0] ? ": " : "", c->core.last_log);
	return !cell_failed(&c->core);
}

/* Like world.c: drain, leave a last batch outstanding, remove (the driver
 * resets the device and detaches every token), check the arena. */
static void teardown(struct qemu_cell *c)
{
	bool bound = c->core.driver_ready && wl_bound(&c->core.drv);

	cell_last_batch_and_remove(&c->core, c->transport_ready);
	/* Also after an oracle fired: the registers do not depend on the
	 * data. */
	if (bound && c->transport_ready && c->cfg->after_remove &&
	    !qtest_failed(&c->qm.qt))
		c->cfg->after_remove(c->cfg->after_remove_ctx, c);
	oracle_tokens_finish(&c->core.oracle);
	if (c->transport_ready)
		vpci_destroy(&c->t);
	if (c->core.driver_ready)
		wl_fini(&c->core.drv);
	qemu_trouble(c);
	sim_end_run(&c->core.env);
}

static void fill_result(struct qemu_cell *c, struct qemu_cell_result *r,
			double t_start)
{
	const struct cell *core = &c->core;

	r->bound = core->drv.binds > 0;
	r->features = transport_features_u64(&c->t.vdev);
	r->completed = core->drv.completed;
	r->bytes = core->drv.bytes;
	r->data_checked = core->drv.data_checked;
	r->steps = core->env.step;
	r->events = event_log_count(core->env.log);
	r->event_hash = event_log_hash(core->env.log);
	r->choices = choice_draws(&core->cs);
	r->kicks = c->t.kicks;
	r->interrupts = core->interrupts;
	r->startup_ms = c->qm.startup_ms;
	r->run_ms = core->t0 > 0 ? proc_now_ms() - core->t0 : 0;
	r->total_ms = proc_now_ms() - t_start;
	r->rtt_samples = core->rtt_n;
	r->rtt_us = cell_rtt_us(core);
	r->qtest_requests = c->qm.qt.requests;
	r->qtest_us = c->qm.qt.requests ? (double)c->qm.qt.request_ns / 1e3 /
						  (double)c->qm.qt.requests
					: 0;
	r->passed =
		cell_verdict(core, r->message, sizeof(r->message), &r->oracle);
}

static int start(struct qemu_cell *c)
{
	struct qemu_options o;
	int err = build_options(c, &o);

	if (err) {
		cell_fail(&c->core, "too many QEMU arguments");
		return err;
	}
	err = qemu_start(&c->qm, &o);
	c->started = true;
	if (err) {
		cell_fail(&c->core, "%s", c->qm.error);
		return err;
	}
	err = shim_arena_init((u8 *)c->qm.mem + QEMU_ARENA_PHYS,
			      QEMU_RAM_BYTES - QEMU_ARENA_PHYS,
			      QEMU_ARENA_PHYS);
	if (err)
		cell_fail(&c->core, "cannot make QEMU's RAM the arena (%d)",
			  err);
	return err;
}

int qemu_run_cell(const struct qemu_cell_config *cfg,
		  struct qemu_cell_result *result)
{
	static struct qemu_cell cell;
	struct qemu_cell *c = &cell;
	double t_start = proc_now_ms();
	struct cell_limits lim;

	if (!cfg || !result || cfg->device >= QEMU_DEV_COUNT ||
	    cfg->mode >= QEMU_MODE_COUNT || cfg->irq >= QEMU_IRQ_COUNT)
		return -EINVAL;
	memset(result, 0, sizeof(*result));
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	lim = (struct cell_limits){
		.requests = cfg->requests,
		.request_ms = cfg->request_ms,
		.timeout_ms = cfg->timeout_ms,
		.bytes_suffice = cfg->device == QEMU_DEV_ENTROPY,
	};
	cell_begin(&c->core, &lim, cfg->seed, cfg->log);
	if (cfg->observe) {
		c->core.env.observe = cell_observe;
		c->core.env.observe_ctx = c;
	}

	if (start(c) == 0) {
		if (bind_device(c))
			cell_run(&c->core, &qemu_host);
		teardown(c);
	}
	fill_result(c, result, t_start);

	cell_end(&c->core);
	shim_arena_destroy();
	if (c->started)
		qemu_stop(&c->qm);
	return 0;
}

/* --- names ---------------------------------------------------------------------- */

const char *qemu_device_name(enum qemu_device d)
{
	return d < QEMU_DEV_COUNT ? device_names[d] : NULL;
}

const char *qemu_mode_name(enum qemu_mode m)
{
	return m < QEMU_MODE_COUNT ? mode_names[m] : NULL;
}

const char *qemu_irq_name(enum qemu_irq i)
{
	return i < QEMU_IRQ_COUNT ? irq_names[i] : NULL;
}

static unsigned int lookup(const char *const *names, unsigned int n,
			   const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return n;
}

enum qemu_device qemu_device_lookup(const char *name)
{
	return (enum qemu_device)lookup(device_names, QEMU_DEV_COUNT, name);
}

enum qemu_mode qemu_mode_lookup(const char *name)
{
	return (enum qemu_mode)lookup(mode_names, QEMU_MODE_COUNT, name);
}

enum qemu_irq qemu_irq_lookup(const char *name)
{
	return (enum qemu_irq)lookup(irq_names, QEMU_IRQ_COUNT, name);
}
