/*
 * drv_fs.c - the virtio-fs workload (device type 26): enough FUSE over
 * the request queue to INIT, LOOKUP, GETATTR, OPEN, READ, WRITE and
 * RELEASE files in the shared folder, and check what comes back.
 *
 * The folder holds WL_FS_READ_NAME (WL_FS_FILE_BYTES of wl_fs_pattern
 * with WL_FS_READ_SALT) and an empty WL_FS_WRITE_NAME (driver.h). One
 * request is in flight at a time, in a fixed cycle after INIT:
 *
 *   LOOKUP, GETATTR, OPEN, READ, RELEASE of the read file (the size and
 *   every byte are checked), then LOOKUP, OPEN, WRITE (a new salt each
 *   time), READ, RELEASE of the write file (it reads back as written).
 *
 * The host side checks at the end that the write file in the folder
 * holds the last salt written (wl_fs_last_write). Queue 0 (hiprio) gets
 * nothing: FORGET and INTERRUPT are not needed.
 *
 * A request is one kmalloc'd buffer: the in header and arguments (and
 * WRITE's data) readable, then the out header and the reply writable.
 * Layouts are FUSE 7.31's (the kernel's include/uapi/linux/fuse.h),
 * little-endian.
 */
#include "driver.h"

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_ID_FS 26

#define FUSE_LOOKUP 1
#define FUSE_GETATTR 3
#define FUSE_OPEN 14
#define FUSE_READ 15
#define FUSE_WRITE 16
#define FUSE_RELEASE 18
#define FUSE_INIT 26
#define FUSE_MAJOR 7
#define FUSE_MINOR 31
#define FUSE_ROOT_ID 1

#define FUSE_IN_HDR 40u
#define FUSE_OUT_HDR 16u
#define FUSE_INIT_IN 16u
#define FUSE_INIT_OUT 64u
#define FUSE_ENTRY_OUT 128u /* 40 + fuse_attr (88) */
#define FUSE_ATTR_OUT 104u  /* 16 + fuse_attr */
#define FUSE_OPEN_OUT 16u
#define FUSE_RW_IN 40u
#define FUSE_WRITE_OUT 8u
#define FUSE_RELEASE_IN 24u
#define FUSE_GETATTR_IN 16u
#define FUSE_OPEN_IN 8u
/* fuse_attr inside an entry / attr reply: size at +8, mode at +60. */
#define ATTR_SIZE 8u
#define ATTR_MODE 60u
#define S_IFMT_ 0170000u
#define S_IFREG_ 0100000u
#define O_RDONLY_ 0u
#define O_RDWR_ 2u

enum fs_step {
	FS_INIT = 0,
	FS_LOOKUP_R,
	FS_GETATTR_R,
	FS_OPEN_R,
	FS_READ_R,
	FS_RELEASE_R,
	FS_LOOKUP_W,
	FS_OPEN_W,
	FS_WRITE_W,
	FS_READ_W,
	FS_RELEASE_W,
	FS_STEPS
};

static const char *const step_names[FS_STEPS] = {
	"INIT",	  "LOOKUP", "GETATTR", "OPEN", "READ",	  "RELEASE",
	"LOOKUP", "OPEN",   "WRITE",   "READ", "RELEASE",
};

/* r->tag */
enum { TAG_STEP = 0, TAG_OUT_OFF, TAG_UNIQUE, TAG_SALT };

struct fs_wl {
	enum fs_step step;
	bool busy; /* a request is out */
	u64 unique;
	u64 node, fh; /* of the file the cycle is at */
	u32 writes;
	bool have_last;
	u32 last_salt;
};

static const struct virtio_device_id fs_ids[] = {
	{ VIRTIO_ID_FS, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int fs_features[] = {
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static const char *const fs_queues[] = { "hiprio", "requests" };

void wl_fs_pattern(u8 *buf, u32 n, u32 salt)
{
	u32 i, x = salt * 2654435761u + 1;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (u8)(x >> 8);
	}
}

bool wl_fs_last_write(const struct wl_driver *w, u32 *salt)
{
	const struct fs_wl *f = w->priv;

	if (!f || !f->have_last)
		return false;
	*salt = f->last_salt;
	return true;
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 get_le(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static int fs_init(struct wl_driver *w)
{
	w->priv = calloc(1, sizeof(struct fs_wl));
	return w->priv ? 0 : -ENOMEM;
}

static void fs_fini(struct wl_driver *w)
{
	free(w->priv);
	w->priv = NULL;
}

static void fs_probe(struct wl_driver *w)
{
	struct fs_wl *f = w->priv;

	memset(f, 0, sizeof(*f));
}

/* The op, node and readable arguments of a step; returns their bytes
 * (after the in header) and the reply's (after the out header). */
static u32 step_args(struct fs_wl *f, enum fs_step s, u8 *a, u32 *opcode,
		     u64 *node, u32 *reply, u32 salt)
{
	bool rd = s <= FS_RELEASE_R;
	const char *name = rd ? WL_FS_READ_NAME : WL_FS_WRITE_NAME;

	*node = f->node;
	switch (s) {
	case FS_INIT:
		*opcode = FUSE_INIT;
		*node = 0;
		put_le(a, FUSE_MAJOR, 4);
		put_le(a + 4, FUSE_MINOR, 4);
		put_le(a + 8, 0, 8); /* max_readahead, flags */
		*reply = FUSE_INIT_OUT;
		return FUSE_INIT_IN;
	case FS_LOOKUP_R:
	case FS_LOOKUP_W:
		*opcode = FUSE_LOOKUP;
		*node = FUSE_ROOT_ID;
		memcpy(a, name, strlen(name) + 1);
		*reply = FUSE_ENTRY_OUT;
		return (u32)strlen(name) + 1;
	case FS_GETATTR_R:
		*opcode = FUSE_GETATTR;
		memset(a, 0, FUSE_GETATTR_IN);
		*reply = FUSE_ATTR_OUT;
		return FUSE_GETATTR_IN;
	case FS_OPEN_R:
	case FS_OPEN_W:
		*opcode = FUSE_OPEN;
		put_le(a, rd ? O_RDONLY_ : O_RDWR_, 4);
		put_le(a + 4, 0, 4);
		*reply = FUSE_OPEN_OUT;
		return FUSE_OPEN_IN;
	case FS_READ_R:
	case FS_READ_W:
	case FS_WRITE_W:
		*opcode = s == FS_WRITE_W ? FUSE_WRITE : FUSE_READ;
		memset(a, 0, FUSE_RW_IN);
		put_le(a, f->fh, 8);
		put_le(a + 16, WL_FS_FILE_BYTES, 4); /* offset 0 */
		if (s != FS_WRITE_W) {
			*reply = WL_FS_FILE_BYTES;
			return FUSE_RW_IN;
		}
		wl_fs_pattern(a + FUSE_RW_IN, WL_FS_FILE_BYTES, salt);
		*reply = FUSE_WRITE_OUT;
		return FUSE_RW_IN + WL_FS_FILE_BYTES;
	default:
		*opcode = FUSE_RELEASE;
		memset(a, 0, FUSE_RELEASE_IN);
		put_le(a, f->fh, 8);
		put_le(a + 8, rd ? O_RDONLY_ : O_RDWR_, 4);
		*reply = 0;
		return FUSE_RELEASE_IN;
	}
}

static int fs_prepare(struct wl_driver *w, unsigned int q, struct wl_req *r,
		      struct scatterlist *sg, unsigned int *out,
		      unsigned int *in)
{
	struct fs_wl *f = w->priv;
	u8 args[FUSE_RW_IN + WL_FS_FILE_BYTES];
	u32 opcode, reply, nargs, salt = f->writes + 1;
	u64 node;
	u8 *buf;

	if (q != 1 || f->busy)
		return -EAGAIN;
	nargs = step_args(f, f->step, args, &opcode, &node, &reply, salt);
	buf = kmalloc(FUSE_IN_HDR + nargs + FUSE_OUT_HDR + reply, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	f->unique++;
	memset(buf, 0, FUSE_IN_HDR);
	put_le(buf, FUSE_IN_HDR + nargs, 4);
	put_le(buf + 4, opcode, 4);
	put_le(buf + 8, f->unique, 8);
	put_le(buf + 16, node, 8);
	memcpy(buf + FUSE_IN_HDR, args, nargs);
	memset(buf + FUSE_IN_HDR + nargs, 0, FUSE_OUT_HDR + reply);
	r->mem = buf;
	r->bytes = FUSE_IN_HDR + nargs + FUSE_OUT_HDR + reply;
	r->tag[TAG_STEP] = f->step;
	r->tag[TAG_OUT_OFF] = FUSE_IN_HDR + nargs;
	r->tag[TAG_UNIQUE] = f->unique;
	r->tag[TAG_SALT] = salt;
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, FUSE_IN_HDR + nargs);
	sg_set_buf(&sg[1], buf + FUSE_IN_HDR + nargs, FUSE_OUT_HDR + reply);
	*out = 1;
	*in = 1;
	f->busy = true;
	return 0;
}

/* The reply of a step, its header checked: NULL after a data failure. */
static const u8 *reply_of(struct wl_driver *w, const struct wl_req *r, u32 len,
			  u32 want)
{
	const u8 *o = (const u8 *)r->mem + r->tag[TAG_OUT_OFF];
	const char *what = step_names[r->tag[TAG_STEP]];
	u32 olen = (u32)get_le(o, 4);
	s32 error = (s32)get_le(o + 4, 4);

	if (len < FUSE_OUT_HDR || olen != len) {
		wl_data_fail(w, "FUSE %s: used len %u, reply header says %u",
			     what, len, olen);
		return NULL;
	}
	if (get_le(o + 8, 8) != r->tag[TAG_UNIQUE]) {
		wl_data_fail(w,
			     "FUSE %s: the reply names request %llu, not "
			     "%llu",
			     what, (unsigned long long)get_le(o + 8, 8),
			     (unsigned long long)r->tag[TAG_UNIQUE]);
		return NULL;
	}
	if (error != 0) {
		wl_data_fail(w, "FUSE %s failed with error %d", what, error);
		return NULL;
	}
	if (len - FUSE_OUT_HDR < want) {
		wl_data_fail(w, "FUSE %s: reply of %u bytes, expected %u", what,
			     len - FUSE_OUT_HDR, want);
		return NULL;
	}
	return o + FUSE_OUT_HDR;
}

static bool check_attr(struct wl_driver *w, const u8 *attr, bool sized)
{
	u32 mode = (u32)get_le(attr + ATTR_MODE, 4);
	u64 size = get_le(attr + ATTR_SIZE, 8);

	if ((mode & S_IFMT_) != S_IFREG_) {
		wl_data_fail(w,
			     "FUSE: the file has mode %#o, not a regular "
			     "file",
			     mode);
		return false;
	}
	if (sized && size != WL_FS_FILE_BYTES) {
		wl_data_fail(w, "FUSE: the file has %llu bytes, not %u",
			     (unsigned long long)size, WL_FS_FILE_BYTES);
		return false;
	}
	return true;
}

static bool check_read(struct wl_driver *w, const u8 *data, u32 salt)
{
	u8 want[WL_FS_FILE_BYTES];
	u32 i;

	wl_fs_pattern(want, sizeof(want), salt);
	for (i = 0; i < WL_FS_FILE_BYTES; i++)
		if (data[i] != want[i]) {
			wl_data_fail(w,
				     "FUSE READ: byte %u is %#x, the file "
				     "has %#x",
				     i, data[i], want[i]);
			return false;
		}
	return true;
}

/* The step's reply, checked; true when the cycle may go on. */
static bool step_done(struct wl_driver *w, const struct wl_req *r, u32 len)
{
	struct fs_wl *f = w->priv;
	enum fs_step s = (enum fs_step)r->tag[TAG_STEP];
	const u8 *p;

	switch (s) {
	case FS_INIT:
		p = reply_of(w, r, len, 8);
		if (p && get_le(p, 4) != FUSE_MAJOR) {
			wl_data_fail(w, "FUSE INIT: major %llu",
				     (unsigned long long)get_le(p, 4));
			return false;
		}
		return p != NULL;
	case FS_LOOKUP_R:
	case FS_LOOKUP_W:
		p = reply_of(w, r, len, FUSE_ENTRY_OUT);
		if (!p || !check_attr(w, p + 40, s == FS_LOOKUP_R))
			return false;
		f->node = get_le(p, 8);
		return true;
	case FS_GETATTR_R:
		p = reply_of(w, r, len, FUSE_ATTR_OUT);
		if (!p || !check_attr(w, p + 16, true))
			return false;
		w->data_checked++;
		return true;
	case FS_OPEN_R:
	case FS_OPEN_W:
		p = reply_of(w, r, len, FUSE_OPEN_OUT);
		if (p)
			f->fh = get_le(p, 8);
		return p != NULL;
	case FS_READ_R:
	case FS_READ_W:
		p = reply_of(w, r, len, WL_FS_FILE_BYTES);
		if (!p || !check_read(w, p,
				      s == FS_READ_R ? WL_FS_READ_SALT
						     : f->last_salt))
			return false;
		w->data_checked++;
		return true;
	case FS_WRITE_W:
		p = reply_of(w, r, len, FUSE_WRITE_OUT);
		if (!p)
			return false;
		if (get_le(p, 4) != WL_FS_FILE_BYTES) {
			wl_data_fail(w, "FUSE WRITE: %llu bytes written of %u",
				     (unsigned long long)get_le(p, 4),
				     WL_FS_FILE_BYTES);
			return false;
		}
		f->writes++;
		f->have_last = true;
		f->last_salt = (u32)r->tag[TAG_SALT];
		return true;
	default:
		return reply_of(w, r, len, 0) != NULL;
	}
}

static void fs_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	struct fs_wl *f = w->priv;

	if (r->queue != 1)
		return;
	f->busy = false;
	if (!step_done(w, r, len))
		return; /* the run has failed; the step is not repeated */
	f->step = f->step == FS_RELEASE_W ? FS_LOOKUP_R : f->step + 1;
}

/* Came back by detach: the step is asked again on the next binding. */
static void fs_cancel(struct wl_driver *w, struct wl_req *r)
{
	struct fs_wl *f = w->priv;

	if (r->queue == 1)
		f->busy = false;
}

const struct wl_class wl_fs_class = {
	.name = "ringside-fs",
	.id_table = fs_ids,
	.features = fs_features,
	.nfeatures = ARRAY_SIZE(fs_features),
	.nqueues = 2,
	.queue_names = fs_queues,
	.init = fs_init,
	.fini = fs_fini,
	.probe = fs_probe,
	.prepare = fs_prepare,
	.complete = fs_complete,
	.cancel = fs_cancel,
};
