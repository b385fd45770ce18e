/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/scatterlist.h - scatter-gather entries describing driver buffers.
 *
 * There are no struct pages in user space: an entry holds the virtual
 * address of its buffer. page_link keeps the kernel's meaning of its two low
 * bits (0x01 chain, 0x02 end), so sg_next and the end marker behave as in
 * Linux; with the chain bit set, buf points at the next scatterlist array.
 */
#ifndef _LINUX_SCATTERLIST_H
#define _LINUX_SCATTERLIST_H

#include <linux/bug.h>
#include <linux/io.h>
#include <linux/string.h>
#include <linux/types.h>

struct scatterlist {
	unsigned long page_link; /* SG_CHAIN, SG_END flags */
	unsigned int offset;	 /* byte offset of the data in buf */
	unsigned int length;	 /* bytes */
	void *buf;		 /* start of the buffer (ringside: no pages) */
	dma_addr_t dma_address;
};

#define SG_CHAIN 0x01UL
#define SG_END 0x02UL

#define sg_is_chain(sg) (((sg)->page_link & SG_CHAIN) != 0)
#define sg_is_last(sg) (((sg)->page_link & SG_END) != 0)

static inline void sg_mark_end(struct scatterlist *sg)
{
	sg->page_link |= SG_END;
	sg->page_link &= ~SG_CHAIN;
}

static inline void sg_unmark_end(struct scatterlist *sg)
{
	sg->page_link &= ~SG_END;
}

static inline void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	memset(sgl, 0, sizeof(*sgl) * nents);
	if (nents)
		sg_mark_end(&sgl[nents - 1]);
}

static inline void sg_set_buf(struct scatterlist *sg, const void *buf,
			      unsigned int buflen)
{
	sg->buf = (void *)(uintptr_t)buf;
	sg->offset = 0;
	sg->length = buflen;
}

static inline void sg_init_one(struct scatterlist *sg, const void *buf,
			       unsigned int buflen)
{
	sg_init_table(sg, 1);
	sg_set_buf(sg, buf, buflen);
}

static inline void *sg_virt(const struct scatterlist *sg)
{
	return (char *)sg->buf + sg->offset;
}

static inline dma_addr_t sg_phys(const struct scatterlist *sg)
{
	return virt_to_phys(sg_virt(sg));
}

/* Links the last entry of prv (which it overwrites) to sgl. */
static inline void sg_chain(struct scatterlist *prv, unsigned int prv_nents,
			    struct scatterlist *sgl)
{
	struct scatterlist *link = &prv[prv_nents - 1];

	link->offset = 0;
	link->length = 0;
	link->buf = sgl;
	link->page_link = SG_CHAIN;
}

static inline struct scatterlist *sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (unlikely(sg_is_chain(sg)))
		sg = (struct scatterlist *)sg->buf;
	return sg;
}

#define for_each_sg(sglist, sg, nr, __i)                                       \
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))

#endif /* _LINUX_SCATTERLIST_H */
