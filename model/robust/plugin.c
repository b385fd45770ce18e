/*
 * plugin.c - lib: targets of the robustness suite: a device model in a
 * shared library (ringside/device_model.h), loaded by the loader of
 * `ringside check` (model/check/plugin.c) and run as an in-process target
 * (inproc.c) over the simulated transport, modern.
 *
 *   lib:PATH[,OPTIONS]     OPTIONS go to ringside_dm_create unchanged
 *
 * The plug-in reaches guest memory only through the host's read and
 * write (check's, which refuse anything outside the arena); a plug-in that crashes
 * or hangs is not ours to trust, so the command line runs every case of
 * such a target in a child process (isolate.c): the case is then FAIL or
 * WEDGED and the report goes on.
 */
#include "robust.h"

#include "check.h"
#include "device.h"
#include "world.h"

#include <linux/errno.h>
#include <ringside/device_model.h>
#include <stdio.h>
#include <string.h>

/*
 * The device of the case running now. The in-process target runs one
 * case at a time per process (inproc.c keeps its state the same way),
 * and the transport hands step() and destroy() only the plug-in's own
 * context, so the host's side lives here.
 */
static struct lib_case {
	struct check_lib *lib;
	struct ringside_dm_host host;
	struct sim_env *env;
	struct simt_transport *t;
	const struct ringside_dm_ops *ops;
	void *ctx;
} cur;

/* The suite reads the used ring itself: interrupts change nothing. */
static void host_interrupt(void *ctx, unsigned int queue)
{
	(void)ctx;
	(void)queue;
}

static void host_config_changed(void *ctx)
{
	(void)ctx;
}

static uint64_t host_draw(void *ctx, uint64_t bound)
{
	struct lib_case *c = ctx;

	return choice_below(c->env->cs, bound ? bound : 1);
}

static int lib_create(const struct rb_inproc *ip, struct sim_env *env,
		      const struct ringside_dm_ops **ops, void **dev)
{
	char err[300];
	int e;

	memset(&cur, 0, sizeof(cur));
	cur.lib = (struct check_lib *)ip->arg;
	cur.env = env;
	cur.host.abi_version = RINGSIDE_DM_ABI_VERSION;
	cur.host.ctx = &cur;
	cur.host.read = check_guest_read;
	cur.host.write = check_guest_write;
	cur.host.interrupt = host_interrupt;
	cur.host.config_changed = host_config_changed;
	cur.host.draw = host_draw;
	e = check_lib_create(cur.lib, &cur.host, &cur.ops, &cur.ctx, err,
			     sizeof(err));
	if (e) {
		fprintf(stderr, "%s\n", err);
		return e;
	}
	*ops = cur.ops;
	*dev = cur.ctx;
	return 0;
}

static int lib_attach(const struct rb_inproc *ip, void *dev,
		      struct simt_transport *t)
{
	(void)ip;
	(void)dev;
	cur.t = t;
	return 0;
}

/* The device's turn: the kicks the transport holds for its queues, then
 * the work it deferred. Kicks are delivered in any device status: a
 * notification before DRIVER_OK is one of the attacks. */
static void lib_step(void *dev)
{
	unsigned int q;

	for (q = 0; cur.t && q < cur.t->nvqs; q++)
		simt_take_notify(cur.t, q);
	if (cur.ops->step)
		cur.ops->step(dev);
}

static void lib_destroy(void *dev)
{
	if (cur.ops && cur.ops->destroy)
		cur.ops->destroy(dev);
	memset(&cur, 0, sizeof(cur));
}

int rb_lib_target(const char *spec, struct rb_inproc *ip, struct rb_target *t,
		  char *err, size_t n)
{
	struct check_lib *lib;
	u32 device_id = 0;
	int e;

	if (strncmp(spec, "lib:", 4)) {
		snprintf(err, n, "\"%s\" is not a lib: target", spec);
		return -EINVAL;
	}
	e = check_lib_load(spec + 4, &lib, &device_id, err, n);
	if (e)
		return e;
	if (!rb_device_bit(device_id)) {
		snprintf(err, n,
			 "%s: device id %u: the suite attacks net 1, block 2, "
			 "console 3 and entropy 4",
			 spec, device_id);
		check_lib_unload(lib);
		return -EINVAL;
	}
	memset(ip, 0, sizeof(*ip));
	ip->name = spec;
	ip->device_id = device_id;
	ip->modern = true;
	ip->create = lib_create;
	ip->attach = lib_attach;
	ip->step = lib_step;
	ip->destroy = lib_destroy;
	ip->arg = lib;
	rb_inproc_target(ip, t);
	return 0;
}

void rb_lib_target_close(struct rb_inproc *ip)
{
	check_lib_unload((struct check_lib *)ip->arg);
	ip->arg = NULL;
}
