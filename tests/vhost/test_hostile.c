/*
 * test_hostile.c - the vhost-user front end against a hostile back end:
 * a small scripted peer (a child process) that answers short, oversized,
 * with the wrong request code, without the reply flag, refuses with a
 * non-zero ack, closes the connection, stays silent, or plays along and
 * then never uses its rings. Each is a clear error, found within the
 * reply timeout, latched (the next request fails at once), and never a
 * crash or a hang. No real back end can be made to misbehave this way.
 */
#define _GNU_SOURCE

#include "harness.h"

#include <vhost.h>
#include <vhost_user.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTS(X)                                                               \
	X(good_reply_taken)                                                    \
	X(short_reply)                                                         \
	X(oversized_reply)                                                     \
	X(wrong_request_code)                                                  \
	X(reply_flag_missing)                                                  \
	X(ack_refused)                                                         \
	X(peer_closes)                                                         \
	X(peer_silent)                                                         \
	X(cell_peer_closes_mid_setup)                                          \
	X(cell_peer_never_serves)

TESTS(HARNESS_DECLARE)

#define REPLY_MS 200

enum scenario {
	SC_GOOD,
	SC_SHORT,
	SC_OVERSIZED,
	SC_WRONG_CODE,
	SC_NO_REPLY_FLAG,
	SC_NACK,
	SC_CLOSE,
	SC_SILENT,
	SC_CLOSE_AFTER_FEATURES,
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* --- the peer ------------------------------------------------------------- */

static bool read_exact(int fd, void *buf, size_t n)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr a;
	} ctl;
	size_t got = 0;

	while (got < n) {
		struct iovec iov = { (char *)buf + got, n - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *c;
		ssize_t r;

		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		r = recvmsg(fd, &m, 0);
		if (r <= 0)
			return false;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			int *fds = (int *)CMSG_DATA(c);
			size_t k,
				nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (k = 0; k < nf; k++)
				close(fds[k]);
		}
		got += (size_t)r;
	}
	return true;
}

static void send_reply(int fd, u32 code, u32 flags, u32 size, const void *p,
		       u32 sent)
{
	u8 msg[12 + 512];

	memcpy(msg, &code, 4);
	memcpy(msg + 4, &flags, 4);
	memcpy(msg + 8, &size, 4);
	memcpy(msg + 12, p, sent);
	if (write(fd, msg, 12 + sent) < 0)
		_exit(1);
}

/* The honest answer of a back end that never uses its rings. */
static void answer(int fd, u32 code, u32 flags, const u8 *payload, u32 size)
{
	u64 v = 0;
	u8 cfg[12 + 256];
	u32 state[2];

	switch (code) {
	case VU_GET_FEATURES:
		v = 1ULL << 32 | 1ULL << VU_F_PROTOCOL_FEATURES;
		break;
	case VU_GET_PROTOCOL_FEATURES:
		v = 1ULL << VU_PF_REPLY_ACK | 1ULL << VU_PF_CONFIG;
		break;
	case VU_GET_CONFIG:
		memset(cfg, 0, sizeof(cfg));
		memcpy(cfg, payload, size < 12 ? size : 12);
		cfg[12] = 8; /* capacity: 2048 sectors */
		send_reply(fd, code, 0x5, size, cfg, size);
		return;
	case VU_GET_VRING_BASE:
		memcpy(state, payload, 8);
		state[1] = 0;
		send_reply(fd, code, 0x5, 8, state, 8);
		return;
	default:
		if (!(flags & VU_FLAG_NEED_REPLY))
			return;
	}
	send_reply(fd, code, 0x5, 8, &v, 8);
}

static void misbehave(int fd, enum scenario sc, u32 code)
{
	u64 v = 1;
	u8 big[512] = { 0 };

	switch (sc) {
	case SC_SHORT:
		send_reply(fd, code, 0x5, 8, &v, 4);
		break;
	case SC_OVERSIZED:
		send_reply(fd, code, 0x5, 4096, big, sizeof(big));
		break;
	case SC_WRONG_CODE:
		send_reply(fd, code + 1, 0x5, 8, &v, 8);
		break;
	case SC_NO_REPLY_FLAG:
		send_reply(fd, code, 0x1, 8, &v, 8);
		break;
	case SC_NACK:
		send_reply(fd, code, 0x5, 8, &v, 8);
		break;
	default:
		break;
	}
}

static void serve(int fd, enum scenario sc)
{
	u8 hdr[12], payload[512];
	u32 code, flags, size, n = 0;

	for (;; n++) {
		if (!read_exact(fd, hdr, 12))
			_exit(0);
		memcpy(&code, hdr, 4);
		memcpy(&flags, hdr + 4, 4);
		memcpy(&size, hdr + 8, 4);
		if (size > sizeof(payload) || !read_exact(fd, payload, size))
			_exit(0);
		if (sc == SC_CLOSE || (sc == SC_CLOSE_AFTER_FEATURES && n > 0))
			_exit(0);
		if (sc == SC_SILENT)
			continue;
		if (sc == SC_GOOD || sc == SC_CLOSE_AFTER_FEATURES ||
		    (sc == SC_NACK && !(flags & VU_FLAG_NEED_REPLY)))
			answer(fd, code, flags, payload, size);
		else
			misbehave(fd, sc, code);
	}
}

static pid_t peer_on(int fd, int other, enum scenario sc)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(other);
		alarm(30);
		serve(fd, sc);
		_exit(0);
	}
	close(fd);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* --- protocol-level ------------------------------------------------------- */

/* GET_FEATURES against a peer playing sc: the error, and its latch. */
static void expect_error(enum scenario sc, const char *words)
{
	struct vu_conn c;
	int sv[2];
	double t0;
	pid_t peer;
	u64 v;

	CHECK_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	peer = peer_on(sv[1], sv[0], sc);
	vu_adopt(&c, sv[0], REPLY_MS);
	t0 = now_ms();
	CHECK_EQ(-EIO, vu_get_u64(&c, VU_GET_FEATURES, &v));
	CHECK(now_ms() - t0 < REPLY_MS + 500);
	printf("    %s\n", c.error);
	CHECK(vu_failed(&c));
	CHECK(strstr(c.error, words) != NULL);
	/* Latched: the next request fails at once, without a wait. */
	t0 = now_ms();
	CHECK_EQ(-EIO, vu_set_owner(&c));
	CHECK(now_ms() - t0 < 50);
	vu_close(&c);
	reap(peer);
}

static void good_reply_taken(void)
{
	struct vu_conn c;
	int sv[2];
	pid_t peer;
	u64 v = 0, pf = 0;

	CHECK_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	peer = peer_on(sv[1], sv[0], SC_GOOD);
	vu_adopt(&c, sv[0], REPLY_MS);
	CHECK_EQ(0, vu_get_u64(&c, VU_GET_FEATURES, &v));
	CHECK_EQ(1ULL << 32 | 1ULL << VU_F_PROTOCOL_FEATURES, v);
	CHECK_EQ(0, vu_get_u64(&c, VU_GET_PROTOCOL_FEATURES, &pf));
	c.reply_ack = true;
	CHECK_EQ(0, vu_set_owner(&c)); /* acked with 0 */
	CHECK(!vu_failed(&c));
	CHECK_EQ(3, c.replies);
	vu_close(&c);
	reap(peer);
}

static void short_reply(void)
{
	expect_error(SC_SHORT, "payload: 4 of 8 bytes");
}

static void oversized_reply(void)
{
	expect_error(SC_OVERSIZED, "4096 bytes, expected 8 (oversized)");
}

static void wrong_request_code(void)
{
	expect_error(SC_WRONG_CODE, "with a reply to request 2");
}

static void reply_flag_missing(void)
{
	expect_error(SC_NO_REPLY_FLAG, "not version 1 with the reply flag");
}

static void peer_closes(void)
{
	expect_error(SC_CLOSE, "closed the connection");
}

static void peer_silent(void)
{
	expect_error(SC_SILENT, "no complete reply to GET_FEATURES within");
}

static void ack_refused(void)
{
	struct vu_conn c;
	int sv[2];
	pid_t peer;

	CHECK_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	peer = peer_on(sv[1], sv[0], SC_NACK);
	vu_adopt(&c, sv[0], REPLY_MS);
	c.reply_ack = true;
	CHECK_EQ(-EIO, vu_set_owner(&c));
	printf("    %s\n", c.error);
	CHECK(strstr(c.error, "refused SET_OWNER (ack 1)") != NULL);
	vu_close(&c);
	reap(peer);
}

/* --- a whole cell against the peer (vhost-user:SOCKET) --------------------- */

static void cell_against(enum scenario sc, struct vhost_cell_result *r)
{
	char dir[] = "/tmp/ringside-vhost-peer-XXXXXX", path[96];
	struct vhost_cell_config cfg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd;
	pid_t peer;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/peer.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(lfd >= 0);
	CHECK_EQ(0, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK_EQ(0, listen(lfd, 1));
	peer = fork();
	if (peer == 0) {
		alarm(30);
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			serve(fd, sc);
		_exit(0);
	}
	close(lfd);
	memset(&cfg, 0, sizeof(cfg));
	cfg.device = VHOST_DEV_BLOCK;
	cfg.socket = path;
	cfg.seed = 3;
	cfg.requests = 10;
	cfg.reply_ms = REPLY_MS;
	cfg.request_ms = 300;
	cfg.timeout_ms = 5000;
	CHECK_EQ(0, vhost_run_cell(&cfg, r));
	printf("    %s (%.0f ms)\n", r->message, r->total_ms);
	reap(peer);
	unlink(path);
	CHECK_EQ(0, rmdir(dir));
}

static void cell_peer_closes_mid_setup(void)
{
	struct vhost_cell_result r;

	cell_against(SC_CLOSE_AFTER_FEATURES, &r);
	CHECK(!r.passed);
	CHECK(!r.bound);
	CHECK(strstr(r.message, "closed the connection") != NULL);
}

/* It negotiates, takes memory and rings, and never completes a request:
 * a request timeout, and a clean teardown. */
static void cell_peer_never_serves(void)
{
	struct vhost_cell_result r;

	cell_against(SC_GOOD, &r);
	CHECK(!r.passed);
	CHECK(r.bound);
	CHECK(r.kicks > 0);
	CHECK_EQ(0, r.completed);
	CHECK(strstr(r.message, "request timed out") != NULL);
	CHECK(r.total_ms < 3000);
}

HARNESS_MAIN(TESTS)
