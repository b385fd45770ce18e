/*
 * dev_entropy.c - the entropy device (virtio-rng): one queue of
 * device-writable buffers, filled with bytes derived from the choice
 * source. Any len from 1 to the buffer's size is an honest answer.
 */
#include "device.h"

#include <linux/virtio_ids.h>

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static bool entropy_process(struct sim_device *d, unsigned int q,
			    const struct devq_chain *c, u32 *len)
{
	u64 x = choice_below(d->env->cs, 1u << 16) ^ ((u64)c->head << 32);
	u8 block[64];
	u32 done, n, k;

	(void)q;
	*len = 0;
	if (c->writable == 0)
		return true;
	*len = c->writable - (u32)choice_below(d->env->cs, c->writable);
	for (done = 0; done < *len; done += n) {
		n = *len - done < sizeof(block) ? *len - done : sizeof(block);
		for (k = 0; k < n; k++) {
			if (k % 8 == 0)
				x = mix64(x);
			block[k] = (u8)(x >> (8 * (k % 8)));
		}
		devq_write(c, done, block, n);
	}
	return true;
}

const struct sim_device_class dev_entropy_class = {
	.name = "entropy",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.process = entropy_process,
};
