/*
 * plugin.c - the lib: target kind: a device model in a shared library,
 * loaded with dlopen and driven through ringside/device_model.h.
 *
 *   lib:PATH[,OPTIONS]     OPTIONS go to ringside_dm_create unchanged
 *
 * Opening checks the two symbols and the ABI version and makes one
 * device to learn its type; every case then makes a fresh device, in a
 * child process of its own (case_fork.h): a crash or hang fails that
 * case (dev.survives) and the report goes on.
 */
#include "case_fork.h"
#include "check.h"
#include "inproc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_lib {
	void *handle;
	ringside_dm_create_fn *create;
	char path[400];
	const char *options;
};

int check_lib_create(struct check_lib *l, const struct ringside_dm_host *host,
		     const struct ringside_dm_ops **ops, void **ctx, char *err,
		     size_t errlen)
{
	int ret;

	*ops = NULL;
	*ctx = NULL;
	ret = l->create(host, l->options, ops, ctx);
	if (ret) {
		snprintf(err, errlen, "%s: ringside_dm_create failed (%d, %s)",
			 l->path, ret, strerror(ret < 0 ? -ret : ret));
		return ret < 0 ? ret : -ret;
	}
	if (!*ops) {
		snprintf(err, errlen, "%s: ringside_dm_create gave no ops",
			 l->path);
		return -EINVAL;
	}
	if ((*ops)->abi_version != RINGSIDE_DM_ABI_VERSION) {
		snprintf(err, errlen,
			 "%s: ops->abi_version is %u, this ringside speaks %u",
			 l->path, (*ops)->abi_version, RINGSIDE_DM_ABI_VERSION);
		if ((*ops)->destroy)
			(*ops)->destroy(*ctx);
		*ops = NULL;
		return -EPROTO;
	}
	if ((*ops)->num_queues < 1 ||
	    (*ops)->num_queues > RINGSIDE_DM_MAX_QUEUES) {
		snprintf(err, errlen, "%s: num_queues %u (1 to %u)", l->path,
			 (*ops)->num_queues, RINGSIDE_DM_MAX_QUEUES);
		if ((*ops)->destroy)
			(*ops)->destroy(*ctx);
		*ops = NULL;
		return -EINVAL;
	}
	return 0;
}

static int lib_create(void *maker_ctx, struct sim_env *env,
		      struct simt_transport *t,
		      const struct ringside_dm_host *host,
		      const struct ringside_dm_ops **ops, void **ctx, char *err,
		      size_t errlen)
{
	(void)env;
	(void)t;
	return check_lib_create(maker_ctx, host, ops, ctx, err, errlen);
}

#define LIB_CASE_TIMEOUT_MS 60000

static int lib_case(void *arg, struct check_case *c)
{
	struct check_target *t = arg;
	struct inproc_maker mk = {
		.create = lib_create,
		.maker_ctx = t->priv,
	};

	return inproc_run_case(&mk, t->steps, c);
}

/* Each case in its own process (case_fork.h): the plug-in is not ours. */
static int lib_run_case(struct check_target *t, struct check_case *c)
{
	return check_isolated(lib_case, t, c, LIB_CASE_TIMEOUT_MS);
}

static int lib_symbols(struct check_lib *l, char *err, size_t errlen)
{
	const uint32_t *abi;

	abi = dlsym(l->handle, RINGSIDE_DM_ABI_SYMBOL);
	if (!abi) {
		snprintf(err, errlen,
			 "%s: no symbol '%s': not a ringside device model "
			 "(define it with RINGSIDE_DM_PLUGIN_VERSION)",
			 l->path, RINGSIDE_DM_ABI_SYMBOL);
		return -ENOENT;
	}
	if (*abi != RINGSIDE_DM_ABI_VERSION) {
		snprintf(err, errlen,
			 "%s: built for device-model ABI version %u, this "
			 "ringside speaks version %u: rebuild it against this "
			 "ringside's <ringside/device_model.h>",
			 l->path, *abi, RINGSIDE_DM_ABI_VERSION);
		return -EPROTO;
	}
	*(void **)&l->create = dlsym(l->handle, RINGSIDE_DM_CREATE_SYMBOL);
	if (!l->create) {
		snprintf(err, errlen, "%s: no symbol '%s'", l->path,
			 RINGSIDE_DM_CREATE_SYMBOL);
		return -ENOENT;
	}
	return 0;
}

static int idle_io(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	(void)ctx;
	(void)gpa;
	(void)buf;
	(void)len;
	return -1;
}

static int idle_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	return idle_io(ctx, gpa, (void *)buf, len);
}

static void idle_interrupt(void *ctx, unsigned int queue)
{
	(void)ctx;
	(void)queue;
}

static void idle_config(void *ctx)
{
	(void)ctx;
}

static uint64_t idle_draw(void *ctx, uint64_t bound)
{
	(void)ctx;
	(void)bound;
	return 0;
}

static const struct ringside_dm_host idle_host = {
	.abi_version = RINGSIDE_DM_ABI_VERSION,
	.read = idle_io,
	.write = idle_write,
	.interrupt = idle_interrupt,
	.config_changed = idle_config,
	.draw = idle_draw,
};

int check_lib_load(const char *spec, struct check_lib **out, u32 *device_id,
		   char *err, size_t errlen)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	struct check_lib *l = calloc(1, sizeof(*l));
	const struct ringside_dm_ops *ops;
	void *ctx = NULL;
	int ret;

	*out = NULL;
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (n == 0 || n >= sizeof(l->path)) {
		snprintf(err, errlen, "lib: give the path of a shared library");
		check_lib_unload(l);
		return -EINVAL;
	}
	snprintf(l->path, sizeof(l->path), "%.*s", (int)n, spec);
	l->options = comma ? comma + 1 : "";
	l->handle = dlopen(l->path, RTLD_NOW | RTLD_LOCAL);
	if (!l->handle) {
		snprintf(err, errlen, "lib: cannot load: %s", dlerror());
		check_lib_unload(l);
		return -ENOENT;
	}
	ret = lib_symbols(l, err, errlen);
	if (ret) {
		check_lib_unload(l);
		return ret;
	}
	/* One device, to learn its type; it runs nothing. */
	ops = NULL;
	ret = l->create(&idle_host, l->options, &ops, &ctx);
	if (ret || !ops) {
		snprintf(err, errlen,
			 "%s: ringside_dm_create('%s') failed (%d, %s)",
			 l->path, l->options, ret,
			 strerror(ret < 0 ? -ret : ret));
		check_lib_unload(l);
		return ret ? ret : -EINVAL;
	}
	*device_id = ops->device_id;
	if (ops->destroy)
		ops->destroy(ctx);
	*out = l;
	return 0;
}

void check_lib_unload(struct check_lib *l)
{
	if (l && l->handle)
		dlclose(l->handle);
	free(l);
}

static int lib_open(struct check_target *t, const char *spec, char *err,
		    size_t errlen)
{
	struct check_lib *l;
	int ret = check_lib_load(spec, &l, &t->device_id, err, errlen);

	if (ret)
		return ret;
	t->priv = l;
	t->modes = CHECK_BOTH;
	return 0;
}

static void lib_close(struct check_target *t)
{
	check_lib_unload(t->priv);
	t->priv = NULL;
}

const struct check_target_kind check_target_lib = {
	.prefix = "lib",
	.usage = "lib:PATH[,OPTIONS]",
	.summary = "a device model in a shared library "
		   "(ringside/device_model.h); OPTIONS go to its create",
	.deterministic = true,
	.open = lib_open,
	.run = lib_run_case,
	.close = lib_close,
};
