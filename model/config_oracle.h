/*
 * config_oracle.h - the "config" oracle: a config read through
 * virtio_cread_bytes (and virtio_cread8..64) never reaches the driver
 * torn.
 *
 * The device may change its config space at any time; the generation
 * counter moves with every change (sim_transport.h note 5), and a reader
 * that sees the same generation before and after its read got bytes of
 * one generation (virtio 1.2, 2.5.1; later Linux's virtio_cread_bytes
 * retries until it does). The simulated transport reads a multi-byte
 * field one byte at a time and, with the config-storm behaviour, lets the
 * device change its config between those bytes (sim_transport.h note 6),
 * so a reader that does not retry returns a mix of two generations.
 *
 * The workload driver brackets each such read (wl_config_read): at the
 * start the oracle keeps the device's whole config image, after each
 * change made during the read one more image, and at the end the bytes
 * the driver got must equal the same bytes of one of those images. A
 * device the ring declared broken (the generation never settled) owes
 * the driver nothing: its read is not judged.
 *
 * Reads by config->get directly (3.7.1's virtio_config_buf) promise no
 * consistency and are not judged.
 */
#ifndef RINGSIDE_MODEL_CONFIG_ORACLE_H
#define RINGSIDE_MODEL_CONFIG_ORACLE_H

#include "oracle.h"
#include "sim_transport.h"

/* Config bytes kept per image: every simulated device's config fits. */
#define CFGO_IMAGE_BYTES 64u
/* Images per read: the first and at most CFGO_IMAGES - 1 changes. */
#define CFGO_IMAGES 8u

struct cfg_oracle {
	struct oracle *o;
	struct simt_transport *t;
	bool reading; /* between cfgo_read_begin and cfgo_read_end */
	unsigned int nimages;
	u32 gen[CFGO_IMAGES];
	u8 image[CFGO_IMAGES][CFGO_IMAGE_BYTES];
	u64 checks;	      /* reads judged */
	u64 mid_read_changes; /* config changes made inside a read */
};

void cfgo_init(struct cfg_oracle *c, struct simt_transport *t,
	       struct oracle *o);
/* The driver is about to read the config of the device of c->t. */
void cfgo_read_begin(struct cfg_oracle *c);
/* True while a read is bracketed and one more image can be kept: the
 * device may change its config now. */
bool cfgo_may_change(const struct cfg_oracle *c);
/* The device changed its config (and generation) inside the read. */
void cfgo_changed(struct cfg_oracle *c);
/* The read returned buf (len bytes from offset): judge it. */
void cfgo_read_end(struct cfg_oracle *c, unsigned int offset, const void *buf,
		   unsigned int len);

#endif /* RINGSIDE_MODEL_CONFIG_ORACLE_H */
