/*
 * pci_rules.c - the judgement of a virtio-pci device's registers
 * (pci_rules.h), and the broken reads that prove each pci.* entry fires.
 */
#include "pci_rules.h"

#include <errno.h>
#include <string.h>

void pci_judge_isr(struct check_case *c, u64 step,
		   const struct pci_isr_reads *r)
{
	int i = check_index("pci.isr-read-clears");

	/* Nothing read clears: only a read that saw the queue bit says
	 * anything about the next one (note 2). */
	if (!(r->first & PCI_RULES_ISR_QUEUE))
		return;
	c->exercised[i] = true;
	if ((r->second & PCI_RULES_ISR_QUEUE) && !r->used_moved)
		check_violation(c, i, step, 0, r->second, 0,
				"ISR read %#x, read again at once %#x: the "
				"queue bit stayed set with no buffer used in "
				"between (a read must reset it to 0)",
				r->first, r->second);
}

static void judge_vectors(struct check_case *c, u64 step,
			  const struct pci_reset_regs *r)
{
	int i = check_index("pci.msix-vectors");
	unsigned int q;
	bool mapped = r->config_vector_mapped == 0;

	/* Mapped to vector 0: it reads 0, or NO_VECTOR when the device
	 * refused the mapping. */
	if (r->config_vector_mapped != 0 &&
	    r->config_vector_mapped != PCI_RULES_NO_VECTOR) {
		check_violation(c, i, step, 0, r->config_vector_mapped, 0,
				"config_msix_vector read %#x after vector 0 "
				"was written (0, or NO_VECTOR if refused)",
				r->config_vector_mapped);
		return;
	}
	for (q = 0; q < r->nvqs && q < PCI_RULES_QUEUES; q++) {
		u16 v = r->queue_vector_mapped[q];

		if (v != 0 && v != PCI_RULES_NO_VECTOR) {
			check_violation(c, i, step, q, v, 0,
					"queue %u: queue_msix_vector read %#x "
					"after vector 0 was written (0, or "
					"NO_VECTOR if refused)",
					q, v);
			return;
		}
		mapped |= v == 0;
	}
	if (!mapped)
		return; /* every mapping refused: no reset to judge */
	c->exercised[i] = true;
	if (r->config_vector != PCI_RULES_NO_VECTOR) {
		check_violation(c, i, step, 0, r->config_vector,
				PCI_RULES_NO_VECTOR,
				"config_msix_vector read %#x after a reset "
				"(every event is unmapped: NO_VECTOR)",
				r->config_vector);
		return;
	}
	for (q = 0; q < r->nvqs && q < PCI_RULES_QUEUES; q++)
		if (r->queue_vector[q] != PCI_RULES_NO_VECTOR) {
			check_violation(c, i, step, q, r->queue_vector[q],
					PCI_RULES_NO_VECTOR,
					"queue %u: queue_msix_vector read %#x "
					"after a reset (every event is "
					"unmapped: NO_VECTOR)",
					q, r->queue_vector[q]);
			return;
		}
}

void pci_judge_reset(struct check_case *c, u64 step,
		     const struct pci_reset_regs *r)
{
	int i;
	unsigned int q;

	if (r->status_read) {
		i = check_index("dev.reset-status-zero");
		c->exercised[i] = true;
		if (r->status)
			check_violation(c, i, step, 0, r->status, 0,
					"device status %#x after a reset",
					r->status);
	}
	if (c->mode != CHECK_MODERN)
		return; /* note 3 */
	i = check_index("pci.reset-queue-enable");
	for (q = 0; q < r->nvqs && q < PCI_RULES_QUEUES; q++) {
		c->exercised[i] = true;
		if (r->queue_enable[q]) {
			check_violation(c, i, step, q, r->queue_enable[q], 0,
					"queue %u: queue_enable read %u after "
					"the driver's reset",
					q, r->queue_enable[q]);
			break;
		}
	}
	if (r->msix)
		judge_vectors(c, step, r);
}

/* --- proofs (note 1) ------------------------------------------------------ */

int pci_rules_prove(const char *plant, struct check_case *c)
{
	struct pci_isr_reads isr = { .first = PCI_RULES_ISR_QUEUE };
	struct pci_reset_regs reset = {
		.status_read = true,
		.nvqs = 2,
		.msix = true,
		.config_vector = PCI_RULES_NO_VECTOR,
		.queue_vector = { PCI_RULES_NO_VECTOR, PCI_RULES_NO_VECTOR },
	};

	if (!plant || !plant[0])
		;
	else if (strcmp(plant, "isr-sticky") == 0)
		isr.second = PCI_RULES_ISR_QUEUE;
	else if (strcmp(plant, "queue-enable-kept") == 0)
		reset.queue_enable[1] = 1;
	else if (strcmp(plant, "vector-kept") == 0)
		reset.queue_vector[0] = 0;
	else if (strcmp(plant, "vector-wrong") == 0)
		reset.config_vector_mapped = 1;
	else
		return -EINVAL;
	pci_judge_isr(c, 1, &isr);
	pci_judge_reset(c, 2, &reset);
	return 0;
}
