/*
 * devices.h - what the world shares with its device models (host side,
 * device.h) and workload drivers (guest side, driver.h): the environment
 * of a run (choice source, event log, oracle, current step) and the
 * numbering of actors and event kinds. The numbers are part of the trace
 * format: append, never renumber.
 *
 * Events never carry pointers: tokens are named by their driver's slot
 * id, descriptors by ring index, buffers by guest-physical address.
 */
#ifndef RINGSIDE_MODEL_DEVICES_H
#define RINGSIDE_MODEL_DEVICES_H

#include "choice.h"
#include "event_log.h"
#include "oracle.h"
#include "sim_transport.h"

struct scatterlist;

/* Seed-API calls whose effect on the ring the device checks right after
 * the driver made them (device.h note 5). */
enum sim_call {
	SIM_CALL_ADD,		    /* result: add_buf's return value */
	SIM_CALL_KICK,		    /* result: 0 (the transport counts) */
	SIM_CALL_DISABLE_CB,	    /* result: 0 */
	SIM_CALL_ENABLE_CB,	    /* result: what it returned */
	SIM_CALL_ENABLE_CB_DELAYED, /* result: what it returned */
	SIM_CALL_GET_BUF,	    /* result: 1 when it returned a token */
};

struct sim_env {
	struct choice_source *cs;
	struct event_log *log;
	struct oracle *oracle;
	u64 step;
	/* Optional: told of every sim_call the driver makes. */
	void (*observe)(void *ctx, unsigned int q, enum sim_call call,
			u64 result);
	void *observe_ctx;
	/* Optional: the buffers of a chain about to be added to queue q
	 * (out readable entries, then in writable ones), before the ring
	 * publishes it; with observe_ctx. A checker of a device that runs
	 * on its own threads prepares them here, before the device can see
	 * them. */
	void (*before_add)(void *ctx, unsigned int q,
			   const struct scatterlist *sg, unsigned int out,
			   unsigned int in);
	/* Optional: the semantics oracle (semantics.h), told of every call
	 * by the workload driver; and the world's count of failed
	 * allocations it needs. */
	struct sem_model *sem;
	u64 alloc_fails;
	/* Optional: the config oracle (config_oracle.h), told of every
	 * virtio_cread_bytes of the workload driver (wl_config_read). */
	struct cfg_oracle *config;
	/* Optional: called with observe_ctx when the workload driver's probe
	 * begins with vdev (the registry oracle checks that the driver's id
	 * table matches it and the status it finds). */
	void (*probing)(void *ctx, struct virtio_device *vdev);
};

static inline void sim_observe(struct sim_env *env, unsigned int q,
			       enum sim_call call, u64 result)
{
	if (env->observe)
		env->observe(env->observe_ctx, q, call, result);
}

static inline void sim_before_add(struct sim_env *env, unsigned int q,
				  const struct scatterlist *sg,
				  unsigned int out, unsigned int in)
{
	if (env->before_add)
		env->before_add(env->observe_ctx, q, sg, out, in);
}

enum sim_actor {
	SIM_ACTOR_WORLD = 0,
	SIM_ACTOR_DRIVER,
	SIM_ACTOR_DEVICE,
	SIM_ACTOR_IRQ,
	SIM_ACTOR_SPURIOUS,
	SIM_ACTOR_CONFIG,
	SIM_ACTOR_FRONT, /* the robustness suite's raw ring writer */
	SIM_ACTOR_COUNT
};

enum sim_event_kind {
	SIM_EV_RUN_START = 0, /* a = mode, b = features offered, c = device */
	SIM_EV_PROBE,	      /* a = status after registration, b = bound,
			       * c = error; queue: 0 the world's device,
			       * 1 + n its bystander n (world.c) */
	SIM_EV_STEP,	      /* a = actor chosen, b = forced by fairness */
	SIM_EV_ADD,	      /* a = token, b = bytes, c = add_buf's result */
	SIM_EV_ADD_NOMEM,     /* a = bytes the buffer would have had */
	SIM_EV_KICK,	      /* a = 0 kick, 1 prepare+notify; b = notified */
	SIM_EV_GET_BUF,	      /* a = token, b = len */
	SIM_EV_DISABLE_CB,
	SIM_EV_ENABLE_CB,	  /* a = result */
	SIM_EV_ENABLE_CB_DELAYED, /* a = result */
	SIM_EV_CALLBACK,	  /* a = tokens collected */
	SIM_EV_DEV_KICK,	  /* a = kick taken */
	SIM_EV_DEV_FETCH,	  /* a = head, b = avail idx */
	SIM_EV_DEV_COMPLETE,	  /* a = head, b = len, c = used idx after */
	SIM_EV_IRQ,		  /* a = queue, b = irqreturn */
	SIM_EV_CONFIG_CHANGE,	  /* a = generation */
	SIM_EV_DETACH,		  /* a = token */
	SIM_EV_ALLOC_FAIL,	  /* a = size */
	SIM_EV_FAIL,		  /* an oracle fired */
	SIM_EV_RUN_END,		  /* a = tokens added, b = got, c = detached */
	SIM_EV_ADVERSARY,   /* a = behaviour (adversary.h), b, c: detail */
	SIM_EV_UNPLUG,	    /* a = tokens outstanding, b = steps away;
			     * c = 1: the driver left, not the device;
			     * queue 1 + n: bystander n left */
	SIM_EV_REPLUG,	    /* a = status after registration */
	SIM_EV_CHECK,	    /* a = fault seen, b = expected mask */
	SIM_EV_DRIVER_RULE, /* a = head, b = rules broken so far (device.h
			     * note 6) */
	/* A robustness case, as its front end saw it (model/robust/;
	 * step: the case's phase, 0 the attack, then each honest
	 * request; queue: the queue written or read). */
	SIM_EV_FRONT_STATUS,	/* a = status written (0: a reset) */
	SIM_EV_FRONT_FEATURES,	/* a = offered, b = accepted */
	SIM_EV_FRONT_QUEUE,	/* a = size; set up by find_vqs */
	SIM_EV_FRONT_DESC,	/* a = addr, b = len, c = index | flags << 16
				* | next << 32 | 1 << 48 in an indirect table */
	SIM_EV_FRONT_AVAIL,	/* a = avail slot (free running), b = head */
	SIM_EV_FRONT_AVAIL_IDX, /* a = avail idx published */
	SIM_EV_FRONT_NOTIFY,	/* a = the queue index written */
	SIM_EV_FRONT_USED, /* a = id, b = len, c = used slot (free running) */
	SIM_EV_FRONT_VERDICT, /* a = enum rb_verdict */
	SIM_EV_COUNT
};

/* The end of a run (world.c): the leak check of the arena, then the fail
 * event (when an oracle fired) and the run-end event. */
void sim_end_run(struct sim_env *env);

void sim_emit(struct sim_env *env, u16 actor, u16 kind, u16 queue, u64 a, u64 b,
	      u64 c);

#endif /* RINGSIDE_MODEL_DEVICES_H */
