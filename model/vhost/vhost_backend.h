/*
 * vhost_backend.h - a vhost-user back end that ringside starts itself
 * (the target vhost-user-exec:COMMAND), and its cleanup.
 *
 * Every back end gets its own directory (mkdtemp under TMPDIR or /tmp,
 * named ringside-vhost-<our pid>-*)
 * holding its socket (@SOCK@ in the command), whatever files it is given
 * (@DIR@: a raw disk image, a shared folder) and its stderr. The command
 * runs through /bin/sh as "exec COMMAND", so the back end is our child
 * itself: in its own process group, with a parent-death signal (it dies
 * with us even when we are killed), its stdin a pipe we hold (a back end
 * that waits for a key on stdin waits until we stop it).
 *
 * vhb_start waits for the socket and connects (timeout; the back end's
 * early exit is reported with its status and the tail of its stderr).
 * vhb_stop, on every path, closes the connection, terminates the back end
 * (SIGTERM, SIGKILL after a grace period), reaps it and removes the
 * directory and everything in it. SIGINT and SIGTERM are caught while a
 * back end runs (vhb_signal says which came), so that the caller ends its
 * run and cleans up; it then re-raises the signal (vhb_reraise). When we
 * are killed (SIGKILL), the back end dies with us and a janitor child
 * (janitor.h) removes the directory once it is gone; should the janitor
 * be killed too, the next start removes the directories of pids that no
 * longer exist.
 */
#ifndef RINGSIDE_MODEL_VHOST_BACKEND_H
#define RINGSIDE_MODEL_VHOST_BACKEND_H

#include "janitor.h"
#include "vhost_user.h"

#include <sys/types.h>

#define VHB_PATH_BYTES 256
#define VHB_COMMAND_BYTES 2048
#define VHB_ERROR_BYTES 1024
#define VHB_START_TIMEOUT_MS 10000
#define VHB_STOP_GRACE_MS 2000
#define VHB_DIR_PREFIX "ringside-vhost-"

struct vhb_options {
	const char *command;	 /* with @SOCK@ and @DIR@ */
	u64 disk_bytes;		 /* > 0: a zeroed DIR/disk.img of this size */
	bool share;		 /* make DIR/share (a folder to export) */
	unsigned int timeout_ms; /* socket wait; 0: VHB_START_TIMEOUT_MS */
};

struct vhb {
	pid_t pid; /* 0: none */
	int status;
	bool reaped;
	int stdin_fd; /* our end of its stdin, -1 */
	char dir[VHB_PATH_BYTES];
	struct janitor janitor; /* removes dir when we are gone */
	char sock[VHB_PATH_BYTES + 16];
	double startup_ms; /* exec to connected */
	char error[VHB_ERROR_BYTES];
};

/* Starts the back end and connects c to it. Returns 0, or a negative
 * errno with the reason in b->error; nothing is left behind then (vhb_stop
 * is still allowed). */
int vhb_start(struct vhb *b, const struct vhb_options *o, struct vu_conn *c,
	      unsigned int reply_timeout_ms);
/* Terminates and reaps the back end and removes its directory;
 * idempotent. */
void vhb_stop(struct vhb *b);
/* True while it runs; reaps it once it has exited. */
bool vhb_alive(struct vhb *b);
/* Waits up to ms for it to exit; true when it has. */
bool vhb_wait_exit(struct vhb *b, unsigned int ms);
/* "exited with status N" / "killed by signal N", and its stderr's tail. */
void vhb_describe_exit(struct vhb *b, char *buf, size_t n);
/* A file in the back end's directory. */
void vhb_path(const struct vhb *b, const char *name, char *buf, size_t n);

/* The SIGINT or SIGTERM caught since the first start (0: none). */
int vhb_signal(void);
/* Restores the default action and raises the caught signal, if any. */
void vhb_reraise(void);

/* Whether an executable is found (absolute path, or on PATH). */
bool vhb_have(const char *program);

#endif /* RINGSIDE_MODEL_VHOST_BACKEND_H */
