/*
 * qtest.c - the qtest line protocol client and PCI configuration access
 * (qtest.h).
 */
#define _GNU_SOURCE

#include "qtest.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

void qtest_init(struct qtest *q, int fd, unsigned int timeout_ms)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->timeout_ms = timeout_ms ? timeout_ms : QTEST_TIMEOUT_MS_DEFAULT;
}

void qtest_close(struct qtest *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

bool qtest_failed(const struct qtest *q)
{
	return q->failed;
}

void qtest_fail(struct qtest *q, const char *fmt, ...)
{
	va_list ap;

	if (q->failed)
		return;
	q->failed = true;
	va_start(ap, fmt);
	vsnprintf(q->error, sizeof(q->error), fmt, ap);
	va_end(ap);
}

/* --- lines ----------------------------------------------------------------- */

/* An asynchronous line: an interrupt changed level. True when it was one. */
static bool take_async(struct qtest *q, const char *line)
{
	unsigned int n;

	if (sscanf(line, "IRQ raise %u", &n) == 1) {
		if (n < QTEST_IRQS)
			q->irq_level |= 1u << n;
		q->irq_raises++;
		return true;
	}
	if (sscanf(line, "IRQ lower %u", &n) == 1) {
		if (n < QTEST_IRQS)
			q->irq_level &= ~(1u << n);
		return true;
	}
	return false;
}

/* Moves the first complete line of the input buffer to line. */
static bool next_line(struct qtest *q, char *line, size_t n)
{
	char *nl = memchr(q->in, '\n', q->in_len);
	size_t len;

	if (!nl)
		return false;
	len = (size_t)(nl - q->in);
	if (len >= n)
		len = n - 1;
	memcpy(line, q->in, len);
	line[len] = '\0';
	len = (size_t)(nl - q->in) + 1;
	memmove(q->in, q->in + len, q->in_len - len);
	q->in_len -= len;
	return true;
}

/* Reads what is there, waiting at most wait_ms; -EIO when the connection
 * is gone, -ETIMEDOUT when nothing came. */
static int fill(struct qtest *q, int wait_ms)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	ssize_t got;
	int r;

	if (q->in_len == sizeof(q->in)) {
		qtest_fail(q, "qtest: a line longer than %zu bytes",
			   sizeof(q->in));
		return -EIO;
	}
	do
		r = poll(&pfd, 1, wait_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	do
		got = recv(q->fd, q->in + q->in_len, sizeof(q->in) - q->in_len,
			   MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (got <= 0) {
		qtest_fail(q, "qtest: connection to QEMU %s",
			   got == 0 ? "closed" : strerror(errno));
		return -EIO;
	}
	q->in_len += (size_t)got;
	return 0;
}

static int send_all(struct qtest *q, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(q->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			qtest_fail(q, "qtest: cannot send to QEMU: %s",
				   strerror(errno));
			return -EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int qtest_pump(struct qtest *q, unsigned int wait_ms)
{
	char line[QTEST_LINE_MAX];
	int r;

	if (q->failed)
		return -EIO;
	r = fill(q, (int)wait_ms);
	if (r == -EIO)
		return r;
	while (next_line(q, line, sizeof(line)))
		if (!take_async(q, line)) {
			qtest_fail(q, "qtest: unexpected line '%s'", line);
			return -EIO;
		}
	return 0;
}

bool qtest_irq_raised(const struct qtest *q, unsigned int line)
{
	return line < QTEST_IRQS && (q->irq_level >> line) & 1;
}

/* Waits for the reply to the command just sent (note 2). */
static int wait_reply(struct qtest *q, const char *cmd, u64 *value)
{
	char line[QTEST_LINE_MAX];
	u64 start = now_ns(), limit = (u64)q->timeout_ms * 1000000ULL;
	u64 spent;
	int r;

	for (;;) {
		while (next_line(q, line, sizeof(line))) {
			if (take_async(q, line))
				continue;
			q->request_ns += now_ns() - start;
			if (strncmp(line, "OK", 2) != 0) {
				qtest_fail(q, "qtest: '%s' answered '%s'", cmd,
					   line);
				return -EIO;
			}
			if (value)
				*value = strtoull(line + 2, NULL, 0);
			return 0;
		}
		spent = now_ns() - start;
		if (spent >= limit) {
			qtest_fail(q, "qtest: no reply to '%s' within %u ms",
				   cmd, q->timeout_ms);
			return -EIO;
		}
		r = fill(q, (int)((limit - spent) / 1000000ULL) + 1);
		if (r == -EIO)
			return r;
	}
}

int qtest_cmd(struct qtest *q, u64 *value, const char *fmt, ...)
{
	char cmd[QTEST_LINE_MAX];
	va_list ap;
	int n;

	if (value)
		*value = ~0ULL;
	if (q->failed)
		return -EIO;
	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 1) {
		qtest_fail(q, "qtest: command too long");
		return -EIO;
	}
	q->requests++;
	cmd[n] = '\n';
	if (send_all(q, cmd, (size_t)n + 1))
		return -EIO;
	cmd[n] = '\0';
	return wait_reply(q, cmd, value);
}

/* --- accessors (note 1: all ones once failed) ------------------------------ */

static u64 in(struct qtest *q, const char *op, u64 where)
{
	u64 v;

	qtest_cmd(q, &v, "%s 0x%" PRIx64, op, where);
	return v;
}

static void out(struct qtest *q, const char *op, u64 where, u64 v)
{
	qtest_cmd(q, NULL, "%s 0x%" PRIx64 " 0x%" PRIx64, op, where, v);
}

void qtest_outb(struct qtest *q, u16 port, u8 v)
{
	out(q, "outb", port, v);
}

void qtest_outw(struct qtest *q, u16 port, u16 v)
{
	out(q, "outw", port, v);
}

void qtest_outl(struct qtest *q, u16 port, u32 v)
{
	out(q, "outl", port, v);
}

u8 qtest_inb(struct qtest *q, u16 port)
{
	return (u8)in(q, "inb", port);
}

u16 qtest_inw(struct qtest *q, u16 port)
{
	return (u16)in(q, "inw", port);
}

u32 qtest_inl(struct qtest *q, u16 port)
{
	return (u32)in(q, "inl", port);
}

u8 qtest_readb(struct qtest *q, u64 addr)
{
	return (u8)in(q, "readb", addr);
}

u16 qtest_readw(struct qtest *q, u64 addr)
{
	return (u16)in(q, "readw", addr);
}

u32 qtest_readl(struct qtest *q, u64 addr)
{
	return (u32)in(q, "readl", addr);
}

u64 qtest_readq(struct qtest *q, u64 addr)
{
	return in(q, "readq", addr);
}

void qtest_writeb(struct qtest *q, u64 addr, u8 v)
{
	out(q, "writeb", addr, v);
}

void qtest_writew(struct qtest *q, u64 addr, u16 v)
{
	out(q, "writew", addr, v);
}

void qtest_writel(struct qtest *q, u64 addr, u32 v)
{
	out(q, "writel", addr, v);
}

void qtest_writeq(struct qtest *q, u64 addr, u64 v)
{
	out(q, "writeq", addr, v);
}

/* --- PCI configuration ------------------------------------------------------ */

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INT_PIN 0x3d
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_IO_WINDOW 0xc000u
#define PCI_IO_SLOT_BYTES 0x100u
#define PCI_MEM_WINDOW 0xe0000000ULL
#define PCI_MEM_SLOT_BYTES 0x100000ULL

static void cfg_addr(struct qtest *q, u16 bdf, u8 off)
{
	qtest_outl(q, PCI_CONFIG_ADDR,
		   0x80000000u | (u32)bdf << 8 | (off & 0xfc));
}

u8 pci_cfg_readb(struct qtest *q, u16 bdf, u8 off)
{
	cfg_addr(q, bdf, off);
	return qtest_inb(q, PCI_CONFIG_DATA + (off & 3));
}

u16 pci_cfg_readw(struct qtest *q, u16 bdf, u8 off)
{
	cfg_addr(q, bdf, off);
	return qtest_inw(q, PCI_CONFIG_DATA + (off & 2));
}

u32 pci_cfg_readl(struct qtest *q, u16 bdf, u8 off)
{
	cfg_addr(q, bdf, off);
	return qtest_inl(q, PCI_CONFIG_DATA);
}

void pci_cfg_writeb(struct qtest *q, u16 bdf, u8 off, u8 v)
{
	cfg_addr(q, bdf, off);
	qtest_outb(q, PCI_CONFIG_DATA + (off & 3), v);
}

void pci_cfg_writew(struct qtest *q, u16 bdf, u8 off, u16 v)
{
	cfg_addr(q, bdf, off);
	qtest_outw(q, PCI_CONFIG_DATA + (off & 2), v);
}

void pci_cfg_writel(struct qtest *q, u16 bdf, u8 off, u32 v)
{
	cfg_addr(q, bdf, off);
	qtest_outl(q, PCI_CONFIG_DATA, v);
}

unsigned int pci_scan_bus0(struct qtest *q, struct pci_dev *devs,
			   unsigned int max)
{
	unsigned int slot, n = 0;

	for (slot = 0; slot < 32 && !q->failed; slot++) {
		u16 bdf = PCI_BDF(0, slot, 0);
		u32 id = pci_cfg_readl(q, bdf, PCI_VENDOR_ID);
		struct pci_dev *d;

		if ((id & 0xffff) == 0xffff || q->failed)
			continue;
		if (n < max) {
			d = &devs[n];
			memset(d, 0, sizeof(*d));
			d->bdf = bdf;
			d->vendor = (u16)id;
			d->device = (u16)(id >> 16);
			d->subsys_vendor =
				pci_cfg_readw(q, bdf, PCI_SUBSYS_VENDOR);
			d->subsys_device = pci_cfg_readw(q, bdf, PCI_SUBSYS_ID);
			d->irq_pin = pci_cfg_readb(q, bdf, PCI_INT_PIN);
		}
		n++;
	}
	return n;
}

/* Places a BAR of size bytes at the next size-aligned address of a
 * window [*next, end); false when it does not fit. */
static bool place(u64 *next, u64 end, u64 size, u64 *addr)
{
	u64 a = (*next + size - 1) & ~(size - 1);

	if (a < *next || a + size > end)
		return false;
	*addr = a;
	*next = a + size;
	return true;
}

/* Sizes BAR i (and its upper half when 64-bit); returns the BARs used. */
static unsigned int size_bar(struct qtest *q, struct pci_dev *d, unsigned int i,
			     bool *is64)
{
	u8 off = (u8)(PCI_BAR0 + 4 * i);
	u32 orig = pci_cfg_readl(q, d->bdf, off), lo, hi = 0xffffffffu;
	u64 mask;

	pci_cfg_writel(q, d->bdf, off, 0xffffffffu);
	lo = pci_cfg_readl(q, d->bdf, off);
	pci_cfg_writel(q, d->bdf, off, orig);
	*is64 = !(orig & 1) && (orig & 6) == 4 && i + 1 < PCI_BARS;
	d->bar[i].io = orig & 1;
	if (*is64) {
		u8 off_hi = (u8)(off + 4);
		u32 orig_hi = pci_cfg_readl(q, d->bdf, off_hi);

		pci_cfg_writel(q, d->bdf, off_hi, 0xffffffffu);
		hi = pci_cfg_readl(q, d->bdf, off_hi);
		pci_cfg_writel(q, d->bdf, off_hi, orig_hi);
	}
	if (lo == 0 || lo == 0xffffffffu)
		return *is64 ? 2 : 1; /* the device has no such BAR */
	if (d->bar[i].io)
		mask = (u64)(lo & ~3u) | 0xffffffff00000000ULL;
	else
		mask = (u64)hi << 32 | (lo & ~15u);
	if (!*is64 && !d->bar[i].io)
		mask |= 0xffffffff00000000ULL;
	d->bar[i].size = ~mask + 1;
	return *is64 ? 2 : 1;
}

int pci_setup_bars(struct qtest *q, struct pci_dev *d)
{
	unsigned int slot = (d->bdf >> 3) & 31, i, used;
	u64 io_next = PCI_IO_WINDOW + slot * PCI_IO_SLOT_BYTES;
	u64 io_end = io_next + PCI_IO_SLOT_BYTES;
	u64 mem_next = PCI_MEM_WINDOW + slot * PCI_MEM_SLOT_BYTES;
	u64 mem_end = mem_next + PCI_MEM_SLOT_BYTES;
	u16 cmd = pci_cfg_readw(q, d->bdf, PCI_COMMAND);
	bool is64;

	/* No decoding while the BARs move. */
	pci_cfg_writew(q, d->bdf, PCI_COMMAND,
		       cmd & (u16) ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (i = 0; i < PCI_BARS && !q->failed; i += used) {
		struct pci_bar *b = &d->bar[i];
		u8 off = (u8)(PCI_BAR0 + 4 * i);
		bool ok;

		used = size_bar(q, d, i, &is64);
		if (!b->size)
			continue;
		ok = b->io ? place(&io_next, io_end, b->size, &b->addr)
			   : place(&mem_next, mem_end, b->size, &b->addr);
		if (!ok)
			return -ENOSPC;
		pci_cfg_writel(q, d->bdf, off,
			       (u32)b->addr | (pci_cfg_readl(q, d->bdf, off) &
					       (b->io ? 3u : 15u)));
		if (is64)
			pci_cfg_writel(q, d->bdf, (u8)(off + 4),
				       (u32)(b->addr >> 32));
	}
	pci_cfg_writew(q, d->bdf, PCI_COMMAND,
		       cmd | PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
	return q->failed ? -EIO : 0;
}

u8 pci_find_cap(struct qtest *q, u16 bdf, u8 cap_id, u8 from)
{
	unsigned int guard;
	u8 pos;

	if (!(pci_cfg_readw(q, bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = from ? pci_cfg_readb(q, bdf, (u8)(from + 1))
		   : pci_cfg_readb(q, bdf, PCI_CAP_PTR);
	/* 48 capabilities fit in config space: a longer list loops. */
	for (guard = 0; guard < 48 && pos >= 0x40 && !q->failed; guard++) {
		pos &= 0xfc;
		if (pci_cfg_readb(q, bdf, pos) == cap_id)
			return pos;
		pos = pci_cfg_readb(q, bdf, (u8)(pos + 1));
	}
	return 0;
}
