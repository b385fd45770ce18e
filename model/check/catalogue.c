/*
 * catalogue.c - the device requirements `ringside check` verifies (check.h
 * note 1).
 * Sections follow virtio 1.2 numbering and point at the "Device
 * Requirements" subsection that states the rule, else at the section that
 * defines it; README.md "Sections" lists each with its heading. One entry
 * per requirement the harness can honestly observe from the driver side;
 * each names the target that proves it fires (tests/check).
 */
#include "check.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ANY 0
#define CHECK_NET_ID 1
#define CHECK_BLOCK_ID 2
#define CHECK_CONSOLE_ID 3
#define ALWAYS (-1)
#define ANY_TRANSPORT 0
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29

const struct check_req check_catalogue[] = {
	/* --- split ring, device side ---------------------------------- */
	{ "ring.used-id-outstanding", "ring", "2.7.8", CHECK_MUST,
	  "a used id names the head of a chain the driver made available "
	  "and the device has not yet returned, once",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the ring validates every used entry it reads (fault used-id-range, "
	  "used-id-not-head, used-id-duplicate)",
	  "lib:@plugin,fault=used-id-range", ANY_TRANSPORT },
	{ "ring.used-idx-forward", "ring", "2.7.8", CHECK_MUST,
	  "used idx moves forward by the entries written: never backwards, "
	  "never past the chains outstanding",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the ring compares used idx with its last seen idx and the chains "
	  "outstanding (fault used-idx-ahead, used-idx-backwards)",
	  "lib:@plugin,fault=used-idx-ahead", ANY_TRANSPORT },
	{ "ring.used-len-bounded", "ring", "2.7.8.2", CHECK_MUST,
	  "used len is at most the device-writable bytes of the chain", ANY,
	  CHECK_BOTH, ALWAYS,
	  "the ring clamps a larger len and counts it; any clamp is a FAIL",
	  "lib:@plugin,fault=len-too-large", ANY_TRANSPORT },
	{ "ring.used-len-written", "ring", "2.7.8.2", CHECK_MUST,
	  "the device wrote at least len bytes, from the first device-writable "
	  "buffer, before it published the used entry",
	  ANY, CHECK_BOTH, ALWAYS,
	  "writable buffers are poisoned with a position-dependent pattern "
	  "when "
	  "made available; an aligned 8-byte block inside len still holding "
	  "the "
	  "poison when the buffer comes back is a FAIL (len < 8 is not "
	  "checked)",
	  "lib:@plugin,fault=len-unwritten", ANY_TRANSPORT },
	{ "ring.readable-untouched", "ring", "2.7.5.1", CHECK_MUST,
	  "the device does not write into device-readable buffers", ANY,
	  CHECK_BOTH, ALWAYS,
	  "a checksum of every readable byte is taken when the chain is made "
	  "available and compared when it comes back",
	  "sim:block,adv=write-readable:64", ANY_TRANSPORT },
	{ "ring.desc-untouched", "ring", "2.7.5.1", CHECK_MUST,
	  "the device does not write to descriptor table entries", ANY,
	  CHECK_BOTH, ALWAYS,
	  "the ring compares each returned chain with its shadow copy (fault "
	  "desc-rewritten)",
	  "sim:entropy,adv=rewrite-desc:64", ANY_TRANSPORT },
	{ "ring.avail-untouched", "ring", "2.7.6", CHECK_MUST,
	  "the device does not write to the available ring", ANY, CHECK_BOTH,
	  ALWAYS,
	  "the ring compares the avail slot of each returned chain with what "
	  "it wrote (fault avail-rewritten)",
	  "sim:entropy,adv=rewrite-avail:64", ANY_TRANSPORT },
	{ "ring.used-flags", "ring", "2.7.10.2", CHECK_MUST,
	  "used flags are 0 or NO_NOTIFY (1) without EVENT_IDX, and 0 with it",
	  ANY, CHECK_BOTH, ALWAYS, "read after every turn of the device",
	  "lib:@plugin,fault=used-flags", ANY_TRANSPORT },
	{ "ring.interrupt-required", "ring", "2.7.7.2", CHECK_MUST,
	  "after using buffers the device interrupts unless the driver "
	  "suppressed it (NO_INTERRUPT; with EVENT_IDX, used_event not "
	  "crossed)",
	  ANY, CHECK_BOTH, ALWAYS,
	  "after every turn of the device, the used idx it moved is tested "
	  "against the rule (event index test or NO_INTERRUPT); an interrupt "
	  "owed and not raised by the end of the turn is a FAIL (extra "
	  "interrupts are fine)",
	  "lib:@plugin,fault=no-interrupt", ANY_TRANSPORT },
	/* --- life cycle and transport -------------------------------------- */
	{ "dev.reset-status-zero", "lifecycle", "2.4.1", CHECK_MUST,
	  "the device status reads 0 after a reset", ANY, CHECK_BOTH, ALWAYS,
	  "status read back after the reset at the end of every case",
	  "lib:@plugin,fault=status-after-reset", ANY_TRANSPORT },
	{ "dev.features-ok-refused", "lifecycle", "2.2.2", CHECK_MUST,
	  "the device refuses FEATURES_OK for features it did not offer", ANY,
	  CHECK_MODERN, ALWAYS,
	  "after a case, the driver's features are offered plus one device "
	  "bit that was not offered: FEATURES_OK must not stick",
	  "lib:@plugin,fault=accept-any", ANY_TRANSPORT },
	{ "dev.features-reserved", "lifecycle", "2.2", CHECK_SHOULD,
	  "the device offers no feature bit the specification reserves "
	  "(25, 26, 31, 41 to 49; and 30 under 1.x, where it is no legacy bit)",
	  ANY, CHECK_BOTH, ALWAYS, "the offered features of every case",
	  "lib:@plugin,fault=reserved-feature", ANY_TRANSPORT },
	{ "dev.queue-size", "lifecycle", "2.7", CHECK_MUST,
	  "each queue's size is a power of two, at most 32768", ANY, CHECK_BOTH,
	  ALWAYS, "the size the device offers for each of its queues",
	  "lib:@plugin,fault=queue-size-odd", ANY_TRANSPORT },
	{ "dev.absent-queue-zero", "lifecycle", "4.1.4.3.1", CHECK_MUST,
	  "a queue the device does not have reports size 0", ANY, CHECK_BOTH,
	  ALWAYS, "the size of the queue after the device's last one",
	  "lib:@plugin,fault=extra-queue", ANY_TRANSPORT },
	/* --- device types ----------------------------------------------------- */
	{ "rng.bytes-delivered", "entropy", "5.4.6.2", CHECK_MUST,
	  "the entropy device places one or more bytes into each buffer",
	  CHECK_DEV_RNG, CHECK_BOTH, ALWAYS,
	  "every returned buffer has len >= 1", "sim:entropy,adv=len-zero:64",
	  ANY_TRANSPORT },
	{ "blk.data-readback", "block", "5.2.6", CHECK_MUST,
	  "data written to a sector reads back; GET_ID returns the serial; "
	  "a completed request reports every writable byte",
	  CHECK_DEV_BLOCK, CHECK_BOTH, ALWAYS,
	  "the block workload keeps a shadow of what it wrote and checks "
	  "every read that no write in flight raced",
	  "sim:block,plant=corrupt-data", ANY_TRANSPORT },
	{ "console.data-intact", "console", "5.3.6", CHECK_MUST,
	  "data sent on the transmit queue arrives intact and in order",
	  CHECK_DEV_CONSOLE, CHECK_BOTH, ALWAYS,
	  "the console workload sends self-describing text and checks the echo",
	  "sim:console,plant=corrupt-data", ANY_TRANSPORT },
	{ "net.frames-intact", "net", "5.1.6", CHECK_MUST,
	  "frames arrive intact, after a header of the size the features "
	  "give (10 bytes, 12 with VERSION_1 or MRG_RXBUF)",
	  CHECK_DEV_NET, CHECK_BOTH, ALWAYS,
	  "the net workload numbers its frames and checks each looped-back one",
	  "sim:net,plant=corrupt-data", ANY_TRANSPORT },
	/* --- the device model as a program ------------------------------- */
	{ "dev.survives", "lifecycle", "-", CHECK_MUST,
	  "the device model survives being driven: no crash, abort or hang "
	  "(a requirement of the harness, not of the specification)",
	  ANY, CHECK_BOTH, ALWAYS,
	  "every case of an in-process device model runs in a child process; "
	  "one that dies, or gives no answer in 60 s, fails with how it ended",
	  "lib:@plugin,fault=crash", ANY_TRANSPORT },
	/* --- added with catalogue version 2 ------------------------------ */
	{ "ring.kick-harmless", "ring", "2.7.10.2", CHECK_MUST,
	  "a kick for a queue with nothing new is harmless: the device "
	  "handles spurious notifications and uses nothing for them",
	  ANY, CHECK_BOTH, ALWAYS,
	  "at the end of a case, once a queue has nothing outstanding, the "
	  "driver notifies it again and the device gets a turn: its used idx "
	  "must not move (queues that always hold receive buffers are not "
	  "probed)",
	  "lib:@plugin,fault=spurious-kick", ANY_TRANSPORT },
	{ "ring.avail-event-current", "ring", "2.7.10.2", CHECK_SHOULD,
	  "under EVENT_IDX the device keeps avail_event current: once it "
	  "has used every chain made available, avail_event is not behind "
	  "the avail idx (the specification says MAY use avail_event; one "
	  "left behind tells an obedient driver never to notify again)",
	  ANY, CHECK_BOTH, F_EVENT_IDX,
	  "after every turn of the device in which used idx reached the "
	  "avail idx, avail_event must equal the avail idx",
	  "lib:@plugin,fault=avail-event-stale", ANY_TRANSPORT },
	{ "ring.nothing-before-driver-ok", "ring", "2.1.2", CHECK_MUST,
	  "the device uses no buffer and sends no used buffer notification "
	  "before DRIVER_OK",
	  ANY, CHECK_BOTH, ALWAYS,
	  "just before the driver sets DRIVER_OK, one request is made "
	  "available and notified on every queue and the device gets a "
	  "turn: used idx must stay 0 and no interrupt may be raised",
	  "lib:@plugin,fault=early", ANY_TRANSPORT },
	{ "ring.indirect-accepted", "ring", "2.7.5.3.2", CHECK_MUST,
	  "with INDIRECT_DESC negotiated, a request through an indirect "
	  "table is served like a direct one",
	  CHECK_DEV_BLOCK, CHECK_BOTH, F_INDIRECT_DESC,
	  "a block request through an indirect table that comes back with "
	  "len 0 or its status byte unwritten is a FAIL (the ring uses "
	  "indirect tables for most multi-buffer requests; entropy's len 0 "
	  "is rng.bytes-delivered's)",
	  "sim:block,plant=no-indirect", ANY_TRANSPORT },
	{ "ring.framing-agnostic", "ring", "2.7.4.1", CHECK_MUST,
	  "the device makes no assumption about framing: a request in one "
	  "data descriptor, split across several, or in an indirect table "
	  "gives the same result; a net frame or console message is "
	  "transmitted the same whatever the layout of its bytes",
	  CHECK_DEV_BLOCK | CHECK_DEV_NET | CHECK_DEV_CONSOLE, CHECK_BOTH,
	  ALWAYS,
	  "block: the workload splits its data at random points and the ring "
	  "uses indirect tables; for each request type the status of every "
	  "framing seen is kept: OK in one framing and an error in another "
	  "is a FAIL. Net: the workload lays out each transmit buffer in one "
	  "descriptor, the header in its own, the header with part of the "
	  "frame, or the header cut in two (the ring puts several in an "
	  "indirect table when it may); each looped-back frame is matched "
	  "with the one sent. Console: the workload sends each message in "
	  "one descriptor or split in two (or an indirect table); the echo "
	  "is reassembled and each message matched with the one sent. A "
	  "framing none of whose frames arrived intact, 8 of them damaged "
	  "or missing when frames sent after them arrived, while another "
	  "framing's arrive intact, is a FAIL (sim:net,plant=framing and "
	  "sim:console,plant=framing prove it too)",
	  "sim:block,plant=framing", ANY_TRANSPORT },
	{ "dev.reset-quiet", "lifecycle", "2.4.1", CHECK_MUST,
	  "after a reset the device neither touches the used rings nor "
	  "sends notifications until the driver initializes it again",
	  ANY, CHECK_BOTH, ALWAYS,
	  "at the end of a case the driver resets the device with buffers "
	  "available, the device gets turns: every used ring must stay "
	  "byte for byte as it was and no interrupt may be raised",
	  "lib:@plugin,fault=busy-after-reset", ANY_TRANSPORT },
	{ "dev.features-dependencies", "lifecycle", "2.2.2", CHECK_MUST,
	  "the device offers no feature without the features it requires "
	  "(net: 5.1.3.1, e.g. GUEST_TSO4 needs GUEST_CSUM, CTRL_RX needs "
	  "CTRL_VQ)",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the offered features of every case against the specification's "
	  "table of dependencies",
	  "sim:net,plant=broken-dependency", ANY_TRANSPORT },
	{ "dev.config-generation", "lifecycle", "4.1.4.3.1", CHECK_MUST,
	  "the configuration space never changes under the same generation: "
	  "a change moves config_generation (or comes with a configuration "
	  "change notification, which does)",
	  ANY, CHECK_MODERN, ALWAYS,
	  "after every turn of the device its whole configuration space is "
	  "read and compared with the last copy of the same generation",
	  "lib:@plugin,fault=config-silent", ANY_TRANSPORT },
	{ "dev.needs-reset-notified", "lifecycle", "2.1.2", CHECK_MUST,
	  "a device that sets DEVICE_NEEDS_RESET while DRIVER_OK is set "
	  "sends a configuration change notification",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the status is read after every turn of the device: "
	  "DEVICE_NEEDS_RESET with DRIVER_OK and no configuration change "
	  "notification since is a FAIL (an honest device that never needs "
	  "a reset passes)",
	  "lib:@plugin,fault=needs-reset-silent", ANY_TRANSPORT },
	{ "blk.status-values", "block", "5.2.6", CHECK_MUST,
	  "every request's status byte is written, and is OK (0), IOERR (1) "
	  "or UNSUPP (2)",
	  CHECK_DEV_BLOCK, CHECK_BOTH, ALWAYS,
	  "the status byte (the last writable byte, poisoned or set to 0xff "
	  "before exposure) of every returned request",
	  "sim:block,plant=bad-status", ANY_TRANSPORT },
	{ "blk.flush", "block", "5.2.6.2", CHECK_MUST,
	  "when the device offers FLUSH, a FLUSH request completes with OK",
	  CHECK_DEV_BLOCK, CHECK_BOTH, ALWAYS,
	  "the status of every FLUSH the block workload sends to a device "
	  "that offered VIRTIO_BLK_F_FLUSH (9); without it any valid status "
	  "passes",
	  "sim:block,plant=flush-fails", ANY_TRANSPORT },
	{ "blk.out-of-range-ioerr", "block", "5.2.6", CHECK_MUST,
	  "a read past the capacity is not reported as a success (IOERR: "
	  "the driver's error, 5.2.6.1 forbids it to the driver)",
	  CHECK_DEV_BLOCK, CHECK_BOTH, ALWAYS,
	  "the block workload of a check sends some reads of the sector at "
	  "the capacity; their status must not be OK",
	  "sim:block,plant=oob-success", ANY_TRANSPORT },
	{ "net.header-size", "net", "5.1.6", CHECK_MUST,
	  "every received packet starts with a header of the size the "
	  "features give: 10 bytes, 12 with VERSION_1 or MRG_RXBUF",
	  CHECK_DEV_NET, CHECK_BOTH, ALWAYS,
	  "a received frame that is found intact after a header of the "
	  "other size is reported here rather than as a damaged frame",
	  "sim:net,plant=net-header", ANY_TRANSPORT },
	/* --- added with catalogue version 3 ------------------------------ */
	{ "ring.indirect-untouched", "ring", "2.7.5.3.2", CHECK_MUST,
	  "the device does not write into an indirect descriptor table: the "
	  "table is a buffer the device reads (the WRITE flag of the "
	  "descriptor naming it is ignored, 2.7.5.3.2), and a device-readable "
	  "buffer is not written (2.7.5.1)",
	  ANY, CHECK_BOTH, F_INDIRECT_DESC,
	  "a copy of each indirect table is taken when its chain is made "
	  "available; after every turn of the device (before the driver's "
	  "get_buf, which frees the table) and at the end of a case, the "
	  "table of every chain the device still holds is compared with it "
	  "(the ring itself compares only the descriptor table: "
	  "ring.desc-untouched)",
	  "sim:block,plant=write-indirect", ANY_TRANSPORT },
	{ "net.rx-offloads-negotiated", "net", "5.1.6.4.1", CHECK_MUST,
	  "a received header uses no offload the driver did not negotiate: "
	  "without GUEST_CSUM, flags is 0 (no NEEDS_CSUM); without "
	  "GUEST_TSO4, GUEST_TSO6 and GUEST_UFO, gso_type is GSO_NONE",
	  CHECK_DEV_NET, CHECK_BOTH, ALWAYS,
	  "our net driver never accepts GUEST_CSUM, GUEST_TSO4/6, GUEST_UFO "
	  "or GUEST_ECN, whatever the device offers (legacy and 1.x): the "
	  "flags and gso_type of every received header must be 0",
	  "sim:net,plant=rx-offloads", ANY_TRANSPORT },
	/* --- version 3: the virtio-pci registers ------------------------- */
	{ "pci.isr-read-clears", "pci", "4.1.4.5.1", CHECK_MUST,
	  "reading the ISR status resets it to 0 (virtio-pci)", ANY, CHECK_BOTH,
	  ALWAYS,
	  "during the run (interrupts polled), the ISR is read twice in a "
	  "row with every queue's used idx taken before and after: a second "
	  "read that still has the queue bit while no used idx moved is a "
	  "FAIL (a used buffer in between excuses it; only the queue bit is "
	  "judged)",
	  "registers:isr-sticky", CHECK_TRANSPORT_PCI },
	{ "pci.reset-queue-enable", "pci", "4.1.4.3.1", CHECK_MUST,
	  "queue_enable reads 0 after a reset (virtio-pci)", ANY, CHECK_MODERN,
	  ALWAYS,
	  "at the end of a case, once the driver's remove has reset the "
	  "device, queue_enable of every queue the driver had enabled is "
	  "read: it must be 0",
	  "registers:queue-enable-kept", CHECK_TRANSPORT_PCI },
	{ "pci.msix-vectors", "pci", "4.1.5.1.2.1", CHECK_MUST,
	  "config_msix_vector and queue_msix_vector read back the vector "
	  "mapped (NO_VECTOR when the mapping is refused), and a reset "
	  "unmaps every event: both read NO_VECTOR (virtio-pci with an "
	  "MSI-X capability)",
	  ANY, CHECK_MODERN, ALWAYS,
	  "at the end of a case, after the driver's reset, every event is "
	  "mapped to vector 0 and read back (0 or NO_VECTOR), the device is "
	  "reset again and every vector must read NO_VECTOR (0xffff)",
	  "registers:vector-kept", CHECK_TRANSPORT_PCI },
};

const unsigned int check_catalogue_size =
	sizeof(check_catalogue) / sizeof(check_catalogue[0]);

_Static_assert(sizeof(check_catalogue) / sizeof(check_catalogue[0]) <=
		       CHECK_MAX,
	       "raise CHECK_MAX");

int check_lookup(const char *id)
{
	unsigned int i;

	for (i = 0; i < check_catalogue_size; i++)
		if (strcmp(check_catalogue[i].id, id) == 0)
			return (int)i;
	return -1;
}

int check_index(const char *id)
{
	int i = check_lookup(id);

	assert(i >= 0 && "not a catalogue id");
	return i;
}

const char *check_data_entry(u32 device_id, const char *message)
{
	switch (device_id) {
	case CHECK_NET_ID:
		/* drv_net.c says so when the frame is intact after a header
		 * of the other size. */
		if (message && strstr(message, "received header of"))
			return "net.header-size";
		if (message && strstr(message, "not negotiated"))
			return "net.rx-offloads-negotiated";
		return "net.frames-intact";
	case CHECK_BLOCK_ID:
		return "blk.data-readback";
	case CHECK_CONSOLE_ID:
		return "console.data-intact";
	default:
		return NULL;
	}
}

const char *check_verdict_name(enum check_verdict v)
{
	static const char *const names[] = { "PASS", "FAIL", "WARN", "SKIP" };

	return (unsigned int)v < 4 ? names[v] : "?";
}

void check_violation(struct check_case *c, int index, u64 step,
		     unsigned int queue, u64 observed, u64 expected,
		     const char *fmt, ...)
{
	struct check_evidence *ev;
	va_list ap;

	assert(index >= 0 && (unsigned int)index < check_catalogue_size);
	c->exercised[index] = true;
	if (c->violated[index])
		return;
	c->violated[index] = true;
	ev = &c->ev[index];
	ev->seed = c->seed;
	ev->mode = c->mode;
	ev->step = step;
	ev->queue = queue;
	ev->observed = observed;
	ev->expected = expected;
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
}
