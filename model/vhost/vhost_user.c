/*
 * vhost_user.c - the vhost-user front end's messages (vhost_user.h).
 */
#define _GNU_SOURCE

#include "vhost_user.h"
#include "proc.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VU_CONNECT_RETRY_MS 5

static const char *const request_names[VU_REQUEST_MAX] = {
	[VU_GET_FEATURES] = "GET_FEATURES",
	[VU_SET_FEATURES] = "SET_FEATURES",
	[VU_SET_OWNER] = "SET_OWNER",
	[VU_RESET_OWNER] = "RESET_OWNER",
	[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VU_SET_VRING_ERR] = "SET_VRING_ERR",
	[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VU_GET_CONFIG] = "GET_CONFIG",
	[VU_SET_CONFIG] = "SET_CONFIG",
	[VU_RESET_DEVICE] = "RESET_DEVICE",
};

const char *vu_request_name(u32 req)
{
	if (req < VU_REQUEST_MAX && request_names[req])
		return request_names[req];
	return "an unknown request";
}

/* The first error latches (note 2). */
__attribute__((format(printf, 2, 3))) static int vu_fail(struct vu_conn *c,
							 const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		va_start(ap, fmt);
		vsnprintf(c->error, sizeof(c->error), fmt, ap);
		va_end(ap);
	}
	c->failed = true;
	return -EIO;
}

static unsigned int timeout_of(unsigned int ms)
{
	return ms ? ms : VU_TIMEOUT_MS_DEFAULT;
}

void vu_adopt(struct vu_conn *c, int fd, unsigned int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = timeout_of(timeout_ms);
}

int vu_connect(struct vu_conn *c, const char *path, unsigned int timeout_ms)
{
	struct sockaddr_un sa;
	double deadline;
	int fd, err = 0;

	vu_adopt(c, -1, timeout_ms);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		vu_fail(c, "socket path too long (%zu bytes, at most %zu): %s",
			strlen(path), sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	deadline = proc_now_ms() + c->timeout_ms;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			c->fd = fd;
			return 0;
		}
		err = errno;
		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) ||
		    proc_now_ms() >= deadline)
			break;
		usleep(VU_CONNECT_RETRY_MS * 1000);
	}
	vu_fail(c, "cannot connect to the vhost-user socket %s: %s", path,
		strerror(err));
	return err == ENOENT || err == ECONNREFUSED ? -ETIMEDOUT : -err;
}

bool vu_peer_closed(struct vu_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	char byte;

	if (c->failed || c->fd < 0)
		return c->failed;
	if (poll(&p, 1, 0) <= 0)
		return false;
	/* Readable with nothing to read is the end of the stream; bytes
	 * nobody asked for stay for the next reply's checks. */
	if ((p.revents & (POLLHUP | POLLRDHUP | POLLERR)) ||
	    recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		vu_fail(c, "the back end closed the connection");
	return c->failed;
}

void vu_close(struct vu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Waits until fd has events or the deadline passed: 1, 0 timeout, -1. */
static int wait_fd(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left;
	int r;

	for (;;) {
		left = deadline - proc_now_ms();
		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left + (left > 0));
		if (r >= 0 || errno != EINTR)
			return r > 0 ? 1 : r;
	}
}

static int send_all(struct vu_conn *c, u32 req, const u8 *buf, size_t len,
		    const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	double deadline = proc_now_ms() + c->timeout_ms;
	struct iovec iov;
	struct msghdr m;
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		memset(&m, 0, sizeof(m));
		iov.iov_base = (void *)(buf + done);
		iov.iov_len = len - done;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (done == 0 && nfds) {
			struct cmsghdr *cm;

			memset(&ctl, 0, sizeof(ctl));
			m.msg_control = ctl.buf;
			m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(c->fd, POLLOUT, deadline) > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return vu_fail(c,
				       "the back end took no %s request for "
				       "%u ms (its socket stays full)",
				       vu_request_name(req), c->timeout_ms);
		return vu_fail(c,
			       "cannot send %s to the back end: %s (it "
			       "closed the connection?)",
			       vu_request_name(req),
			       n < 0 ? strerror(errno) : "nothing sent");
	}
	return 0;
}

/* Reads exactly len bytes before the deadline (note 2). */
static int recv_all(struct vu_conn *c, u32 req, u8 *buf, size_t len,
		    double deadline, const char *what)
{
	size_t got = 0;
	ssize_t n;
	int w;

	while (got < len) {
		w = wait_fd(c->fd, POLLIN, deadline);
		if (w == 0)
			return vu_fail(c,
				       "no complete reply to %s within %u ms "
				       "(%s: %zu of %zu bytes came)",
				       vu_request_name(req), c->timeout_ms,
				       what, got, len);
		if (w < 0)
			return vu_fail(c, "waiting for the reply to %s: %s",
				       vu_request_name(req), strerror(errno));
		n = recv(c->fd, buf + got, len - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			return vu_fail(c,
				       "the back end closed the connection "
				       "while we waited for the reply to %s "
				       "(%s: %zu of %zu bytes came)",
				       vu_request_name(req), what, got, len);
		return vu_fail(c, "reading the reply to %s: %s",
			       vu_request_name(req), strerror(errno));
	}
	return 0;
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

/* A reply's header and payload, checked against the request (note 2). */
static int read_reply(struct vu_conn *c, u32 req, void *reply, u32 want)
{
	double t0 = proc_now_ms(), deadline = t0 + c->timeout_ms;
	u8 hdr[VU_HDR_BYTES];
	u32 code, flags, size;
	u64 ns;

	if (recv_all(c, req, hdr, sizeof(hdr), deadline, "header"))
		return -EIO;
	code = get_le32(hdr);
	flags = get_le32(hdr + 4);
	size = get_le32(hdr + 8);
	if (code != req)
		return vu_fail(c,
			       "the back end answered %s with a reply to "
			       "request %u (%s)",
			       vu_request_name(req), code,
			       vu_request_name(code));
	if ((flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION ||
	    !(flags & VU_FLAG_REPLY))
		return vu_fail(c,
			       "the reply to %s has flags %#x: not version 1 "
			       "with the reply flag",
			       vu_request_name(req), flags);
	if (size != want)
		return vu_fail(c,
			       "the reply to %s has a payload of %u bytes, "
			       "expected %u (%s)",
			       vu_request_name(req), size, want,
			       size > want ? "oversized" : "short");
	if (recv_all(c, req, reply, want, deadline, "payload"))
		return -EIO;
	c->replies++;
	ns = (u64)((proc_now_ms() - t0) * 1e6);
	c->reply_ns += ns;
	if (ns > c->slowest_ns) {
		c->slowest_ns = ns;
		c->slowest_req = req;
	}
	return 0;
}

int vu_call(struct vu_conn *c, u32 req, const void *payload, u32 size,
	    const int *fds, unsigned int nfds, void *reply, u32 reply_size)
{
	u8 msg[VU_HDR_BYTES + VU_REQUEST_PAYLOAD_MAX + VU_PAYLOAD_MAX];
	bool ack = !reply && c->reply_ack;
	u64 ackv = 0;

	if (c->failed)
		return -EIO;
	if (c->fd < 0)
		return vu_fail(c, "not connected to a back end");
	if (size > sizeof(msg) - VU_HDR_BYTES || nfds > VU_MAX_FDS ||
	    reply_size > VU_PAYLOAD_MAX)
		return vu_fail(c, "%s: request too large (a bug of ours)",
			       vu_request_name(req));
	put_le32(msg, req);
	put_le32(msg + 4, VU_FLAG_VERSION | (ack ? VU_FLAG_NEED_REPLY : 0));
	put_le32(msg + 8, size);
	if (size)
		memcpy(msg + VU_HDR_BYTES, payload, size);
	c->requests++;
	if (send_all(c, req, msg, VU_HDR_BYTES + size, fds, nfds))
		return -EIO;
	if (reply)
		return read_reply(c, req, reply, reply_size);
	if (!ack)
		return 0;
	if (read_reply(c, req, &ackv, sizeof(ackv)))
		return -EIO;
	if (ackv != 0)
		return vu_fail(c, "the back end refused %s (ack %llu)",
			       vu_request_name(req), (unsigned long long)ackv);
	return 0;
}

int vu_get_u64(struct vu_conn *c, u32 req, u64 *v)
{
	*v = 0;
	return vu_call(c, req, NULL, 0, NULL, 0, v, sizeof(*v));
}

int vu_set_u64(struct vu_conn *c, u32 req, u64 v)
{
	return vu_call(c, req, &v, sizeof(v), NULL, 0, NULL, 0);
}

int vu_set_owner(struct vu_conn *c)
{
	return vu_call(c, VU_SET_OWNER, NULL, 0, NULL, 0, NULL, 0);
}

int vu_set_mem_table(struct vu_conn *c, const struct vu_region *r,
		     unsigned int n)
{
	u64 payload[1 + VU_MAX_REGIONS * 4];
	int fds[VU_MAX_REGIONS];
	unsigned int i;

	if (n == 0 || n > VU_MAX_REGIONS)
		return vu_fail(c, "SET_MEM_TABLE with %u regions", n);
	payload[0] = n; /* u32 count, u32 padding */
	for (i = 0; i < n; i++) {
		payload[1 + 4 * i] = r[i].guest_phys;
		payload[2 + 4 * i] = r[i].size;
		payload[3 + 4 * i] = r[i].user_addr;
		payload[4 + 4 * i] = r[i].mmap_offset;
		fds[i] = r[i].fd;
	}
	return vu_call(c, VU_SET_MEM_TABLE, payload, (u32)(8 + 32 * n), fds, n,
		       NULL, 0);
}

int vu_vring_state(struct vu_conn *c, u32 req, u32 index, u32 num)
{
	u32 s[2] = { index, num };

	return vu_call(c, req, s, sizeof(s), NULL, 0, NULL, 0);
}

int vu_get_vring_base(struct vu_conn *c, u32 index, u32 *base)
{
	u32 s[2] = { index, 0 }, r[2] = { 0, 0 };
	int err = vu_call(c, VU_GET_VRING_BASE, s, sizeof(s), NULL, 0, r,
			  sizeof(r));

	if (err)
		return err;
	if (r[0] != index)
		return vu_fail(c,
			       "GET_VRING_BASE for queue %u answered for "
			       "queue %u",
			       index, r[0]);
	*base = r[1];
	return 0;
}

int vu_set_vring_addr(struct vu_conn *c, u32 index, u64 desc, u64 used,
		      u64 avail)
{
	/* index, flags, then the descriptor, used, available and log
	 * addresses, as u64s after the two u32s. */
	u64 a[5] = { index, desc, used, avail, 0 };

	return vu_call(c, VU_SET_VRING_ADDR, a, sizeof(a), NULL, 0, NULL, 0);
}

int vu_set_vring_fd(struct vu_conn *c, u32 req, u32 index, int fd)
{
	u64 v = (index & 0xffu) | (fd < 0 ? VU_VRING_NOFD : 0);

	return vu_call(c, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1, NULL, 0);
}

int vu_get_config(struct vu_conn *c, u32 offset, void *buf, u32 size)
{
	u8 req[12 + VU_CONFIG_MAX], rep[12 + VU_CONFIG_MAX];
	int err;

	if (size > VU_CONFIG_MAX)
		return vu_fail(c, "GET_CONFIG of %u bytes", size);
	memset(req, 0, sizeof(req));
	put_le32(req, offset);
	put_le32(req + 4, size);
	err = vu_call(c, VU_GET_CONFIG, req, 12 + size, NULL, 0, rep,
		      12 + size);
	if (err)
		return err;
	if (get_le32(rep) != offset || get_le32(rep + 4) != size)
		return vu_fail(c,
			       "GET_CONFIG answered offset %u size %u for "
			       "offset %u size %u",
			       get_le32(rep), get_le32(rep + 4), offset, size);
	memcpy(buf, rep + 12, size);
	return 0;
}
