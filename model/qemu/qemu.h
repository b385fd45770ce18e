/*
 * qemu.h - QEMU as a third-party device model: the launcher of one QEMU
 * instance, and the smoke runs of the unchanged workload drivers against
 * QEMU's own virtio-pci devices (one "cell": a device, a transport mode,
 * an interrupt mode).
 *
 * The launcher follows the recipe checked for QEMU as a third-party
 * device model: TCG with a halting BIOS (generated into the
 * instance's directory at start), guest RAM in a memfd that we map
 * MAP_SHARED and QEMU maps as memory-backend-file /proc/self/fd/N, and the
 * qtest protocol on a unix socket we listen on. The mapping becomes the guest-memory arena of the shim
 * (allocations from guest-physical 0x100000 up), so the ring runs
 * unchanged and QEMU reads and writes its rings and buffers directly.
 *
 * Every instance has its own directory (mkdtemp, /tmp/ringside-qemu-PID-*:
 * BIOS, sockets, QEMU's stderr, disk image), its own guest RAM memfd (no
 * name: it goes when we and QEMU are gone), a QEMU child that dies with
 * us (parent-death signal) and a janitor child that removes the directory
 * when we are gone, however we end (SIGKILL included). qemu_stop, called
 * on every exit path (qemu_start cleans up after itself when it fails),
 * terminates QEMU (SIGTERM, SIGKILL after a grace period), reaps it and
 * removes every file. Not thread-safe.
 */
#ifndef RINGSIDE_MODEL_QEMU_H
#define RINGSIDE_MODEL_QEMU_H

#include "devices.h"
#include "event_log.h"
#include "janitor.h"
#include "qtest.h"

#include <sys/types.h>

#define QEMU_BINARY "qemu-system-x86_64"
#define QEMU_APT_LINE                                                          \
	"apt-get install -y --no-install-recommends qemu-system-x86 "          \
	"qemu-utils"
#define QEMU_RAM_BYTES (32u << 20)
#define QEMU_ARENA_PHYS 0x100000u
#define QEMU_ARGS_MAX 48
#define QEMU_PATH_BYTES 256
#define QEMU_ERROR_BYTES 1024
#define QEMU_START_TIMEOUT_MS 10000
#define QEMU_STOP_GRACE_MS 2000
/* How long a lost connection waits for QEMU's exit, to report it. */
#define QEMU_EXIT_WAIT_MS 1000
#define QEMU_DIR_PREFIX "/tmp/ringside-qemu-"

struct qemu_options {
	/* Device arguments after the fixed ones; "@DIR@" in an argument is
	 * replaced by the instance's directory. */
	const char *args[QEMU_ARGS_MAX];
	unsigned int nargs;
	bool console_socket;	 /* listen on DIR/console.sock for a chardev */
	u64 disk_bytes;		 /* > 0: a zeroed DIR/disk.img of this size */
	unsigned int timeout_ms; /* start-up and each qtest reply; 0: default */
};

#define QEMU_ECHO_BYTES (64u << 10)

struct qemu {
	pid_t pid;  /* 0: not running (or reaped) */
	int status; /* wait status once reaped */
	bool reaped;
	char dir[QEMU_PATH_BYTES];
	int ram_fd;		/* the guest RAM memfd */
	struct janitor janitor; /* removes dir when we are gone */
	int listen_fd, console_listen_fd;
	int console_fd; /* the chardev's connection, -1 without one */
	/* Console bytes read from the chardev, not yet written back
	 * (qemu_console_echo). */
	u8 echo[QEMU_ECHO_BYTES];
	size_t echo_len;
	void *mem; /* guest RAM, QEMU_RAM_BYTES, MAP_SHARED */
	struct qtest qt;
	double startup_ms; /* exec to the first qtest reply */
	char error[QEMU_ERROR_BYTES];
};

/* Adds one argument (copied by pointer: it must outlive the start).
 * Returns 0 or -E2BIG. */
int qemu_opt_add(struct qemu_options *o, const char *arg);

/*
 * Starts QEMU and connects qtest. Returns 0, or a negative errno with a
 * message in qm->error: -ENOENT QEMU is not installed (the message gives
 * the apt line), -ECHILD QEMU exited early (its status and the tail of
 * its stderr), -ETIMEDOUT it did not connect in time, other errors of
 * the system. On failure nothing is left behind (qemu_stop is still
 * allowed).
 */
int qemu_start(struct qemu *qm, const struct qemu_options *o);
/* The console's chardev as an echo: what QEMU sent is written back, as
 * much as the socket takes now (never blocks). Returns the bytes written
 * back. */
size_t qemu_console_echo(struct qemu *qm);
/* Terminates and reaps QEMU and removes its files; idempotent. The arena
 * must no longer use the mapping (shim_arena_destroy first). */
void qemu_stop(struct qemu *qm);
/* True while QEMU runs; reaps it (and records why) once it has exited. */
bool qemu_alive(struct qemu *qm);
/* Waits up to ms for QEMU to exit; true when it has (and is reaped). */
bool qemu_wait_exit(struct qemu *qm, unsigned int ms);
/* "exited with status N" / "killed by signal N" plus the tail of its
 * stderr, into buf. */
void qemu_describe_exit(struct qemu *qm, char *buf, size_t n);
/* Whether the QEMU binary can be found on PATH. */
bool qemu_installed(void);

/* --- smoke runs ------------------------------------------------------------ */

enum qemu_device {
	QEMU_DEV_ENTROPY = 0,
	QEMU_DEV_BLOCK,
	QEMU_DEV_CONSOLE,
	QEMU_DEV_NET,
	QEMU_DEV_COUNT
};

enum qemu_mode { QEMU_MODE_LEGACY = 0, QEMU_MODE_MODERN, QEMU_MODE_COUNT };
enum qemu_irq { QEMU_IRQ_POLL = 0, QEMU_IRQ_INTX, QEMU_IRQ_COUNT };

struct qemu_cell;
struct vpci;

struct qemu_cell_config {
	enum qemu_device device;
	enum qemu_mode mode;
	enum qemu_irq irq;
	u64 seed;		 /* the driver's choice source */
	u64 requests;		 /* completions wanted; 0: 20 */
	unsigned int timeout_ms; /* the whole cell; 0: 20000 */
	unsigned int request_ms; /* no completion for this long with
				   * requests outstanding: timed out;
				   * 0: 3000 */
	struct event_log *log;	 /* optional: also store events here */
	/* For tests: QEMU is started with these devices instead (missing
	 * device), the transport notifies nowhere (a device that never
	 * answers), and a hook runs after every scheduler step. */
	const char *const *qemu_args_override;
	bool notify_nowhere;
	void (*on_step)(void *ctx, struct qemu_cell *cell, u64 step);
	void *on_step_ctx;
	/* Optional: told of every call the driver makes on a queue right
	 * after it (sim_env's observe; ringside check watches the rings). */
	void (*observe)(void *ctx, struct qemu_cell *cell, unsigned int q,
			enum sim_call call, u64 result);
	void *observe_ctx;
	/* ringside check: the block workload also reads past the capacity
	 * (wl_driver.check_out_of_range). */
	bool check_out_of_range;
	/* ringside check: the net workload varies the layout of its
	 * transmit buffers (wl_driver.check_framings). */
	bool check_framings;
	/* Optional: called once the driver's remove has reset the device
	 * and let its queues go (a driver that bound, QEMU still
	 * answering), before the transport is destroyed: ringside check
	 * reads the registers the reset left. */
	void (*after_remove)(void *ctx, struct qemu_cell *cell);
	void *after_remove_ctx;
};

struct qemu_cell_result {
	bool passed;
	char message[QEMU_ERROR_BYTES]; /* why it failed, "" on pass */
	const char *oracle; /* the oracle that fired, NULL if none did */
	bool bound;
	u64 features; /* negotiated */
	u64 completed, bytes, data_checked;
	u64 steps, events, event_hash;
	u64 choices;	       /* draws from the choice source */
	u64 kicks, interrupts; /* notifies written, interrupts handled */
	double startup_ms, run_ms, total_ms;
	double rtt_us; /* mean kick-to-completion time */
	u64 rtt_samples;
	u64 qtest_requests;
	double qtest_us; /* mean qtest round trip */
};

/* One device's arguments, as every cell and every robustness case makes
 * them: the device in mode, block on a 1 MiB raw DIR/disk.img with
 * serial ringside-blk, console a virtconsole on DIR/console.sock (we
 * listen), net on a datagram socket that sends to itself. The strings
 * live in args, which must outlive the start. Returns 0 or -E2BIG. */
#define QEMU_DEVICE_ARGS 3
#define QEMU_DEVICE_ARG_BYTES 512
#define QEMU_DEVICE_DISK_BYTES (1u << 20)
struct qemu_device_args {
	char arg[QEMU_DEVICE_ARGS][QEMU_DEVICE_ARG_BYTES];
};
int qemu_device_options(enum qemu_device device, enum qemu_mode mode,
			struct qemu_device_args *args, struct qemu_options *o);

/* The running cell, for the on_step hook: its QEMU. */
struct qemu *qemu_cell_qemu(struct qemu_cell *cell);
/* ... and its transport (queues, negotiated features). */
struct vpci *qemu_cell_transport(struct qemu_cell *cell);

/* Runs one cell (see the top). Returns 0 with the verdict in result, or
 * -EINVAL for bad arguments. Owns the shim while it runs, like sim_run. */
int qemu_run_cell(const struct qemu_cell_config *cfg,
		  struct qemu_cell_result *result);

const char *qemu_device_name(enum qemu_device d);
const char *qemu_mode_name(enum qemu_mode m);
const char *qemu_irq_name(enum qemu_irq i);
/* QEMU_DEV_COUNT (..._COUNT) for an unknown name. */
enum qemu_device qemu_device_lookup(const char *name);
enum qemu_mode qemu_mode_lookup(const char *name);
enum qemu_irq qemu_irq_lookup(const char *name);

#endif /* RINGSIDE_MODEL_QEMU_H */
