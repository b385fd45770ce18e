/*
 * janitor.h - a directory that goes when its owner goes, however the
 * owner ends (SIGKILL included): the files of a third-party process we
 * start (QEMU, a vhost-user back end) must not outlive us.
 *
 * The janitor is a small child in a session of its own (a terminal's ^C
 * does not reach it) holding the read end of a pipe whose write end only
 * the owner has. It makes the directory itself, so there is no moment
 * when the directory exists and nobody would remove it (an owner killed
 * between making a directory and starting its janitor would leave it
 * behind). When the pipe closes, which happens however the owner
 * ends, it waits (bounded) for the processes it was told of to be gone,
 * so that nothing writes into the directory any more, and removes the
 * directory and everything in it. On ordinary paths the owner removes
 * the directory itself and then stops the janitor (janitor_stop), which
 * finds nothing left and exits; the owner reaps it. Not thread-safe.
 *
 * A janitor can also end process groups: a fuzzer we start runs in a
 * group of its own (so that our terminal's ^C reaches only us), and the
 * processes it starts in turn (libFuzzer's fork-mode jobs, a build's
 * compilers) have no parent-death signal. When the pipe closes without
 * janitor_stop, the owner died with them running, and the janitor kills
 * every group it was told of (janitor_watch_group) with SIGKILL, and
 * every process descended from one of them that left it (AFL++'s fork
 * server starts a session of its own; its target may sit stopped):
 * stopped first, so that none forks while the tree is read from /proc.
 */
#ifndef RINGSIDE_MODEL_JANITOR_H
#define RINGSIDE_MODEL_JANITOR_H

#include <sys/types.h>

/* How long the janitor waits for a watched process before it removes
 * the directory anyway. */
#define JANITOR_WAIT_MS 3000

struct janitor {
	pid_t pid; /* 0: none */
	int fd;	   /* the write end of its pipe, -1 */
};

/* Starts a janitor that makes a directory from template (mkdtemp's: a
 * path ending in XXXXXX; mode 0700) and removes it once we are gone; the
 * name made is written into template. Returns 0, or a negative errno: no
 * directory was made, j is empty and no process is left. */
int janitor_make_dir(struct janitor *j, char *template);
/* Starts a janitor without a directory: it only ends the groups it is
 * told of. Returns 0 or a negative errno (j is then empty). */
int janitor_start(struct janitor *j);
/* Tells it of a process that writes into the directory (a child of the
 * owner, dying with it by its parent-death signal). */
void janitor_watch(struct janitor *j, pid_t pid);
/* Tells it of a process group to SIGKILL if the owner dies without
 * janitor_stop. A child of the owner may call it with its own group
 * between fork and exec (the pipe closes on exec), so that no moment
 * exists when the group runs and the janitor does not know it. A child
 * that does not exec holds the pipe open, so the janitor cannot see the
 * owner die while it runs: it closes j->fd itself. */
void janitor_watch_group(const struct janitor *j, pid_t pgid);
/* Stops and reaps it (the owner has removed the directory, or wants it
 * removed now, and has ended its groups itself); idempotent. */
void janitor_stop(struct janitor *j);
/* Removes dir and everything below it (subfolders too). */
void janitor_remove_tree(const char *dir);

#endif /* RINGSIDE_MODEL_JANITOR_H */
