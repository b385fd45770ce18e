/*
 * qemu_target.c - QEMU's virtio-pci devices as robustness targets
 * ("qemu:DEVICE[,legacy|modern]"): each case gets its own QEMU (qemu.h),
 * its RAM as the arena, the device found and enabled by vpci.h, and the
 * raw writer on the queues vpci's find_vqs set up.
 *
 * QEMU runs on its own clock: budgets are milliseconds of wall-clock time
 * (the one use of the clock here, as in qemu_run.c), and its reports are
 * not functions of the seed. A QEMU that exits (an assertion, a crash) is
 * the case's FAIL with its exit status and the tail of its stderr.
 */
#define _GNU_SOURCE

#include "proc.h"
#include "robust.h"

#include "qemu.h"
#include "vpci.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QT_SETTLE_MS 150
#define QT_ANSWER_MS 1000
#define QT_POLL_US 200

struct qt_desc {
	enum qemu_device device;
	bool modern;
};

struct qt_state {
	const struct qt_desc *desc;
	struct qemu qm;
	struct vpci t;
	bool vpci_ready;
	struct qemu_device_args args;
};

static struct qt_state qstate;
static struct qt_desc qdescs[QEMU_DEV_COUNT][2];

static const u32 virtio_ids[QEMU_DEV_COUNT] = { VIRTIO_ID_RNG, VIRTIO_ID_BLOCK,
						VIRTIO_ID_CONSOLE,
						VIRTIO_ID_NET };

static struct vring *qt_vring(void *ctx, unsigned int q)
{
	struct qt_state *s = ctx;

	if (q >= s->t.nvqs || !s->t.queues[q].vq)
		return NULL;
	return &s->t.queues[q].vring;
}

/* The notify register, written with any queue index: legacy at BAR0 +
 * 16, modern at the notify region (QEMU takes the queue from the value
 * written, at the queue's own notify offset). */
static void qt_notify(void *ctx, unsigned int q)
{
	struct qt_state *s = ctx;

	if (s->t.mode == VPCI_LEGACY)
		qtest_outw(&s->qm.qt, (u16)(s->t.io + 16), (u16)q);
	else
		qtest_writew(&s->qm.qt,
			     s->t.notify + (u64)(q < s->t.nvqs ? q : 0) *
						   s->t.notify_mult,
			     (u16)q);
}

static void qt_run(void *ctx, unsigned int budget, bool (*done)(void *),
		   void *arg)
{
	struct qt_state *s = ctx;
	double end = proc_now_ms() + budget;

	for (;;) {
		/* Console output comes back as its input: the receive
		 * queue then gets bytes to write. */
		qemu_console_echo(&s->qm);
		if (done && done(arg))
			return;
		if (proc_now_ms() >= end || !qemu_alive(&s->qm) ||
		    qtest_failed(&s->qm.qt))
			return;
		/* Asynchronous qtest lines (IRQs) are consumed meanwhile. */
		qtest_pump(&s->qm.qt, 0);
		usleep(QT_POLL_US);
	}
}

static bool qt_alive(void *ctx, char *why, size_t n)
{
	struct qt_state *s = ctx;

	if (qemu_alive(&s->qm) && !qtest_failed(&s->qm.qt))
		return true;
	if (!qemu_alive(&s->qm) || qemu_wait_exit(&s->qm, QEMU_EXIT_WAIT_MS))
		qemu_describe_exit(&s->qm, why, n);
	else
		snprintf(why, n, "qtest failed: %s", s->qm.qt.error);
	return false;
}

static const struct rb_port_ops qt_ops = {
	.vring = qt_vring,
	.notify = qt_notify,
	.run = qt_run,
	.alive = qt_alive,
};

/* The same devices as the smoke cells (qemu_run.c). */
static int device_args(struct qt_state *s, struct qemu_options *o)
{
	memset(o, 0, sizeof(*o)); /* the default timeouts of qemu.h */
	return qemu_device_options(s->desc->device,
				   s->desc->modern ? QEMU_MODE_MODERN
						   : QEMU_MODE_LEGACY,
				   &s->args, o);
}

static void qt_free(struct qt_state *s)
{
	if (s->vpci_ready)
		vpci_destroy(&s->t);
	s->vpci_ready = false;
	shim_arena_destroy();
	qemu_stop(&s->qm);
}

static int qt_open(const struct rb_target *t, u64 seed, struct rb_port *port,
		   char *err, size_t n)
{
	struct qt_state *s = &qstate;
	struct qemu_options o;
	int e;

	(void)seed;
	memset(s, 0, sizeof(*s));
	s->desc = t->arg;
	e = device_args(s, &o);
	if (!e)
		e = qemu_start(&s->qm, &o);
	if (e) {
		snprintf(err, n, "%s", s->qm.error);
		qemu_stop(&s->qm);
		return e;
	}
	e = shim_arena_init((u8 *)s->qm.mem + QEMU_ARENA_PHYS,
			    QEMU_RAM_BYTES - QEMU_ARENA_PHYS, QEMU_ARENA_PHYS);
	if (!e)
		e = vpci_init(&s->t, &s->qm.qt, virtio_ids[s->desc->device],
			      s->desc->modern ? VPCI_MODERN : VPCI_LEGACY, err,
			      n);
	if (e) {
		qt_free(s);
		return e;
	}
	s->vpci_ready = true;
	port->ops = &qt_ops;
	port->ctx = s;
	port->vdev = &s->t.vdev;
	port->device_id = virtio_ids[s->desc->device];
	port->modern = s->desc->modern;
	port->guest_end = QEMU_RAM_BYTES;
	port->settle_budget = QT_SETTLE_MS;
	port->answer_budget = QT_ANSWER_MS;
	return 0;
}

static void qt_close(const struct rb_target *t, struct rb_port *port)
{
	(void)t;
	qt_free(port->ctx);
}

int rb_qemu_target(const char *spec, struct rb_target *t, char *err, size_t n)
{
	const char *name = spec + 5, *mode;
	char dev[16];
	size_t len;
	enum qemu_device d;
	bool modern;

	if (strncmp(spec, "qemu:", 5)) {
		snprintf(err, n, "\"%s\" is not a qemu: target", spec);
		return -EINVAL;
	}
	len = strcspn(name, ",");
	mode = name[len] ? name + len + 1 : "modern";
	snprintf(dev, sizeof(dev), "%.*s", (int)(len < 15 ? len : 15), name);
	d = qemu_device_lookup(dev);
	if (d == QEMU_DEV_COUNT || len >= sizeof(dev)) {
		snprintf(err, n,
			 "no QEMU device \"%.*s\" (entropy, block, console, "
			 "net)",
			 (int)len, name);
		return -EINVAL;
	}
	if (strcmp(mode, "modern") && strcmp(mode, "legacy")) {
		snprintf(err, n, "unknown mode \"%s\" (legacy or modern)",
			 mode);
		return -EINVAL;
	}
	if (!qemu_installed()) {
		snprintf(err, n, "QEMU is not installed (%s)", QEMU_APT_LINE);
		return -ENOENT;
	}
	modern = !strcmp(mode, "modern");
	qdescs[d][modern].device = d;
	qdescs[d][modern].modern = modern;
	memset(t, 0, sizeof(*t));
	t->name = spec;
	t->deterministic = false;
	t->modern = modern;
	t->open = qt_open;
	t->close = qt_close;
	t->arg = &qdescs[d][modern];
	return 0;
}
