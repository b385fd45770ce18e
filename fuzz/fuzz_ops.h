/*
 * fuzz_ops.h - the operation codes of the ring and bus targets, shared with
 * the corpus generator (make_corpus.c) so that it can write programs.
 *
 * An input of the ring or bus target is a header followed by operations;
 * each operation is one byte (its code mod the count) and its arguments.
 * Byte layouts are documented at the top of fuzz_ring.c and fuzz_bus.c.
 */
#ifndef RINGSIDE_FUZZ_OPS_H
#define RINGSIDE_FUZZ_OPS_H

enum ring_op {
	RING_OP_ADD = 0,	   /* kind, out, in, len */
	RING_OP_KICK,		   /* - */
	RING_OP_KICK_PREPARE,	   /* notify-anyway flag */
	RING_OP_GET_BUF,	   /* - */
	RING_OP_DISABLE_CB,	   /* - */
	RING_OP_ENABLE_CB,	   /* - */
	RING_OP_ENABLE_CB_DELAYED, /* - */
	RING_OP_INTERRUPT,	   /* - */
	RING_OP_DEV_TAKE,	   /* count */
	RING_OP_DEV_COMPLETE,	   /* which (bit 7: do not publish), len */
	RING_OP_DEV_COMPLETE_ALL,  /* len */
	RING_OP_RAW_USED_ELEM,	   /* slot u16, id mode, id, len u32 */
	RING_OP_RAW_USED_IDX,	   /* mode, value */
	RING_OP_RAW_USED_FLAGS,	   /* u16 */
	RING_OP_RAW_AVAIL_EVENT,   /* mode, value */
	RING_OP_RAW_DESC,	   /* index u16, field, value */
	RING_OP_RAW_AVAIL,	   /* slot u16 (0xffff: avail.idx), value u16 */
	RING_OP_BREAK,		   /* - */
	RING_OP_MISUSE,		   /* which */
	RING_OP_QUERY,		   /* which, value u32 */
	RING_OP_COUNT
};

enum bus_op {
	BUS_OP_DEV_REGISTER = 0, /* slot, then the device's description */
	BUS_OP_DEV_UNREGISTER,	 /* slot */
	BUS_OP_DRV_REGISTER,	 /* slot, then the driver's description */
	BUS_OP_DRV_UNREGISTER,	 /* slot */
	BUS_OP_CONFIG_CHANGE,	 /* slot, raise the interrupt? */
	BUS_OP_QUEUE_IRQ,	 /* slot, queue */
	BUS_OP_BREAK,		 /* slot */
	BUS_OP_MISUSE,		 /* which */
	BUS_OP_COUNT
};

enum shim_op {
	SHIM_OP_INIT = 0,  /* how, pages, phys page u32 */
	SHIM_OP_CREATE,	   /* how, pages u16, phys page u32 */
	SHIM_OP_RESET,	   /* - */
	SHIM_OP_DESTROY,   /* - */
	SHIM_OP_ALLOC,	   /* slot, kind, size class, size u32 */
	SHIM_OP_FREE,	   /* slot, how, size u32 */
	SHIM_OP_FAIL_HOOK, /* mask (0: no hook) */
	SHIM_OP_VIRT,	   /* where, offset u32, function */
	SHIM_OP_PHYS,	   /* where, offset u32, function, len class */
	SHIM_OP_PRINTK,	   /* how, repeat, text length, text, name */
	SHIM_OP_REPORT,	   /* how, condition */
	SHIM_OP_COUNT
};

#endif /* RINGSIDE_FUZZ_OPS_H */
