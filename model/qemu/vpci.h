/*
 * vpci.h - virtio over PCI, driven through qtest: the two virtio-pci
 * transports (legacy and modern) implementing struct virtio_config_ops,
 * so that the production registry and ring run unchanged against QEMU's
 * devices.
 *
 * Notes:
 *
 * 1. Legacy: the registers in I/O BAR0 (host features 0, guest features
 *    4, queue PFN 8, queue size 12, queue select 14, queue notify 16,
 *    status 18, ISR 19, device config at 20 as MSI-X stays disabled); 32
 *    feature bits; queues at a fixed size, aligned to 4096, given by page
 *    frame number.
 * 2. Modern (1.x): vendor capabilities (id 0x09) locate the common,
 *    notify, ISR and device configuration regions in memory BARs; 64
 *    feature bits through select registers; FEATURES_OK is written and
 *    read back by the registry; every queue gets its three addresses and
 *    is enabled; its notify address is the notify region plus its
 *    notify offset times the multiplier.
 * 3. Ring memory comes from the guest-memory arena (alloc_pages_exact,
 *    zeroed), which is QEMU's guest RAM: QEMU reads and writes it
 *    directly. A kick writes the queue's notify register through qtest.
 * 4. Interrupts are the caller's: vpci_queue_interrupt runs
 *    vring_interrupt as a real ISR would (after polling, or after
 *    vpci_read_isr saw an INTx), vpci_config_interrupt the config change.
 * 5. qtest errors latch (qtest.h note 1): after QEMU died every register
 *    reads all ones and writes go nowhere; the caller checks the qtest.
 */
#ifndef RINGSIDE_MODEL_VPCI_H
#define RINGSIDE_MODEL_VPCI_H

#include "qtest.h"

#include <linux/interrupt.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#define VPCI_MAX_QUEUES 4
#define VPCI_VRING_ALIGN 4096u
#define VPCI_VENDOR 0x1af4u
#define VPCI_ISR_QUEUE 0x1
#define VPCI_ISR_CONFIG 0x2
/* The PIIX3 routes every PCI interrupt line to this ISA IRQ. */
#define VPCI_INTX_IRQ 11u

enum vpci_mode { VPCI_LEGACY = 1, VPCI_MODERN = 2 };

struct vpci_queue {
	struct virtqueue *vq; /* NULL when the queue does not exist */
	void *pages;
	size_t bytes;
	u16 num;
	u64 notify_addr;    /* modern: where a kick is written */
	struct vring vring; /* the device's view, for observing used->idx */
	u64 kicks;
};

struct vpci {
	struct virtio_device vdev;
	struct virtio_config_ops config_ops;
	struct qtest *qt;
	struct pci_dev pci;
	enum vpci_mode mode;
	u16 io;				     /* legacy: BAR0 port */
	u64 common, isr, device_cfg, notify; /* modern: region addresses */
	u32 device_cfg_len, notify_mult;
	unsigned int nvqs;
	struct vpci_queue queues[VPCI_MAX_QUEUES];
	bool notify_nowhere; /* tests: kicks go to a queue that is not there */
	u64 kicks, queue_interrupts, config_interrupts;
	char bus_name[16];
};

/*
 * Finds the virtio device with this id (VIRTIO_ID_*) in the given mode on
 * bus 0, programs its BARs, enables it and, for modern, locates its
 * regions. Returns 0, or -ENODEV (no such device: err lists what the bus
 * has), -EINVAL (the device lacks what the mode needs), -EIO (qtest).
 */
int vpci_init(struct vpci *t, struct qtest *qt, u32 virtio_id,
	      enum vpci_mode mode, char *err, size_t errlen);
/* Unregisters t if registered, then frees any queue left. */
void vpci_destroy(struct vpci *t);
struct vpci *vpci_of(struct virtio_device *vdev);

/* Reads (and so clears) the ISR; the INTx line goes down. */
u8 vpci_read_isr(struct vpci *t);
irqreturn_t vpci_queue_interrupt(struct vpci *t, unsigned int q);
void vpci_config_interrupt(struct vpci *t);
/* The used index of queue q as the device last wrote it (0 without). */
u16 vpci_used_idx(const struct vpci *t, unsigned int q);

/* Registers for ringside check's rules of the transport
 * (model/check/pci_rules.h); each selects queue q first where it needs
 * to. queue_enable of queue q (modern; legacy: 1 when its PFN is set). */
u16 vpci_queue_enable(struct vpci *t, unsigned int q);
/* Whether the function has an MSI-X capability. */
bool vpci_has_msix(struct vpci *t);
/* Modern only: config_msix_vector (q < 0) or queue q's
 * queue_msix_vector, written and read. */
void vpci_set_vector(struct vpci *t, int q, u16 vector);
u16 vpci_vector(struct vpci *t, int q);
/* Writes 0 to the status and, modern, reads it until it is 0 (as
 * vpci's reset does, without the virtio core: for a device no longer
 * registered). Returns the last status read. */
u8 vpci_reset_registers(struct vpci *t);

/* INTx delivery: PIIX3 PIRQA..D to VPCI_INTX_IRQ, and the IOAPIC's inputs
 * reported as "IRQ raise/lower" lines. Returns 0 or -EIO. */
int vpci_enable_intx(struct qtest *qt);

#endif /* RINGSIDE_MODEL_VPCI_H */
