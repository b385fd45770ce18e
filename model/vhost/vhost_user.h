/*
 * vhost_user.h - the front end's side of the vhost-user protocol (the
 * role QEMU plays): one connection to a back end on a unix socket, its
 * messages, and the checks every reply goes through.
 *
 * Notes:
 *
 * 1. A message is a 12-byte header (request, flags, payload size, all
 *    little-endian u32) and its payload; file descriptors travel as
 *    SCM_RIGHTS with the header. Flags: version 1 in bits 0-1, bit 2 the
 *    reply flag, bit 3 "need reply".
 * 2. The back end is a third party. A reply is taken only when its
 *    header names the request just sent, carries version 1 and the reply
 *    flag, and its size is exactly what that request's reply has (GET_
 *    CONFIG: the size asked for). A short read, an oversized or wrong
 *    reply, a closed socket or no reply within the timeout is an error
 *    with a message naming it, and latches: the connection is then
 *    unusable (vu_failed) and every later request fails at once, so a
 *    broken back end costs one timeout, never a hang.
 * 3. With REPLY_ACK negotiated, every request that has no reply of its
 *    own asks for one (need reply) and a non-zero u64 ack is an error.
 * 4. Never reads the clock for anything but its timeouts and the round
 *    trip it reports.
 */
#ifndef RINGSIDE_MODEL_VHOST_USER_H
#define RINGSIDE_MODEL_VHOST_USER_H

#include <linux/types.h>

#include <stdbool.h>
#include <stddef.h>

/* Requests (front end to back end). */
enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
	VU_RESET_DEVICE = 34,
	VU_REQUEST_MAX = 64
};

#define VU_FLAG_VERSION 0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY 0x4u
#define VU_FLAG_NEED_REPLY 0x8u
#define VU_HDR_BYTES 12u

/* Feature bit 30: the back end speaks protocol features. */
#define VU_F_PROTOCOL_FEATURES 30
/* Feature bit 26 (VHOST_F_LOG_ALL): the back end can log its writes to
 * guest memory for migration; a vhost matter, never a device feature. */
#define VU_F_LOG_ALL 26
/* Protocol feature bits. */
#define VU_PF_MQ 0
#define VU_PF_REPLY_ACK 3
#define VU_PF_CONFIG 9
#define VU_PF_RESET_DEVICE 13
/* What this front end can use: the others change what messages mean. */
#define VU_PF_SUPPORTED                                                        \
	((1ULL << VU_PF_MQ) | (1ULL << VU_PF_REPLY_ACK) |                      \
	 (1ULL << VU_PF_CONFIG) | (1ULL << VU_PF_RESET_DEVICE))

#define VU_MAX_REGIONS 8
#define VU_CONFIG_MAX 256u
/* The largest payload a reply may have (GET_CONFIG's), and a request. */
#define VU_PAYLOAD_MAX (12u + VU_CONFIG_MAX)
#define VU_REQUEST_PAYLOAD_MAX (8u + VU_MAX_REGIONS * 32u)
#define VU_MAX_FDS 8
#define VU_TIMEOUT_MS_DEFAULT 3000
#define VU_ERROR_BYTES 512
/* SET_VRING_KICK/CALL: bit 8 says no file descriptor comes along. */
#define VU_VRING_NOFD 0x100u

struct vu_region {
	u64 guest_phys, size, user_addr, mmap_offset;
	int fd;
};

struct vu_conn {
	int fd;			 /* -1 when not connected */
	unsigned int timeout_ms; /* each reply, and each send */
	bool failed;		 /* latched (note 2) */
	bool reply_ack;		 /* REPLY_ACK negotiated (note 3) */
	u64 requests;		 /* requests sent */
	u64 replies;		 /* replies taken */
	u64 reply_ns;		 /* time spent waiting for them */
	u32 slowest_req;	 /* the request whose reply took longest */
	u64 slowest_ns;
	char error[VU_ERROR_BYTES];
};

/* Connects to the back end's socket, trying until timeout_ms (0: the
 * default) has passed, since a back end creates it when it is ready.
 * Returns 0, or a negative errno with the reason in c->error. */
int vu_connect(struct vu_conn *c, const char *path, unsigned int timeout_ms);
/* Takes an already connected socket (tests: a socketpair). */
void vu_adopt(struct vu_conn *c, int fd, unsigned int timeout_ms);
void vu_close(struct vu_conn *c);
static inline bool vu_failed(const struct vu_conn *c)
{
	return c->failed;
}

/* True (and latched, note 2) once the back end has closed its end of
 * the connection; never waits. A back end that finds a ring it cannot
 * serve may drop the session: vhost-user's way of saying NEEDS_RESET. */
bool vu_peer_closed(struct vu_conn *c);

/*
 * One request and, when reply is not NULL, its reply of exactly
 * reply_size bytes (note 2). Requests without a reply of their own get
 * the REPLY_ACK treatment when it was negotiated (note 3). Returns 0 or
 * -EIO (latched, message in c->error).
 */
int vu_call(struct vu_conn *c, u32 req, const void *payload, u32 size,
	    const int *fds, unsigned int nfds, void *reply, u32 reply_size);

/* Typed requests. */
int vu_get_u64(struct vu_conn *c, u32 req, u64 *v);
int vu_set_u64(struct vu_conn *c, u32 req, u64 v);
int vu_set_owner(struct vu_conn *c);
int vu_set_mem_table(struct vu_conn *c, const struct vu_region *r,
		     unsigned int n);
int vu_vring_state(struct vu_conn *c, u32 req, u32 index, u32 num);
int vu_get_vring_base(struct vu_conn *c, u32 index, u32 *base);
int vu_set_vring_addr(struct vu_conn *c, u32 index, u64 desc, u64 used,
		      u64 avail);
/* SET_VRING_KICK / _CALL with fd (or VU_VRING_NOFD when fd < 0). */
int vu_set_vring_fd(struct vu_conn *c, u32 req, u32 index, int fd);
int vu_get_config(struct vu_conn *c, u32 offset, void *buf, u32 size);

const char *vu_request_name(u32 req);

#endif /* RINGSIDE_MODEL_VHOST_USER_H */
