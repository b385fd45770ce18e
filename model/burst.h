/*
 * burst.h - the rounds of an index-wrap burst (world.c, index-wrap;
 * device.h note 7).
 *
 * A burst pushes tens of thousands of buffers through one queue in a
 * single step, so that the 16-bit indices wrap: each round adds the
 * burst's one-entry buffer, the device takes and completes it (len 0),
 * and get_buf must hand back the burst's token. The rounds draw no
 * choice and emit no event, which makes them the hot loop of every run
 * that has a burst, and the one place where a build may run them through
 * a copy of the ring without instrumentation (sim_config.burst_rounds,
 * the world fuzz target: fuzz/README.md). Whichever copy runs them, the
 * rounds and what they leave behind are the same.
 */
#ifndef RINGSIDE_MODEL_BURST_H
#define RINGSIDE_MODEL_BURST_H

#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/virtio.h>

/* Adds the forced mode leaves unkicked: 3.7.1's add_buf kicks by itself
 * once 65,535 buffers were added without one. */
#define BURST_UNKICKED_MAX 0xffffu

struct sim_device;
struct oracle;

struct wrap_burst {
	unsigned int q;
	struct virtqueue *vq;
	struct sim_device *dev;
	struct oracle *oracle;
	struct scatterlist
		sg;   /* the burst's buffer: one device-writable entry */
	bool forced;  /* no kicks: the ring must kick by itself */
	u32 unkicked; /* adds since the last kick, as the ring counts */
	u32 done;     /* buffers that went round */
};

/* Rounds until `n` went round; false when the burst must stop (an oracle
 * failed, or a buffer did not come back as it went). */
typedef bool burst_rounds_fn(struct wrap_burst *b, u32 n);

bool burst_rounds(struct wrap_burst *b, u32 n);

/* The rounds a build may run through an uninstrumented ring: all of `n`
 * but the last BURST_TAIL, and none within BURST_TAIL adds of the avail
 * index wrapping, so that the wrap and the burst's end (3.7.1's own kick
 * in the forced mode) always run through the instrumented ring.
 * `avail_idx` is the queue's avail index before the burst. */
#define BURST_TAIL 512u
u32 burst_leading_rounds(u16 avail_idx, u32 n);

#endif /* RINGSIDE_MODEL_BURST_H */
