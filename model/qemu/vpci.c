/*
 * vpci.c - the legacy and modern virtio-pci transports over qtest
 * (vpci.h).
 */
#include "vpci.h"

#include "sim_transport.h"

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Legacy registers (note 1). */
#define VPL_HOST_FEATURES 0
#define VPL_GUEST_FEATURES 4
#define VPL_QUEUE_PFN 8
#define VPL_QUEUE_NUM 12
#define VPL_QUEUE_SEL 14
#define VPL_QUEUE_NOTIFY 16
#define VPL_STATUS 18
#define VPL_ISR 19
#define VPL_CONFIG 20

/* Modern common configuration (virtio 1.x, 4.1.4.3). */
#define VPM_MSIX_CONFIG 0x10
#define VPM_Q_MSIX 0x1a
#define VPM_DFSELECT 0x00
#define VPM_DF 0x04
#define VPM_GFSELECT 0x08
#define VPM_GF 0x0c
#define VPM_STATUS 0x14
#define VPM_GENERATION 0x15
#define VPM_Q_SELECT 0x16
#define VPM_Q_SIZE 0x18
#define VPM_Q_ENABLE 0x1c
#define VPM_Q_NOFF 0x1e
#define VPM_Q_DESCLO 0x20
#define VPM_Q_AVAILLO 0x28
#define VPM_Q_USEDLO 0x30

#define VPCI_CAP_VENDOR 0x09
#define VPCI_CAP_COMMON 1
#define VPCI_CAP_NOTIFY 2
#define VPCI_CAP_ISR 3
#define VPCI_CAP_DEVICE 4
/* Reset: how many status reads until a modern device shows 0. */
#define VPCI_RESET_POLLS 1000
/* The queue a "nowhere" kick names: beyond any device's queues. */
#define VPCI_NOWHERE_QUEUE 1023u
#define PIIX3_BDF PCI_BDF(0, 1, 0)
#define PIIX3_PIRQ_ROUTE 0x60

struct vpci *vpci_of(struct virtio_device *vdev)
{
	return container_of(vdev, struct vpci, vdev);
}

static bool modern(const struct vpci *t)
{
	return t->mode == VPCI_MODERN;
}

/* --- config space -------------------------------------------------------- */

/* One access of 4, 2 or 1 bytes at offset, the widest the alignment and
 * the length allow. */
static unsigned int access_width(unsigned int offset, unsigned int len)
{
	if (len >= 4 && !(offset & 3))
		return 4;
	if (len >= 2 && !(offset & 1))
		return 2;
	return 1;
}

static u32 cfg_read(struct vpci *t, unsigned int off, unsigned int w)
{
	if (modern(t)) {
		u64 a = t->device_cfg + off;

		return w == 4	? qtest_readl(t->qt, a)
		       : w == 2 ? qtest_readw(t->qt, a)
				: qtest_readb(t->qt, a);
	}
	u16 p = (u16)(t->io + VPL_CONFIG + off);

	return w == 4	? qtest_inl(t->qt, p)
	       : w == 2 ? qtest_inw(t->qt, p)
			: qtest_inb(t->qt, p);
}

static void cfg_write(struct vpci *t, unsigned int off, unsigned int w, u32 v)
{
	if (modern(t)) {
		u64 a = t->device_cfg + off;

		if (w == 4)
			qtest_writel(t->qt, a, v);
		else if (w == 2)
			qtest_writew(t->qt, a, (u16)v);
		else
			qtest_writeb(t->qt, a, (u8)v);
		return;
	}
	u16 p = (u16)(t->io + VPL_CONFIG + off);

	if (w == 4)
		qtest_outl(t->qt, p, v);
	else if (w == 2)
		qtest_outw(t->qt, p, (u16)v);
	else
		qtest_outb(t->qt, p, (u8)v);
}

static void vpci_get(struct virtio_device *vdev, unsigned offset, void *buf,
		     unsigned len)
{
	struct vpci *t = vpci_of(vdev);
	u8 *p = buf;
	unsigned int w;
	u32 v;

	while (len) {
		w = access_width(offset, len);
		v = cfg_read(t, offset, w);
		memcpy(p, &v, w); /* little-endian host (linux/types.h) */
		p += w;
		offset += w;
		len -= w;
	}
}

static void vpci_set(struct virtio_device *vdev, unsigned offset,
		     const void *buf, unsigned len)
{
	struct vpci *t = vpci_of(vdev);
	const u8 *p = buf;
	unsigned int w;
	u32 v = 0;

	while (len) {
		w = access_width(offset, len);
		memcpy(&v, p, w);
		cfg_write(t, offset, w, v);
		p += w;
		offset += w;
		len -= w;
	}
}

static u32 vpci_generation(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);

	if (!modern(t))
		return 0;
	return qtest_readb(t->qt, t->common + VPM_GENERATION);
}

/* --- status and features --------------------------------------------------- */

static u8 vpci_get_status(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);

	if (modern(t))
		return qtest_readb(t->qt, t->common + VPM_STATUS);
	return qtest_inb(t->qt, (u16)(t->io + VPL_STATUS));
}

static void vpci_set_status(struct virtio_device *vdev, u8 status)
{
	struct vpci *t = vpci_of(vdev);

	if (modern(t))
		qtest_writeb(t->qt, t->common + VPM_STATUS, status);
	else
		qtest_outb(t->qt, (u16)(t->io + VPL_STATUS), status);
}

/* A modern device may take its time: the reset is over when the status
 * reads 0 (virtio 1.x, 4.1.4.3.2). Legacy resets at once. */
static void vpci_reset(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);
	unsigned int i;

	virtio_reset_begin(vdev); /* no queue callback from here on */
	vpci_set_status(vdev, 0);
	if (!modern(t))
		return;
	for (i = 0; i < VPCI_RESET_POLLS && !qtest_failed(t->qt); i++)
		if (vpci_get_status(vdev) == 0)
			return;
}

static u64 vpci_get_features(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);
	u64 lo, hi;

	if (!modern(t))
		return qtest_inl(t->qt, (u16)(t->io + VPL_HOST_FEATURES));
	qtest_writel(t->qt, t->common + VPM_DFSELECT, 0);
	lo = qtest_readl(t->qt, t->common + VPM_DF);
	qtest_writel(t->qt, t->common + VPM_DFSELECT, 1);
	hi = qtest_readl(t->qt, t->common + VPM_DF);
	return hi << 32 | lo;
}

static void vpci_finalize_features(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);
	u64 f;

	vring_transport_features(vdev);
	f = transport_features_u64(vdev);
	if (!modern(t)) {
		qtest_outl(t->qt, (u16)(t->io + VPL_GUEST_FEATURES), (u32)f);
		return;
	}
	qtest_writel(t->qt, t->common + VPM_GFSELECT, 0);
	qtest_writel(t->qt, t->common + VPM_GF, (u32)f);
	qtest_writel(t->qt, t->common + VPM_GFSELECT, 1);
	qtest_writel(t->qt, t->common + VPM_GF, (u32)(f >> 32));
}

static const char *vpci_bus_name(struct virtio_device *vdev)
{
	struct vpci *t = vpci_of(vdev);

	snprintf(t->bus_name, sizeof(t->bus_name), "0000:00:%02x.%x",
		 (t->pci.bdf >> 3) & 31, t->pci.bdf & 7);
	return t->bus_name;
}

/* --- queues (note 3) --------------------------------------------------------- */

static void vpci_notify(struct virtqueue *vq)
{
	struct vpci *t = vpci_of(vq->vdev);
	unsigned int q = vq->index;
	u16 which = t->notify_nowhere ? VPCI_NOWHERE_QUEUE : (u16)q;

	assert(q < t->nvqs && t->queues[q].vq == vq);
	t->kicks++;
	t->queues[q].kicks++;
	if (!modern(t)) {
		qtest_outw(t->qt, (u16)(t->io + VPL_QUEUE_NOTIFY), which);
		return;
	}
	if (t->notify_nowhere)
		qtest_writew(t->qt,
			     t->notify +
				     (u64)VPCI_NOWHERE_QUEUE * t->notify_mult,
			     which);
	else
		qtest_writew(t->qt, t->queues[q].notify_addr, which);
}

static void select_queue(struct vpci *t, unsigned int i)
{
	if (modern(t))
		qtest_writew(t->qt, t->common + VPM_Q_SELECT, (u16)i);
	else
		qtest_outw(t->qt, (u16)(t->io + VPL_QUEUE_SEL), (u16)i);
}

static void write64(struct vpci *t, unsigned int off, u64 v)
{
	qtest_writel(t->qt, t->common + off, (u32)v);
	qtest_writel(t->qt, t->common + off + 4, (u32)(v >> 32));
}

/* Tells the device where queue i (selected) lives, and enables it. */
static void activate_queue(struct vpci *t, struct vpci_queue *vq)
{
	if (!modern(t)) {
		qtest_outl(t->qt, (u16)(t->io + VPL_QUEUE_PFN),
			   (u32)(virt_to_phys(vq->pages) >> 12));
		return;
	}
	write64(t, VPM_Q_DESCLO, virt_to_phys(vq->vring.desc));
	write64(t, VPM_Q_AVAILLO, virt_to_phys(vq->vring.avail));
	write64(t, VPM_Q_USEDLO, virt_to_phys(vq->vring.used));
	qtest_writew(t->qt, t->common + VPM_Q_ENABLE, 1);
}

/* The size the device offers for the selected queue; 0 when it has no
 * such queue, or the queue is already in use. */
static u16 queue_offer(struct vpci *t, struct vpci_queue *sq)
{
	u16 num;

	if (!modern(t)) {
		num = qtest_inw(t->qt, (u16)(t->io + VPL_QUEUE_NUM));
		if (num && qtest_inl(t->qt, (u16)(t->io + VPL_QUEUE_PFN)))
			return 0;
		return num;
	}
	num = qtest_readw(t->qt, t->common + VPM_Q_SIZE);
	if (num && qtest_readw(t->qt, t->common + VPM_Q_ENABLE))
		return 0;
	sq->notify_addr =
		t->notify + (u64)qtest_readw(t->qt, t->common + VPM_Q_NOFF) *
				    t->notify_mult;
	return num;
}

static int setup_queue(struct vpci *t, unsigned int i, vq_callback_t *callback,
		       const char *name)
{
	struct vpci_queue *sq = &t->queues[i];
	unsigned int num;

	assert(i == t->nvqs && !sq->vq);
	select_queue(t, i);
	num = queue_offer(t, sq);
	if (qtest_failed(t->qt))
		return -EIO;
	if (num == 0)
		return -ENOENT;
	if (num > VRING_MAX_SIZE || (num & (num - 1))) {
		dev_warn(&t->vdev.dev, "vpci: queue %u: bad size %u\n", i, num);
		return -EINVAL;
	}
	sq->bytes = vring_size(num, VPCI_VRING_ALIGN);
	sq->pages = alloc_pages_exact(sq->bytes, GFP_KERNEL | __GFP_ZERO);
	if (!sq->pages)
		return -ENOMEM;
	if (virt_to_phys(sq->pages) & (VPCI_VRING_ALIGN - 1)) {
		free_pages_exact(sq->pages, sq->bytes);
		sq->pages = NULL;
		return -EINVAL; /* a page frame number cannot say it */
	}
	sq->vq = vring_new_virtqueue(i, num, VPCI_VRING_ALIGN, &t->vdev, true,
				     sq->pages, vpci_notify, callback,
				     name ? name : "vpci");
	if (!sq->vq) {
		free_pages_exact(sq->pages, sq->bytes);
		sq->pages = NULL;
		return -ENOMEM;
	}
	sq->num = (u16)num;
	sq->kicks = 0;
	vring_init(&sq->vring, num, sq->pages, VPCI_VRING_ALIGN);
	t->nvqs = i + 1;
	activate_queue(t, sq);
	return qtest_failed(t->qt) ? -EIO : 0;
}

/* Legacy queues are switched off by a zero PFN; modern ones only by the
 * reset the driver does before del_vqs. */
static void drop_queues(struct vpci *t)
{
	unsigned int i;

	for (i = t->nvqs; i-- > 0;) {
		struct vpci_queue *sq = &t->queues[i];

		if (!modern(t)) {
			select_queue(t, i);
			qtest_outl(t->qt, (u16)(t->io + VPL_QUEUE_PFN), 0);
		}
		vring_del_virtqueue(sq->vq);
		free_pages_exact(sq->pages, sq->bytes);
		memset(sq, 0, sizeof(*sq));
	}
	t->nvqs = 0;
}

static int vpci_find_vqs(struct virtio_device *vdev, unsigned nvqs,
			 struct virtqueue *vqs[], vq_callback_t *callbacks[],
			 const char *names[])
{
	struct vpci *t = vpci_of(vdev);
	unsigned int i;
	int err = 0;

	if (t->nvqs)
		return -EBUSY;
	if (nvqs > VPCI_MAX_QUEUES)
		return -ENOENT;
	for (i = 0; !err && i < nvqs; i++) {
		err = setup_queue(t, i, callbacks ? callbacks[i] : NULL,
				  names ? names[i] : NULL);
		if (!err)
			vqs[i] = t->queues[i].vq;
	}
	if (err) {
		/* A modern device may hold enabled queues: it must forget
		 * them before their memory goes back. */
		if (modern(t))
			vpci_reset(vdev);
		drop_queues(t);
	}
	return err;
}

static void vpci_del_vqs(struct virtio_device *vdev)
{
	drop_queues(vpci_of(vdev));
}

/* --- interrupts (note 4) ------------------------------------------------------ */

u8 vpci_read_isr(struct vpci *t)
{
	if (modern(t))
		return qtest_readb(t->qt, t->isr);
	return qtest_inb(t->qt, (u16)(t->io + VPL_ISR));
}

irqreturn_t vpci_queue_interrupt(struct vpci *t, unsigned int q)
{
	if (q >= t->nvqs || !t->queues[q].vq)
		return IRQ_NONE;
	t->queue_interrupts++;
	return vring_interrupt(0, t->queues[q].vq);
}

void vpci_config_interrupt(struct vpci *t)
{
	t->config_interrupts++;
	virtio_config_changed(&t->vdev);
}

u16 vpci_used_idx(const struct vpci *t, unsigned int q)
{
	if (q >= t->nvqs)
		return 0;
	return READ_ONCE(t->queues[q].vring.used->idx);
}

/* --- registers for the check (vpci.h) ---------------------------------------- */

#define PCI_CAP_MSIX 0x11

u16 vpci_queue_enable(struct vpci *t, unsigned int q)
{
	select_queue(t, q);
	if (!modern(t))
		return qtest_inl(t->qt, (u16)(t->io + VPL_QUEUE_PFN)) != 0;
	return qtest_readw(t->qt, t->common + VPM_Q_ENABLE);
}

bool vpci_has_msix(struct vpci *t)
{
	return pci_find_cap(t->qt, t->pci.bdf, PCI_CAP_MSIX, 0) != 0;
}

void vpci_set_vector(struct vpci *t, int q, u16 vector)
{
	assert(modern(t));
	if (q < 0) {
		qtest_writew(t->qt, t->common + VPM_MSIX_CONFIG, vector);
		return;
	}
	select_queue(t, (unsigned int)q);
	qtest_writew(t->qt, t->common + VPM_Q_MSIX, vector);
}

u16 vpci_vector(struct vpci *t, int q)
{
	assert(modern(t));
	if (q < 0)
		return qtest_readw(t->qt, t->common + VPM_MSIX_CONFIG);
	select_queue(t, (unsigned int)q);
	return qtest_readw(t->qt, t->common + VPM_Q_MSIX);
}

u8 vpci_reset_registers(struct vpci *t)
{
	unsigned int i;
	u8 status;

	vpci_set_status(&t->vdev, 0);
	status = vpci_get_status(&t->vdev);
	for (i = 1; modern(t) && status && i < VPCI_RESET_POLLS &&
		    !qtest_failed(t->qt);
	     i++)
		status = vpci_get_status(&t->vdev);
	return status;
}

int vpci_enable_intx(struct qtest *qt)
{
	pci_cfg_writel(qt, PIIX3_BDF, PIIX3_PIRQ_ROUTE,
		       VPCI_INTX_IRQ * 0x01010101u);
	return qtest_cmd(qt, NULL, "irq_intercept_in ioapic");
}

/* --- discovery ------------------------------------------------------------------ */

/* The virtio device id of a PCI function, or 0 when it is none: modern
 * 0x1040 + id; transitional 0x1000..0x103f with the id as subsystem. */
static u32 virtio_id_of(const struct pci_dev *d)
{
	if (d->vendor != VPCI_VENDOR)
		return 0;
	if (d->device >= 0x1040 && d->device <= 0x107f)
		return d->device - 0x1040u;
	if (d->device >= 0x1000 && d->device <= 0x103f)
		return d->subsys_device;
	return 0;
}

static void list_bus(const struct pci_dev *devs, unsigned int n, char *err,
		     size_t errlen)
{
	size_t used;
	unsigned int i;

	for (i = 0; i < n; i++) {
		used = strlen(err);
		if (used + 16 >= errlen)
			break;
		snprintf(err + used, errlen - used, "%s%04x:%04x", i ? " " : "",
			 devs[i].vendor, devs[i].device);
	}
}

/* Modern: the regions from the vendor capabilities (note 2). */
static int find_regions(struct vpci *t)
{
	struct qtest *q = t->qt;
	u16 bdf = t->pci.bdf;
	u8 pos = 0;
	bool seen[5] = { false };

	while ((pos = pci_find_cap(q, bdf, VPCI_CAP_VENDOR, pos)) != 0) {
		u8 type = pci_cfg_readb(q, bdf, (u8)(pos + 3));
		u8 bar = pci_cfg_readb(q, bdf, (u8)(pos + 4));
		u32 off = pci_cfg_readl(q, bdf, (u8)(pos + 8));
		u32 len = pci_cfg_readl(q, bdf, (u8)(pos + 12));
		u64 addr;

		if (type < VPCI_CAP_COMMON || type > VPCI_CAP_DEVICE ||
		    bar >= PCI_BARS || seen[type] || !t->pci.bar[bar].addr ||
		    t->pci.bar[bar].io)
			continue; /* the first of each type counts */
		seen[type] = true;
		addr = t->pci.bar[bar].addr + off;
		if (type == VPCI_CAP_COMMON) {
			t->common = addr;
		} else if (type == VPCI_CAP_ISR) {
			t->isr = addr;
		} else if (type == VPCI_CAP_DEVICE) {
			t->device_cfg = addr;
			t->device_cfg_len = len;
		} else {
			t->notify = addr;
			t->notify_mult = pci_cfg_readl(q, bdf, (u8)(pos + 16));
		}
	}
	if (qtest_failed(q))
		return -EIO;
	return seen[VPCI_CAP_COMMON] && seen[VPCI_CAP_NOTIFY] &&
			       seen[VPCI_CAP_ISR]
		       ? 0
		       : -EINVAL;
}

static void vpci_release(struct device *dev)
{
	(void)dev;
}

static const struct virtio_config_ops vpci_config_ops = {
	.get = vpci_get,
	.set = vpci_set,
	.get_status = vpci_get_status,
	.set_status = vpci_set_status,
	.reset = vpci_reset,
	.find_vqs = vpci_find_vqs,
	.del_vqs = vpci_del_vqs,
	.get_features = vpci_get_features,
	.finalize_features = vpci_finalize_features,
	.bus_name = vpci_bus_name,
	.generation = vpci_generation,
};

static int attach(struct vpci *t, const struct pci_dev *d, char *err,
		  size_t errlen)
{
	int r;

	t->pci = *d;
	r = pci_setup_bars(t->qt, &t->pci);
	if (r) {
		snprintf(err, errlen, "cannot program the BARs of %02x.%x",
			 (d->bdf >> 3) & 31, d->bdf & 7);
		return r;
	}
	if (t->mode == VPCI_LEGACY) {
		if (!t->pci.bar[0].io || !t->pci.bar[0].addr) {
			snprintf(err, errlen,
				 "the device at 00:%02x.%x has no legacy I/O "
				 "BAR0",
				 (d->bdf >> 3) & 31, d->bdf & 7);
			return -EINVAL;
		}
		t->io = (u16)t->pci.bar[0].addr;
		return 0;
	}
	r = find_regions(t);
	if (r)
		snprintf(err, errlen,
			 "the device at 00:%02x.%x (%04x:%04x) has no virtio "
			 "1.x capabilities",
			 (d->bdf >> 3) & 31, d->bdf & 7, d->vendor, d->device);
	return r;
}

int vpci_init(struct vpci *t, struct qtest *qt, u32 virtio_id,
	      enum vpci_mode mode, char *err, size_t errlen)
{
	struct pci_dev devs[32];
	unsigned int n, i;

	memset(t, 0, sizeof(*t));
	t->qt = qt;
	t->mode = mode;
	t->config_ops = vpci_config_ops;
	t->config_ops.modern = mode == VPCI_MODERN;
	t->vdev.config = &t->config_ops;
	t->vdev.id.device = virtio_id;
	t->vdev.id.vendor = VPCI_VENDOR;
	t->vdev.dev.release = vpci_release;
	INIT_LIST_HEAD(&t->vdev.vqs);
	err[0] = '\0';
	n = pci_scan_bus0(qt, devs, ARRAY_SIZE(devs));
	if (qtest_failed(qt)) {
		snprintf(err, errlen, "%s", qt->error);
		return -EIO;
	}
	if (n > ARRAY_SIZE(devs))
		n = ARRAY_SIZE(devs);
	for (i = 0; i < n; i++)
		/* Legacy needs a transitional device; a modern driver
		 * takes either. */
		if (virtio_id_of(&devs[i]) == virtio_id &&
		    (mode == VPCI_MODERN || devs[i].device < 0x1040))
			return attach(t, &devs[i], err, errlen);
	snprintf(err, errlen,
		 "no %s virtio device with id %u on QEMU's PCI bus 0 (the bus "
		 "has: ",
		 mode == VPCI_MODERN ? "modern" : "legacy", virtio_id);
	list_bus(devs, n, err, errlen - 1);
	strncat(err, ")", errlen - strlen(err) - 1);
	return -ENODEV;
}

void vpci_destroy(struct vpci *t)
{
	if (device_is_registered(&t->vdev.dev))
		unregister_virtio_device(&t->vdev);
	drop_queues(t);
}
