/*
 * config_oracle.c - the config oracle (config_oracle.h).
 */
#include "config_oracle.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define CFG "config"

void cfgo_init(struct cfg_oracle *c, struct simt_transport *t, struct oracle *o)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->o = o;
}

static unsigned int image_bytes(const struct cfg_oracle *c)
{
	unsigned int size = c->t->ops ? c->t->ops->config_size : 0;

	return size < CFGO_IMAGE_BYTES ? size : CFGO_IMAGE_BYTES;
}

/* The device's config as it is now, straight from the device model (not
 * through the transport: nothing is counted, nothing can change). */
static void keep_image(struct cfg_oracle *c)
{
	unsigned int n = image_bytes(c);

	assert(c->nimages < CFGO_IMAGES);
	memset(c->image[c->nimages], 0, CFGO_IMAGE_BYTES);
	if (n && c->t->ops->config_read)
		c->t->ops->config_read(c->t->ctx, 0, c->image[c->nimages], n);
	c->gen[c->nimages] = c->t->config_generation;
	c->nimages++;
}

void cfgo_read_begin(struct cfg_oracle *c)
{
	assert(!c->reading);
	c->reading = true;
	c->nimages = 0;
	keep_image(c);
}

bool cfgo_may_change(const struct cfg_oracle *c)
{
	return c->reading && c->nimages < CFGO_IMAGES;
}

void cfgo_changed(struct cfg_oracle *c)
{
	assert(cfgo_may_change(c));
	c->mid_read_changes++;
	keep_image(c);
}

static void hex(char *out, size_t n, const u8 *b, unsigned int len)
{
	unsigned int i;
	size_t used = 0;

	out[0] = '\0';
	for (i = 0; i < len && used + 3 < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%02x", b[i]);
}

void cfgo_read_end(struct cfg_oracle *c, unsigned int offset, const void *buf,
		   unsigned int len)
{
	char got[40], first[40];
	unsigned int i;

	assert(c->reading);
	c->reading = false;
	if (offset > image_bytes(c) || len > image_bytes(c) - offset)
		return; /* outside the config space: 0xff, nothing promised */
	if (c->t->vdev.broken)
		return; /* the ring gave up on this device: note above */
	c->checks++;
	for (i = 0; i < c->nimages; i++)
		if (memcmp(buf, c->image[i] + offset, len) == 0)
			return;
	hex(got, sizeof(got), buf, len);
	hex(first, sizeof(first), c->image[0] + offset, len);
	oracle_fail(c->o, CFG,
		    "a %u-byte config read at offset %u returned %s, the "
		    "bytes of no one generation %u..%u (at %u: %s)",
		    len, offset, got, c->gen[0], c->gen[c->nimages - 1],
		    c->gen[0], first);
}
