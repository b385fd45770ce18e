/*
 * test_pci_rules.c - the virtio-pci register rules (pci.*, pci_rules.h):
 * the judgement fires on wrong register values and stays quiet on honest
 * ones, legacy and 1.x; targets of other transports (sim:) do not apply
 * them. QEMU's real registers are judged in tests/check/qemu.sh.
 */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <pci_rules.h>
#include <stdio.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(isr_cleared_is_quiet)                                                \
	X(isr_sticky_fires)                                                    \
	X(isr_set_again_by_a_used_buffer_is_excused)                           \
	X(isr_config_bit_alone_is_not_judged)                                  \
	X(reset_honest_is_quiet)                                               \
	X(reset_status_fires)                                                  \
	X(queue_enable_kept_fires)                                             \
	X(vector_kept_fires)                                                   \
	X(vector_readback_fires)                                               \
	X(vectors_refused_or_absent_are_not_judged)                            \
	X(legacy_judges_status_only)                                           \
	X(plants)                                                              \
	X(catalogue_entries)                                                   \
	X(sim_target_does_not_apply_them)
TESTS(HARNESS_DECLARE)

static struct check_case c;

static int idx(const char *id)
{
	return check_index(id);
}

static void fresh(int mode)
{
	memset(&c, 0, sizeof(c));
	c.mode = mode;
	c.seed = 7;
}

static unsigned int violations(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < check_catalogue_size; i++)
		n += c.violated[i];
	return n;
}

/* The reads an honest 1.x device with two queues gives (note 3). */
static struct pci_reset_regs honest_reset(void)
{
	struct pci_reset_regs r = {
		.status_read = true,
		.nvqs = 2,
		.msix = true,
		.config_vector = PCI_RULES_NO_VECTOR,
		.queue_vector = { PCI_RULES_NO_VECTOR, PCI_RULES_NO_VECTOR },
	};

	return r;
}

static void isr_cleared_is_quiet(void)
{
	struct pci_isr_reads r = { .first = 1, .second = 0 };
	unsigned int m;

	for (m = CHECK_LEGACY; m <= CHECK_MODERN; m++) {
		fresh((int)m);
		pci_judge_isr(&c, 3, &r);
		CHECK(c.exercised[idx("pci.isr-read-clears")]);
		CHECK_EQ(violations(), 0u);
	}
	/* A read that found nothing says nothing about the next. */
	fresh(CHECK_MODERN);
	r.first = 0;
	pci_judge_isr(&c, 3, &r);
	CHECK(!c.exercised[idx("pci.isr-read-clears")]);
}

static void isr_sticky_fires(void)
{
	struct pci_isr_reads r = { .first = 1, .second = 1 };
	int i = idx("pci.isr-read-clears");
	unsigned int m;

	for (m = CHECK_LEGACY; m <= CHECK_MODERN; m++) {
		fresh((int)m);
		pci_judge_isr(&c, 12, &r);
		CHECK(c.violated[i]);
		CHECK_EQ(violations(), 1u);
		CHECK_EQ(c.ev[i].step, 12u);
		CHECK_EQ(c.ev[i].observed, 1u);
		CHECK_EQ(c.ev[i].expected, 0u);
		CHECK_EQ(c.ev[i].mode, (int)m);
		CHECK(strstr(c.ev[i].text, "stayed set") != NULL);
	}
}

static void isr_set_again_by_a_used_buffer_is_excused(void)
{
	struct pci_isr_reads r = { .first = 1,
				   .second = 1,
				   .used_moved = true };

	fresh(CHECK_LEGACY);
	pci_judge_isr(&c, 3, &r);
	CHECK(c.exercised[idx("pci.isr-read-clears")]);
	CHECK_EQ(violations(), 0u);
}

static void isr_config_bit_alone_is_not_judged(void)
{
	/* Queue and config bits, then the config bit alone: a config
	 * change needs no used buffer, so only the queue bit counts. */
	struct pci_isr_reads r = { .first = 3, .second = 2 };

	fresh(CHECK_MODERN);
	pci_judge_isr(&c, 3, &r);
	CHECK_EQ(violations(), 0u);
	r.first = 2;
	r.second = 2;
	fresh(CHECK_MODERN);
	pci_judge_isr(&c, 3, &r);
	CHECK(!c.exercised[idx("pci.isr-read-clears")]);
	CHECK_EQ(violations(), 0u);
}

static void reset_honest_is_quiet(void)
{
	struct pci_reset_regs r = honest_reset();

	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.exercised[idx("dev.reset-status-zero")]);
	CHECK(c.exercised[idx("pci.reset-queue-enable")]);
	CHECK(c.exercised[idx("pci.msix-vectors")]);
	CHECK_EQ(violations(), 0u);
	/* One mapping refused, the other taken: still honest. */
	r.queue_vector_mapped[1] = PCI_RULES_NO_VECTOR;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.exercised[idx("pci.msix-vectors")]);
	CHECK_EQ(violations(), 0u);
}

static void reset_status_fires(void)
{
	struct pci_reset_regs r = honest_reset();
	int i = idx("dev.reset-status-zero");

	r.status = 0x0f;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[i]);
	CHECK_EQ(c.ev[i].observed, 0x0fu);
	CHECK_EQ(violations(), 1u);
}

static void queue_enable_kept_fires(void)
{
	struct pci_reset_regs r = honest_reset();
	int i = idx("pci.reset-queue-enable");

	r.queue_enable[1] = 1;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[i]);
	CHECK_EQ(c.ev[i].queue, 1u);
	CHECK_EQ(c.ev[i].observed, 1u);
	CHECK(strstr(c.ev[i].text, "queue_enable read 1") != NULL);
	CHECK_EQ(violations(), 1u);
}

static void vector_kept_fires(void)
{
	struct pci_reset_regs r = honest_reset();
	int i = idx("pci.msix-vectors");

	r.config_vector = 0;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[i]);
	CHECK_EQ(c.ev[i].observed, 0u);
	CHECK_EQ(c.ev[i].expected, PCI_RULES_NO_VECTOR);
	CHECK(strstr(c.ev[i].text, "config_msix_vector") != NULL);
	CHECK_EQ(violations(), 1u);

	r = honest_reset();
	r.queue_vector[1] = 0;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[i]);
	CHECK_EQ(c.ev[i].queue, 1u);
	CHECK_EQ(violations(), 1u);
}

static void vector_readback_fires(void)
{
	struct pci_reset_regs r = honest_reset();
	int i = idx("pci.msix-vectors");

	/* Neither the vector written nor NO_VECTOR. */
	r.queue_vector_mapped[0] = 5;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[i]);
	CHECK_EQ(c.ev[i].observed, 5u);
	CHECK(strstr(c.ev[i].text, "after vector 0 was written") != NULL);
	CHECK_EQ(violations(), 1u);
}

static void vectors_refused_or_absent_are_not_judged(void)
{
	struct pci_reset_regs r = honest_reset();

	/* Every mapping refused: nothing was mapped for a reset to undo,
	 * even if the vectors then read something else. */
	r.config_vector_mapped = PCI_RULES_NO_VECTOR;
	r.queue_vector_mapped[0] = r.queue_vector_mapped[1] =
		PCI_RULES_NO_VECTOR;
	r.config_vector = 0;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(!c.exercised[idx("pci.msix-vectors")]);
	CHECK_EQ(violations(), 0u);
	/* No MSI-X capability. */
	r = honest_reset();
	r.msix = false;
	r.config_vector = 0;
	fresh(CHECK_MODERN);
	pci_judge_reset(&c, 40, &r);
	CHECK(!c.exercised[idx("pci.msix-vectors")]);
	CHECK(c.exercised[idx("pci.reset-queue-enable")]);
	CHECK_EQ(violations(), 0u);
}

static void legacy_judges_status_only(void)
{
	struct pci_reset_regs r = honest_reset();

	/* queue_enable and the vectors are no legacy registers. */
	r.queue_enable[0] = 1;
	r.config_vector = 0;
	fresh(CHECK_LEGACY);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.exercised[idx("dev.reset-status-zero")]);
	CHECK(!c.exercised[idx("pci.reset-queue-enable")]);
	CHECK(!c.exercised[idx("pci.msix-vectors")]);
	CHECK_EQ(violations(), 0u);
	r.status = 1;
	fresh(CHECK_LEGACY);
	pci_judge_reset(&c, 40, &r);
	CHECK(c.violated[idx("dev.reset-status-zero")]);
	CHECK_EQ(violations(), 1u);
}

static void plants(void)
{
	unsigned int m;

	for (m = CHECK_LEGACY; m <= CHECK_MODERN; m++) {
		fresh((int)m);
		CHECK_EQ(pci_rules_prove(NULL, &c), 0);
		CHECK_EQ(violations(), 0u);
		CHECK(c.exercised[idx("pci.isr-read-clears")]);
		CHECK_EQ(c.exercised[idx("pci.reset-queue-enable")],
			 m == CHECK_MODERN);
		CHECK_EQ(c.exercised[idx("pci.msix-vectors")],
			 m == CHECK_MODERN);
	}
	fresh(CHECK_MODERN);
	CHECK_EQ(pci_rules_prove("vector-wrong", &c), 0);
	CHECK(c.violated[idx("pci.msix-vectors")]);
	CHECK_EQ(violations(), 1u);
	fresh(CHECK_MODERN);
	CHECK_EQ(pci_rules_prove("no-such-plant", &c), -EINVAL);
}

static void catalogue_entries(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < check_catalogue_size; i++) {
		const struct check_req *q = &check_catalogue[i];

		if (strncmp(q->id, "pci.", 4) != 0) {
			CHECK_EQ(q->transport, 0);
			continue;
		}
		n++;
		CHECK_EQ(q->transport, CHECK_TRANSPORT_PCI);
		CHECK_EQ(q->level, CHECK_MUST);
		CHECK(strncmp(q->section, "4.1.", 4) == 0);
		CHECK(strncmp(q->proof, "registers:", 10) == 0);
	}
	CHECK_EQ(n, 3u);
	CHECK_EQ(check_target_qemu.transport, CHECK_TRANSPORT_PCI);
	CHECK_EQ(check_target_sim.transport, 0);
	CHECK_EQ(check_target_lib.transport, 0);
	CHECK_EQ(check_target_vhost_user.transport, 0);
	CHECK_EQ(check_target_vhost_exec.transport, 0);
}

static void sim_target_does_not_apply_them(void)
{
	static struct check_report rep;
	struct check_options o = { .seed = 1, .seeds = 1 };
	struct check_target t;
	char err[600];
	unsigned int i;

	CHECK_EQ(check_target_open(&t, "sim:block", err, sizeof(err)), 0);
	CHECK_EQ(check_run(&t, &o, &rep, err, sizeof(err)), 0);
	check_target_close(&t);
	for (i = 0; i < check_catalogue_size; i++) {
		if (strncmp(check_catalogue[i].id, "pci.", 4) != 0)
			continue;
		CHECK_EQ(rep.r[i].verdict, CHECK_SKIP);
		CHECK(strstr(rep.r[i].why, "virtio-pci") != NULL);
		CHECK_EQ(rep.r[i].cases, 0u);
	}
	/* The status after a reset is the simulated transport's too. */
	CHECK_EQ(rep.r[idx("dev.reset-status-zero")].verdict, CHECK_PASS);
}

HARNESS_MAIN(TESTS)
