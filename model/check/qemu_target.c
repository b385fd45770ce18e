/*
 * qemu_target.c - the qemu: target kind: QEMU's own virtio-pci devices
 * through the QEMU stage (model/qemu/qemu.h), one QEMU per case, with the
 * watch of watch.h on the rings of our driver.
 *
 *   qemu:DEVICE[,legacy|modern][,intx][,requests=N]
 *
 * DEVICE: virtio-rng-pci, virtio-blk-pci, virtio-serial-pci,
 * virtio-net-pci (or entropy, block, console, net). Both transport modes
 * by default; interrupts are polled unless intx.
 *
 * Limits (SKIP with the reason): QEMU runs on its own clock and threads,
 * so the interrupt rule, which needs to know when a device turn ends, is
 * not checked; writable buffers are only poisoned where QEMU touches them
 * only after a kick (block), because QEMU may fill a receive or entropy
 * buffer the moment it is published, before the checker could poison it;
 * feature refusal and absent queues go through the QEMU stage's own
 * registry and are not observed yet. QEMU runs are not deterministic.
 *
 * The rules of the PCI transport's registers (pci_rules.h): the ISR is
 * read twice in a row at some steps of the run (interrupts polled: with
 * intx the cell's handler owns the ISR); once the driver's remove has
 * reset the device, queue_enable is read, every event mapped to an MSI-X
 * vector, the device reset again, and the status and vectors read
 * (after_remove, pci_rules.h note 3).
 */
#include "check.h"
#include "pci_rules.h"
#include "qemu.h"
#include "vpci.h"
#include "watch.h"

#include <errno.h>
#include <linux/bitops.h>
#include <linux/virtio_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QT_REQUESTS_DEFAULT 40
#define QT_SEEDS_DEFAULT 2
/* ISR probes of a case: pairs judged, and reads at most. */
#define QT_ISR_PAIRS 8
#define QT_ISR_PROBES 200

struct qemu_target {
	enum qemu_device device;
	enum qemu_irq irq;
	u64 requests;
};

struct qemu_case {
	struct check_watch w;
	struct qemu_cell *cell;
	bool identity_done;
	bool isr_probe;	   /* interrupts polled: the ISR is ours to read */
	unsigned int nvqs; /* queues the driver set up */
	unsigned int isr_probes, isr_pairs;
};

static const struct {
	const char *name, *alias;
	enum qemu_device device;
	u32 virtio_id;
} qemu_devices[] = {
	{ "virtio-rng-pci", "entropy", QEMU_DEV_ENTROPY, 4 },
	{ "virtio-blk-pci", "block", QEMU_DEV_BLOCK, 2 },
	{ "virtio-serial-pci", "console", QEMU_DEV_CONSOLE, 3 },
	{ "virtio-net-pci", "net", QEMU_DEV_NET, 1 },
};

static struct vpci *vp(void *ctx)
{
	return qemu_cell_transport(((struct qemu_case *)ctx)->cell);
}

static unsigned int q_nvqs(void *ctx)
{
	return vp(ctx)->nvqs;
}

static struct vring *q_vring(void *ctx, unsigned int q)
{
	return &vp(ctx)->queues[q].vring;
}

static struct virtqueue *q_vq(void *ctx, unsigned int q)
{
	return vp(ctx)->queues[q].vq;
}

static u64 q_features(void *ctx)
{
	return transport_features_u64(&vp(ctx)->vdev);
}

static const struct watch_ops qemu_watch_ops = {
	.nvqs = q_nvqs,
	.vring = q_vring,
	.vq = q_vq,
	.features = q_features,
};

static bool pow2(unsigned int n)
{
	return n && !(n & (n - 1));
}

/* What the device offers, once its queues exist. */
static void identity(struct qemu_case *k)
{
	struct vpci *t = vp(k);
	char text[CHECK_TEXT_BYTES];
	unsigned int q;
	u64 offered;

	if (k->identity_done || !t->nvqs)
		return;
	k->identity_done = true;
	watch_exercised(&k->w, "dev.queue-size");
	for (q = 0; q < t->nvqs; q++)
		if (!pow2(t->queues[q].num) || t->queues[q].num > 32768) {
			snprintf(text, sizeof(text), "queue %u has size %u", q,
				 t->queues[q].num);
			watch_violation(&k->w, "dev.queue-size", q,
					t->queues[q].num, 0, text);
			return;
		}
	offered = t->vdev.config->get_features(&t->vdev);
	k->w.offered = offered;
	k->w.offered_known = true;
	watch_check_dependencies(&k->w, k->w.c->device_id, offered);
	if (k->w.stop)
		return;
	watch_exercised(&k->w, "dev.features-reserved");
	if (offered & watch_reserved_features(k->w.c->mode)) {
		snprintf(text, sizeof(text),
			 "offered features %#llx include reserved bits %#llx",
			 (unsigned long long)offered,
			 (unsigned long long)(offered & watch_reserved_features(
								k->w.c->mode)));
		watch_violation(&k->w, "dev.features-reserved", 0,
				offered & watch_reserved_features(k->w.c->mode),
				0, text);
	}
}

static void q_observe(void *ctx, struct qemu_cell *cell, unsigned int q,
		      enum sim_call call, u64 result)
{
	struct qemu_case *k = ctx;

	k->cell = cell;
	watch_observe(&k->w, q, call, result);
}

/* pci.isr-read-clears: two reads in a row, the used idx of every queue
 * around them (pci_rules.h note 2). */
static void isr_probe(struct qemu_case *k, u64 step)
{
	struct vpci *t = vp(k);
	struct pci_isr_reads r = { 0 };
	u16 before[VPCI_MAX_QUEUES];
	unsigned int q;

	if (k->isr_pairs >= QT_ISR_PAIRS || k->isr_probes >= QT_ISR_PROBES)
		return;
	k->isr_probes++;
	for (q = 0; q < t->nvqs; q++)
		before[q] = vpci_used_idx(t, q);
	r.first = vpci_read_isr(t);
	if (!(r.first & VPCI_ISR_QUEUE) || qtest_failed(t->qt))
		return;
	r.second = vpci_read_isr(t);
	if (qtest_failed(t->qt))
		return;
	for (q = 0; q < t->nvqs; q++)
		if (vpci_used_idx(t, q) != before[q])
			r.used_moved = true;
	k->isr_pairs++;
	pci_judge_isr(k->w.c, step, &r);
}

/* The registers a reset leaves (pci_rules.h note 3). */
static void q_after_remove(void *ctx, struct qemu_cell *cell)
{
	struct qemu_case *k = ctx;
	struct vpci *t = qemu_cell_transport(cell);
	struct pci_reset_regs r = { 0 };
	unsigned int q,
		n = k->nvqs < PCI_RULES_QUEUES ? k->nvqs : PCI_RULES_QUEUES;

	if (t->mode == VPCI_MODERN) {
		r.nvqs = n;
		for (q = 0; q < n; q++)
			r.queue_enable[q] = vpci_queue_enable(t, q);
		r.msix = vpci_has_msix(t);
	}
	if (r.msix) {
		vpci_set_vector(t, -1, 0);
		r.config_vector_mapped = vpci_vector(t, -1);
		for (q = 0; q < n; q++) {
			vpci_set_vector(t, (int)q, 0);
			r.queue_vector_mapped[q] = vpci_vector(t, (int)q);
		}
	}
	/* A reset of our own: after the driver's, the core acknowledged
	 * the device again (status 1). */
	r.status = vpci_reset_registers(t);
	r.status_read = true;
	if (r.msix) {
		r.config_vector = vpci_vector(t, -1);
		for (q = 0; q < n; q++)
			r.queue_vector[q] = vpci_vector(t, (int)q);
	}
	if (qtest_failed(t->qt))
		return;
	pci_judge_reset(k->w.c, k->w.step, &r);
}

static void q_step(void *ctx, struct qemu_cell *cell, u64 step)
{
	struct qemu_case *k = ctx;
	u16 before[WATCH_QUEUES];

	k->cell = cell;
	k->w.step = step;
	if (!vp(k)->nvqs)
		return;
	if (vp(k)->nvqs > k->nvqs)
		k->nvqs = vp(k)->nvqs;
	if (k->isr_probe)
		isr_probe(k, step);
	if (k->w.stop)
		return;
	identity(k);
	watch_queues(&k->w);
	watch_used_before(&k->w, before);
	watch_turn(&k->w, before, 0, false);
}

static const char *data_entry(enum qemu_device d)
{
	switch (d) {
	case QEMU_DEV_BLOCK:
		return "blk.data-readback";
	case QEMU_DEV_CONSOLE:
		return "console.data-intact";
	case QEMU_DEV_NET:
		return "net.frames-intact";
	default:
		return NULL;
	}
}

static int qemu_run_case(struct check_target *t, struct check_case *c)
{
	struct qemu_target *qt = t->priv;
	struct qemu_cell_config cfg = { 0 };
	struct qemu_cell_result res;
	struct qemu_case *k = calloc(1, sizeof(*k));
	const char *data = data_entry(qt->device);
	int ret = 0;

	if (!k) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "out of memory");
		return -ENOMEM;
	}
	watch_init(&k->w, c, &qemu_watch_ops, k);
	k->w.poison_mask = qt->device == QEMU_DEV_BLOCK ? 1u : 0u;
	c->device_id = t->device_id;
	cfg.device = qt->device;
	cfg.mode =
		c->mode == CHECK_MODERN ? QEMU_MODE_MODERN : QEMU_MODE_LEGACY;
	cfg.irq = qt->irq;
	cfg.seed = c->seed;
	cfg.requests = qt->requests;
	cfg.observe = q_observe;
	cfg.on_step = q_step;
	cfg.after_remove = q_after_remove;
	cfg.observe_ctx = cfg.on_step_ctx = cfg.after_remove_ctx = k;
	k->isr_probe = qt->irq == QEMU_IRQ_POLL;
	cfg.check_out_of_range = true;
	cfg.check_framings = true;
	qemu_run_cell(&cfg, &res);
	c->features = res.features;
	/* A case ends at its first violation; QEMU's cell runs on, so a
	 * later data failure in it is that violation's consequence. */
	if (k->w.stop)
		data = NULL;
	if (data && res.oracle && strcmp(res.oracle, "data-integrity") == 0)
		check_violation(c,
				check_index(check_data_entry(t->device_id,
							     res.message)),
				res.steps, 0, 0, 0, "%s", res.message);
	else if (data && res.data_checked)
		watch_exercised(&k->w, data);
	if (res.data_checked && qt->device == QEMU_DEV_NET) {
		watch_exercised(&k->w, "net.header-size");
		watch_exercised(&k->w, "net.rx-offloads-negotiated");
	}
	if (!res.passed && !k->w.stop &&
	    !(data && c->violated[check_index(
			      check_data_entry(t->device_id, res.message))])) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "the QEMU cell failed: %.200s", res.message);
		ret = -EIO;
	}
	watch_fini(&k->w);
	free(k);
	return ret;
}

static bool qemu_observes(const struct check_target *t, int index,
			  const char **why)
{
	const char *id = check_catalogue[index].id;
	const struct qemu_target *qt = t->priv;

	if (strcmp(id, "ring.interrupt-required") == 0) {
		*why = "QEMU completes on its own threads: when its turn ends "
		       "is not observable (not checked)";
		return false;
	}
	if (strcmp(id, "ring.used-len-written") == 0 &&
	    qt->device != QEMU_DEV_BLOCK) {
		*why = "QEMU may fill this device's buffers as soon as they "
		       "are published, before they could be poisoned (not "
		       "checked)";
		return false;
	}
	if (strcmp(id, "dev.survives") == 0) {
		*why = "QEMU runs in its own process: its death ends the "
		       "check with a setup error";
		return false;
	}
	if (strcmp(id, "ring.kick-harmless") == 0 ||
	    strcmp(id, "ring.nothing-before-driver-ok") == 0 ||
	    strcmp(id, "dev.reset-quiet") == 0) {
		*why = "needs the device's turns: QEMU works on its own "
		       "threads, "
		       "so a spurious or early notification, or one after a "
		       "reset, cannot be told from its later work (not "
		       "checked)";
		return false;
	}
	if (strcmp(id, "dev.config-generation") == 0 ||
	    strcmp(id, "dev.needs-reset-notified") == 0) {
		*why = "the QEMU stage's transport does not read the "
		       "generation or the status during the run yet (not "
		       "checked)";
		return false;
	}
	if (strcmp(id, "pci.isr-read-clears") == 0 &&
	    qt->irq == QEMU_IRQ_INTX) {
		*why = "with intx the cell's interrupt handler reads the ISR "
		       "itself (run without intx to check it)";
		return false;
	}
	if (strcmp(id, "dev.features-ok-refused") == 0 ||
	    strcmp(id, "dev.absent-queue-zero") == 0) {
		*why = "not observed through the QEMU stage's PCI transport "
		       "yet";
		return false;
	}
	return true;
}

static int qemu_option(struct qemu_target *qt, struct check_target *t,
		       const char *opt, size_t n, char *err, size_t errlen)
{
	char buf[64];
	u64 v;
	char *end;

	snprintf(buf, sizeof(buf), "%.*s", (int)n, opt);
	if (strcmp(buf, "legacy") == 0)
		t->modes = CHECK_LEGACY;
	else if (strcmp(buf, "modern") == 0)
		t->modes = CHECK_MODERN;
	else if (strcmp(buf, "intx") == 0)
		qt->irq = QEMU_IRQ_INTX;
	else if (strncmp(buf, "requests=", 9) == 0 &&
		 (v = strtoull(buf + 9, &end, 10)) > 0 && *end == '\0' &&
		 v <= 100000)
		qt->requests = v;
	else {
		snprintf(err, errlen,
			 "qemu: bad option '%s' (legacy, modern, intx, "
			 "requests=N)",
			 buf);
		return -EINVAL;
	}
	return 0;
}

static int qemu_open(struct check_target *t, const char *spec, char *err,
		     size_t errlen)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	struct qemu_target *qt = calloc(1, sizeof(*qt));
	unsigned int i;
	int ret;

	if (!qt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->priv = qt;
	t->modes = CHECK_BOTH;
	t->seeds_default = QT_SEEDS_DEFAULT;
	qt->requests = QT_REQUESTS_DEFAULT;
	for (i = 0; i < sizeof(qemu_devices) / sizeof(qemu_devices[0]); i++)
		if ((strlen(qemu_devices[i].name) == n &&
		     strncmp(qemu_devices[i].name, spec, n) == 0) ||
		    (strlen(qemu_devices[i].alias) == n &&
		     strncmp(qemu_devices[i].alias, spec, n) == 0))
			break;
	if (i == sizeof(qemu_devices) / sizeof(qemu_devices[0])) {
		snprintf(err, errlen,
			 "qemu: unknown device '%.*s' (virtio-rng-pci, "
			 "virtio-blk-pci, virtio-serial-pci, virtio-net-pci)",
			 (int)n, spec);
		return -EINVAL;
	}
	qt->device = qemu_devices[i].device;
	t->device_id = qemu_devices[i].virtio_id;
	while (comma) {
		const char *opt = comma + 1;

		comma = strchr(opt, ',');
		n = comma ? (size_t)(comma - opt) : strlen(opt);
		ret = qemu_option(qt, t, opt, n, err, errlen);
		if (ret)
			return ret;
	}
	if (!qemu_installed()) {
		snprintf(err, errlen, "qemu: %s not found; install it with: %s",
			 QEMU_BINARY, QEMU_APT_LINE);
		return -ENOENT;
	}
	return 0;
}

static void qemu_close(struct check_target *t)
{
	free(t->priv);
}

const struct check_target_kind check_target_qemu = {
	.prefix = "qemu",
	.usage = "qemu:DEVICE[,legacy|modern][,intx][,requests=N]",
	.summary = "QEMU's virtio-pci device (virtio-rng-pci, virtio-blk-pci, "
		   "virtio-serial-pci, virtio-net-pci) over qtest",
	.deterministic = false,
	.transport = CHECK_TRANSPORT_PCI,
	.open = qemu_open,
	.run = qemu_run_case,
	.observes = qemu_observes,
	.close = qemu_close,
};
