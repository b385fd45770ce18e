/*
 * dev_console.c - the console device (virtio-console without MULTIPORT):
 * queue 0 receive (the device writes into the driver's buffers), queue 1
 * transmit (the device reads). The device is an echo: what the driver
 * transmits is appended to a bounded FIFO, and receive buffers are filled
 * from it, split across buffers in any way the choice source says.
 */
#include "device.h"
#include "reuse.h"

#include <assert.h>
#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_RX 0
#define CONSOLE_TX 1
/* Bytes echoed and not yet received, at most (host memory). */
#define CONSOLE_FIFO_BYTES (64u << 10)
#define CONSOLE_CONFIG_BYTES 12
/* Feature bit: cols and rows in the config space are valid. */
#define VIRTIO_CONSOLE_F_SIZE 0

struct console_dev {
	u8 *fifo;  /* CONSOLE_FIFO_BYTES, a ring of bytes */
	u32 head;  /* index of the oldest byte */
	u32 count; /* bytes held */
	u16 cols, rows;
};

static struct console_dev *con_of(struct sim_device *d)
{
	return d->priv;
}

/* The two contiguous pieces of the free space (or of the data) start at
 * the ring index pos; this is the length of the first. */
static u32 piece(u32 pos, u32 n)
{
	return n < CONSOLE_FIFO_BYTES - pos ? n : CONSOLE_FIFO_BYTES - pos;
}

static void fifo_drop(struct console_dev *s, u32 n)
{
	assert(n <= s->count);
	s->head = (s->head + n) % CONSOLE_FIFO_BYTES;
	s->count -= n;
}

/* Appends n bytes of the chain's readable part (n <= the free space). */
static void fifo_fill(struct console_dev *s, const struct devq_chain *c, u32 n)
{
	u32 tail = (s->head + s->count) % CONSOLE_FIFO_BYTES;
	u32 first = piece(tail, n);

	assert(n <= CONSOLE_FIFO_BYTES - s->count);
	devq_read(c, 0, s->fifo + tail, first);
	devq_read(c, first, s->fifo, n - first);
	s->count += n;
}

/* Writes the n oldest bytes into the chain's writable part and drops them
 * from the FIFO. */
static void fifo_drain(struct console_dev *s, const struct devq_chain *c, u32 n)
{
	u32 first = piece(s->head, n);

	assert(n <= s->count);
	devq_write(c, 0, s->fifo + s->head, first);
	devq_write(c, first, s->fifo, n - first);
	fifo_drop(s, n);
}

/* The planted bug (world.h): one byte of the next n to be echoed is
 * changed. */
static void corrupt_one(struct console_dev *s, u32 n)
{
	s->fifo[(s->head + n / 2) % CONSOLE_FIFO_BYTES] ^= 0x20;
}

/* Transmit: the whole readable part goes into the FIFO, or the chain
 * waits for room (device.h note 1). A message larger than the FIFO keeps
 * only what fits in it: a console with a bounded buffer. */
static bool console_tx(struct sim_device *d, const struct devq_chain *c)
{
	struct console_dev *s = con_of(d);
	u32 n = c->readable < CONSOLE_FIFO_BYTES ? c->readable
						 : CONSOLE_FIFO_BYTES;
	u32 room = CONSOLE_FIFO_BYTES - s->count;

	/* Planted (framing, for ring.framing-agnostic): only a message in
	 * one descriptor is echoed; one in several is dropped. */
	if (d->plant_framing && c->nseg > 1)
		return true;
	if (n > room) {
		/* A device that lied already skewed what the driver counts
		 * as echoed (an oversized len looks like a full buffer), so
		 * the driver may never ask for the bytes that block the
		 * FIFO: such a device loses its oldest bytes instead (its
		 * echo is no longer checked). An honest one waits. */
		if (!d->lied)
			return false;
		fifo_drop(s, n - room);
	}
	fifo_fill(s, c, n);
	return true;
}

/* Receive: nothing to echo yet, the buffer waits; otherwise some of the
 * FIFO (0: as much as fits) goes into it. */
static bool console_rx(struct sim_device *d, const struct devq_chain *c,
		       u32 *len)
{
	struct console_dev *s = con_of(d);
	u32 most = s->count < c->writable ? s->count : c->writable;
	u32 n;

	if (c->writable == 0)
		return true; /* nothing can go into it: give it back */
	if (s->count == 0)
		return false;
	n = most - (u32)choice_below(d->env->cs, most);
	if (d->plant_corrupt_data)
		corrupt_one(s, n);
	fifo_drain(s, c, n);
	*len = n;
	return true;
}

static bool console_process(struct sim_device *d, unsigned int q,
			    const struct devq_chain *c, u32 *len)
{
	*len = 0;
	assert(q == CONSOLE_RX || q == CONSOLE_TX);
	if (q == CONSOLE_TX)
		return console_tx(d, c);
	return console_rx(d, c, len);
}

/* A terminal size; 0 draws the classic 80x25. */
static void draw_size(struct sim_device *d)
{
	struct console_dev *s = con_of(d);

	s->cols = (u16)(80 + choice_below(d->env->cs, 177));
	s->rows = (u16)(25 + choice_below(d->env->cs, 76));
}

/* The FIFO of one world after another (reuse.h). */
static struct reuse_slot fifo_slot;

static int console_init(struct sim_device *d)
{
	struct console_dev *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fifo = reuse_get(&fifo_slot, CONSOLE_FIFO_BYTES, CONSOLE_FIFO_BYTES,
			    false);
	if (!s->fifo) {
		free(s);
		return -ENOMEM;
	}
	d->priv = s;
	draw_size(d);
	return 0;
}

static void console_fini(struct sim_device *d)
{
	struct console_dev *s = con_of(d);

	if (!s)
		return;
	reuse_put(&fifo_slot, s->fifo);
	free(s);
	d->priv = NULL;
}

static void console_reset(struct sim_device *d)
{
	struct console_dev *s = con_of(d);

	s->head = 0;
	s->count = 0;
}

static void put_le(u8 *p, u32 v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* struct virtio_console_config: cols u16, rows u16, max_nr_ports u32,
 * emerg_wr u32, little-endian. */
static void console_config_read(struct sim_device *d, unsigned int offset,
				void *buf, unsigned int len)
{
	struct console_dev *s = con_of(d);
	u8 image[CONSOLE_CONFIG_BYTES];
	unsigned int n;

	put_le(image, s->cols, 2);
	put_le(image + 2, s->rows, 2);
	put_le(image + 4, 1, 4); /* one port: no MULTIPORT */
	put_le(image + 8, 0, 4);
	memset(buf, 0, len);
	if (offset >= sizeof(image))
		return;
	n = len < sizeof(image) - offset ? len : sizeof(image) - offset;
	memcpy(buf, image + offset, n);
}

/* The terminal was resized, or not (0). */
static void console_config_change(struct sim_device *d)
{
	if (choice_chance(d->env->cs, 1, 2))
		draw_size(d);
}

const struct sim_device_class dev_console_class = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.receive_queues = 1u << 0, /* "input" */
	.features = 1ULL << VIRTIO_CONSOLE_F_SIZE,
	.config_size = CONSOLE_CONFIG_BYTES,
	.init = console_init,
	.fini = console_fini,
	.reset = console_reset,
	.process = console_process,
	.config_read = console_config_read,
	.config_change = console_config_change,
};
