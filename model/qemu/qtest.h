/*
 * qtest.h - a client of QEMU's qtest line protocol, and PCI configuration
 * access, enumeration and BAR programming on top of it.
 *
 * The protocol: one command per line ("outw 0xc010 0x1", "readl
 * 0xe0000014"), one reply line per command ("OK", "OK 0x...", "FAIL
 * ..."). Asynchronous lines ("IRQ raise 11", "IRQ lower 11") may arrive
 * at any time, also before a command's reply: they are taken off the
 * stream and kept as the level of each interrupt line.
 *
 * Notes:
 *
 * 1. Errors latch. A timeout, a closed connection or a FAIL reply sets
 *    `failed` with a message in `error`; from then on every access does
 *    nothing and reads all ones (what a bus returns for nothing), so a
 *    transport built on this never has to check each access: the caller
 *    checks qtest_failed() at its next step.
 * 2. Every request waits at most `timeout_ms` for its reply.
 * 3. Memory is not read or written through qtest: guest RAM is shared
 *    (qemu.h); only port and MMIO register accesses go here.
 */
#ifndef RINGSIDE_MODEL_QTEST_H
#define RINGSIDE_MODEL_QTEST_H

#include <linux/types.h>

#define QTEST_LINE_MAX 512
#define QTEST_ERROR_BYTES 256
#define QTEST_IRQS 24 /* IOAPIC input pins */
#define QTEST_TIMEOUT_MS_DEFAULT 5000

struct qtest {
	int fd;
	bool failed;
	char error[QTEST_ERROR_BYTES];
	unsigned int timeout_ms;
	char in[QTEST_LINE_MAX * 4]; /* bytes received, not yet a line */
	size_t in_len;
	u32 irq_level;	/* bit n: line n raised (as last reported) */
	u64 irq_raises; /* "IRQ raise" lines seen */
	u64 requests;	/* commands sent */
	u64 request_ns; /* total time waiting for their replies */
};

/* Takes over a connected socket (closed by qtest_close). */
void qtest_init(struct qtest *q, int fd, unsigned int timeout_ms);
void qtest_close(struct qtest *q);
bool qtest_failed(const struct qtest *q);
/* Latches a failure with a message (note 1), unless one is kept. */
__attribute__((format(printf, 2, 3))) void qtest_fail(struct qtest *q,
						      const char *fmt, ...);

/* Sends a command line (no newline) and waits for its reply; the reply's
 * value (after "OK ") goes to *value when given. Returns 0, or -EIO once
 * failed (note 1). */
__attribute__((format(printf, 3, 4))) int qtest_cmd(struct qtest *q, u64 *value,
						    const char *fmt, ...);

/* Takes asynchronous lines that have already arrived, waiting at most
 * wait_ms for the first one (0: no wait). Returns 0 or -EIO. */
int qtest_pump(struct qtest *q, unsigned int wait_ms);
bool qtest_irq_raised(const struct qtest *q, unsigned int line);

void qtest_outb(struct qtest *q, u16 port, u8 v);
void qtest_outw(struct qtest *q, u16 port, u16 v);
void qtest_outl(struct qtest *q, u16 port, u32 v);
u8 qtest_inb(struct qtest *q, u16 port);
u16 qtest_inw(struct qtest *q, u16 port);
u32 qtest_inl(struct qtest *q, u16 port);
u8 qtest_readb(struct qtest *q, u64 addr);
u16 qtest_readw(struct qtest *q, u64 addr);
u32 qtest_readl(struct qtest *q, u64 addr);
u64 qtest_readq(struct qtest *q, u64 addr);
void qtest_writeb(struct qtest *q, u64 addr, u8 v);
void qtest_writew(struct qtest *q, u64 addr, u16 v);
void qtest_writel(struct qtest *q, u64 addr, u32 v);
void qtest_writeq(struct qtest *q, u64 addr, u64 v);

/* --- PCI (configuration mechanism #1: ports 0xcf8 / 0xcfc) ------------- */

#define PCI_BDF(bus, dev, fn) ((u16)((bus) << 8 | (dev) << 3 | (fn)))
#define PCI_BARS 6

u8 pci_cfg_readb(struct qtest *q, u16 bdf, u8 off);
u16 pci_cfg_readw(struct qtest *q, u16 bdf, u8 off);
u32 pci_cfg_readl(struct qtest *q, u16 bdf, u8 off);
void pci_cfg_writeb(struct qtest *q, u16 bdf, u8 off, u8 v);
void pci_cfg_writew(struct qtest *q, u16 bdf, u8 off, u16 v);
void pci_cfg_writel(struct qtest *q, u16 bdf, u8 off, u32 v);

struct pci_bar {
	u64 addr; /* programmed address (port for I/O), 0: none */
	u64 size;
	bool io;
};

struct pci_dev {
	u16 bdf;
	u16 vendor, device;
	u16 subsys_vendor, subsys_device;
	u8 irq_pin; /* 0: none, 1..4: INTA..INTD */
	struct pci_bar bar[PCI_BARS];
};

/* Function 0 of every slot of bus 0 that answers: fills up to max
 * entries and returns how many answered (possibly more than max). */
unsigned int pci_scan_bus0(struct qtest *q, struct pci_dev *devs,
			   unsigned int max);
/*
 * Sizes every BAR of d and programs it into a window of its own: I/O at
 * 0xc000 + slot * 0x100, memory at 0xe0000000 + slot * 0x100000 (each
 * BAR aligned to its size inside), then enables I/O, memory and bus
 * master in the command register. Returns 0, or -ENOSPC when a BAR does
 * not fit its window, -EIO when qtest failed.
 */
int pci_setup_bars(struct qtest *q, struct pci_dev *d);
/* The offset of the first capability at or after from with id cap_id
 * (0 from the start), or 0 when there is none. */
u8 pci_find_cap(struct qtest *q, u16 bdf, u8 cap_id, u8 from);

#endif /* RINGSIDE_MODEL_QTEST_H */
