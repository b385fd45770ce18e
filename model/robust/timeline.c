/*
 * timeline.c - what an event of a robustness case's log says
 * (model/devices.h SIM_EV_FRONT_*), for `ringside show`: a recorded FAIL
 * or WEDGED case's timeline is what the front end wrote and read back,
 * in order, phase by phase.
 */
#include "robust.h"

#include "devices.h"
#include "event_log.h"

#include <inttypes.h>
#include <linux/virtio_ring.h>
#include <stdio.h>

static void desc_text(const struct sim_event *ev, char *buf, size_t n)
{
	u16 index = (u16)ev->c, flags = (u16)(ev->c >> 16),
	    next = (u16)(ev->c >> 32);

	snprintf(buf, n,
		 "%s %u: addr 0x%" PRIx64 " len %" PRIu64 "%s%s%s next %u",
		 ev->c >> 48 & 1 ? "indirect entry" : "desc", index, ev->a,
		 ev->b, flags & VRING_DESC_F_NEXT ? " NEXT" : "",
		 flags & VRING_DESC_F_WRITE ? " WRITE" : "",
		 flags & VRING_DESC_F_INDIRECT ? " INDIRECT" : "", next);
}

bool rb_event_text(const struct sim_event *ev, char *buf, size_t n)
{
	switch (ev->kind) {
	case SIM_EV_FRONT_STATUS:
		if (ev->a)
			snprintf(buf, n, "status 0x%02" PRIx64 " written",
				 ev->a);
		else
			snprintf(buf, n, "device reset");
		return true;
	case SIM_EV_FRONT_FEATURES:
		snprintf(buf, n,
			 "features offered 0x%" PRIx64 ", accepted 0x%" PRIx64,
			 ev->a, ev->b);
		return true;
	case SIM_EV_FRONT_QUEUE:
		snprintf(buf, n, "queue set up, size %" PRIu64, ev->a);
		return true;
	case SIM_EV_FRONT_DESC:
		desc_text(ev, buf, n);
		return true;
	case SIM_EV_FRONT_AVAIL:
		snprintf(buf, n, "avail slot %" PRIu64 " = head %" PRIu64,
			 ev->a, ev->b);
		return true;
	case SIM_EV_FRONT_AVAIL_IDX:
		snprintf(buf, n, "avail idx = %" PRIu64, ev->a);
		return true;
	case SIM_EV_FRONT_NOTIFY:
		snprintf(buf, n, "notify queue %" PRIu64, ev->a);
		return true;
	case SIM_EV_FRONT_USED:
		snprintf(buf, n,
			 "used entry %" PRIu64 " read: id %" PRIu64
			 " len %" PRIu64,
			 ev->c, ev->a, ev->b);
		return true;
	case SIM_EV_FRONT_VERDICT:
		snprintf(buf, n, "verdict %s",
			 ev->a < RB_VERDICTS
				 ? rb_verdict_name((enum rb_verdict)ev->a)
				 : "?");
		return true;
	default:
		return false;
	}
}
