/*
 * catalogue.c - the device requirements `ringside check` verifies (check.h
 * note 1). Sections are those of the virtio 1.2 specification. One entry
 * per requirement the harness can honestly observe from the driver side;
 * each names the target that proves it fires (tests/check).
 */
#include "check.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ANY 0
#define ALWAYS (-1)
#define F_EVENT_IDX 29

const struct check_req check_catalogue[] = {
	/* --- split ring, device side ---------------------------------- */
	{ "ring.used-id-outstanding", "ring", "2.7.8", CHECK_MUST,
	  "a used id names the head of a chain the driver made available "
	  "and the device has not yet returned, once",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the ring validates every used entry it reads (fault used-id-range, "
	  "used-id-not-head, used-id-duplicate)",
	  "lib:@plugin,fault=used-id-range" },
	{ "ring.used-idx-forward", "ring", "2.7.8", CHECK_MUST,
	  "used idx moves forward by the entries written: never backwards, "
	  "never past the chains outstanding",
	  ANY, CHECK_BOTH, ALWAYS,
	  "the ring compares used idx with its last seen idx and the chains "
	  "outstanding (fault used-idx-ahead, used-idx-backwards)",
	  "lib:@plugin,fault=used-idx-ahead" },
	{ "ring.used-len-bounded", "ring", "2.7.8.2", CHECK_MUST,
	  "used len is at most the device-writable bytes of the chain", ANY,
	  CHECK_BOTH, ALWAYS,
	  "the ring clamps a larger len and counts it; any clamp is a FAIL",
	  "lib:@plugin,fault=len-too-large" },
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
	  "lib:@plugin,fault=len-unwritten" },
	{ "ring.readable-untouched", "ring", "2.7.5.1", CHECK_MUST,
	  "the device does not write into device-readable buffers", ANY,
	  CHECK_BOTH, ALWAYS,
	  "a checksum of every readable byte is taken when the chain is made "
	  "available and compared when it comes back",
	  "sim:block,adv=write-readable:64" },
	{ "ring.desc-untouched", "ring", "2.7.5.1", CHECK_MUST,
	  "the device does not write to descriptor table entries", ANY,
	  CHECK_BOTH, ALWAYS,
	  "the ring compares each returned chain with its shadow copy (fault "
	  "desc-rewritten)",
	  "sim:entropy,adv=rewrite-desc:64" },
	{ "ring.avail-untouched", "ring", "2.7.6", CHECK_MUST,
	  "the device does not write to the available ring", ANY, CHECK_BOTH,
	  ALWAYS,
	  "the ring compares the avail slot of each returned chain with what "
	  "it wrote (fault avail-rewritten)",
	  "sim:entropy,adv=rewrite-avail:64" },
	{ "ring.used-flags", "ring", "2.7.10.1", CHECK_MUST,
	  "used flags are 0 or NO_NOTIFY (1) without EVENT_IDX, and 0 with it",
	  ANY, CHECK_BOTH, ALWAYS, "read after every turn of the device",
	  "lib:@plugin,fault=used-flags" },
	{ "ring.interrupt-required", "ring", "2.7.7.2", CHECK_MUST,
	  "after using buffers the device interrupts unless the driver "
	  "suppressed it (NO_INTERRUPT; with EVENT_IDX, used_event not "
	  "crossed)",
	  ANY, CHECK_BOTH, ALWAYS,
	  "after every turn of the device, the used idx it moved is tested "
	  "against the rule (event index test or NO_INTERRUPT); an interrupt "
	  "owed and not raised by the end of the turn is a FAIL (extra "
	  "interrupts are fine)",
	  "lib:@plugin,fault=no-interrupt" },
	/* --- life cycle and transport -------------------------------------- */
	{ "dev.reset-status-zero", "lifecycle", "2.4.1", CHECK_MUST,
	  "the device status reads 0 after a reset", ANY, CHECK_BOTH, ALWAYS,
	  "status read back after the reset at the end of every case",
	  "lib:@plugin,fault=status-after-reset" },
	{ "dev.features-ok-refused", "lifecycle", "2.2.1", CHECK_MUST,
	  "the device refuses FEATURES_OK for features it did not offer", ANY,
	  CHECK_MODERN, ALWAYS,
	  "after a case, the driver's features are offered plus one device "
	  "bit that was not offered: FEATURES_OK must not stick",
	  "lib:@plugin,fault=accept-any" },
	{ "dev.features-reserved", "lifecycle", "2.2", CHECK_SHOULD,
	  "the device offers no feature bit the specification reserves "
	  "(25, 26, 31, 41 to 49; and 30 under 1.x, where it is no legacy bit)",
	  ANY, CHECK_BOTH, ALWAYS, "the offered features of every case",
	  "lib:@plugin,fault=reserved-feature" },
	{ "dev.queue-size", "lifecycle", "2.7", CHECK_MUST,
	  "each queue's size is a power of two, at most 32768", ANY, CHECK_BOTH,
	  ALWAYS, "the size the device offers for each of its queues",
	  "lib:@plugin,fault=queue-size-odd" },
	{ "dev.absent-queue-zero", "lifecycle", "4.1.4.3.2", CHECK_MUST,
	  "a queue the device does not have reports size 0", ANY, CHECK_BOTH,
	  ALWAYS, "the size of the queue after the device's last one",
	  "lib:@plugin,fault=extra-queue" },
	/* --- device types ----------------------------------------------------- */
	{ "rng.bytes-delivered", "entropy", "5.4.6.1", CHECK_MUST,
	  "the entropy device places one or more bytes into each buffer",
	  CHECK_DEV_RNG, CHECK_BOTH, ALWAYS,
	  "every returned buffer has len >= 1", "sim:entropy,adv=len-zero:64" },
	{ "blk.data-readback", "block", "5.2.6", CHECK_MUST,
	  "data written to a sector reads back; GET_ID returns the serial; "
	  "a completed request reports every writable byte",
	  CHECK_DEV_BLOCK, CHECK_BOTH, ALWAYS,
	  "the block workload keeps a shadow of what it wrote and checks "
	  "every read that no write in flight raced",
	  "sim:block,plant=corrupt-data" },
	{ "console.data-intact", "console", "5.3.6", CHECK_MUST,
	  "data sent on the transmit queue arrives intact and in order",
	  CHECK_DEV_CONSOLE, CHECK_BOTH, ALWAYS,
	  "the console workload sends self-describing text and checks the echo",
	  "sim:console,plant=corrupt-data" },
	{ "net.frames-intact", "net", "5.1.6", CHECK_MUST,
	  "frames arrive intact, after a header of the size the features "
	  "give (10 bytes, 12 with VERSION_1 or MRG_RXBUF)",
	  CHECK_DEV_NET, CHECK_BOTH, ALWAYS,
	  "the net workload numbers its frames and checks each looped-back one",
	  "sim:net,plant=corrupt-data" },
	/* --- the device model as a program ------------------------------- */
	{ "dev.survives", "lifecycle", "-", CHECK_MUST,
	  "the device model survives being driven: no crash, abort or hang "
	  "(a requirement of the harness, not of the specification)",
	  ANY, CHECK_BOTH, ALWAYS,
	  "every case of an in-process device model runs in a child process; "
	  "one that dies, or gives no answer in 60 s, fails with how it ended",
	  "lib:@plugin,fault=crash" },
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
