/*
 * pci_rules.h - the virtio-pci register rules of the catalogue (ids
 * pci.*): what the qemu: target read from a device's registers, and the
 * judgement of those reads.
 *
 * Notes:
 *
 * 1. The judgement is kept apart from QEMU: it takes the values read and
 *    records verdicts into a case, and nothing else. A real device cannot
 *    be broken on demand, so the proof of each pci.* entry (check.h note
 *    1) is "registers:PLANT": an honest set of reads with one value made
 *    wrong as PLANT says, judged like the real ones
 *    (pci_rules_prove).
 * 2. ISR (pci.isr-read-clears): two reads of the ISR in a row, with the
 *    used idx of every queue taken before the first and after the second.
 *    A device may set the queue bit again between the reads only for a
 *    buffer it used in between, which moves a used idx; QEMU does both
 *    under one lock, so a second read with the queue bit and no used idx
 *    moved is the device not clearing on read. Only the queue bit is
 *    judged (a configuration change needs no used buffer).
 * 3. Reset (pci.reset-queue-enable, pci.msix-vectors, and
 *    dev.reset-status-zero): read once the driver's remove has reset the
 *    device. queue_enable of every queue the driver enabled must read 0.
 *    Then every event is mapped to vector 0 and read back (the vector, or
 *    NO_VECTOR for a refused mapping), the device is reset again (the
 *    virtio core acknowledges a device again once its driver is removed,
 *    so the status is judged after this reset: it must read 0) and every
 *    vector must read NO_VECTOR. queue_enable and the vectors are modern
 *    only: the legacy layout has no queue_enable, and the vector
 *    registers only while MSI-X is enabled, which our transport never
 *    does.
 */
#ifndef RINGSIDE_MODEL_CHECK_PCI_RULES_H
#define RINGSIDE_MODEL_CHECK_PCI_RULES_H

#include "check.h"

#define PCI_RULES_QUEUES 4
#define PCI_RULES_NO_VECTOR 0xffffu
#define PCI_RULES_ISR_QUEUE 0x1u

/* Note 2. */
struct pci_isr_reads {
	u8 first, second;
	bool used_moved; /* a used idx moved between the two snapshots */
};

/* Note 3. */
struct pci_reset_regs {
	bool status_read;
	u8 status;	   /* device_status after the driver's reset */
	unsigned int nvqs; /* queues the driver had enabled (modern) */
	u16 queue_enable[PCI_RULES_QUEUES];
	bool msix; /* the device has an MSI-X capability: vectors probed */
	/* Read back right after mapping vector 0 (before the reset). */
	u16 config_vector_mapped;
	u16 queue_vector_mapped[PCI_RULES_QUEUES];
	/* Read after the reset that followed the mapping. */
	u16 config_vector;
	u16 queue_vector[PCI_RULES_QUEUES];
};

/* Judge one pair of ISR reads / the reads after a reset into c (c->mode
 * says legacy or modern); step is the evidence's. */
void pci_judge_isr(struct check_case *c, u64 step,
		   const struct pci_isr_reads *r);
void pci_judge_reset(struct check_case *c, u64 step,
		     const struct pci_reset_regs *r);

/* An honest set of reads for c->mode, the same made wrong as plant says
 * ("isr-sticky", "queue-enable-kept", "vector-kept", "vector-wrong"; NULL
 * or "" for none), judged into c. Returns 0, or -EINVAL for an unknown
 * plant. */
int pci_rules_prove(const char *plant, struct check_case *c);

#endif /* RINGSIDE_MODEL_CHECK_PCI_RULES_H */
