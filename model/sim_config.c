/*
 * sim_config.c - a run's configuration as one line of text (world.h), so
 * that a recorded run can be run again exactly as it was:
 *
 *   device=NAME steps=N stall=N adversary=SPEC plants=NAME,NAME
 *
 * SPEC is "none", "swarm", or NAME:RATE,NAME:RATE (the behaviours of
 * adversary.h with their rates out of ADV_RATE_DEN). Fields are separated
 * by single spaces and always written in this order; the parser takes
 * them in any order, each at most once, and rejects anything else.
 */
#include "world.h"

#include <linux/errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	size_t offset;
} plants[SIM_PLANT_COUNT] = {
	{ "lost-token", offsetof(struct sim_config, plant_lost_token) },
	{ "device-stall", offsetof(struct sim_config, plant_device_stall) },
	{ "deaf-driver", offsetof(struct sim_config, plant_deaf_driver) },
	{ "corrupt-data", offsetof(struct sim_config, plant_corrupt_data) },
	{ "driver-rule", offsetof(struct sim_config, plant_driver_rule) },
	{ "false-break", offsetof(struct sim_config, plant_false_break) },
	{ "accept-foreign", offsetof(struct sim_config, plant_accept_foreign) },
	{ "null-token", offsetof(struct sim_config, plant_null_token) },
	{ "leak", offsetof(struct sim_config, plant_leak) },
	{ "double-return", offsetof(struct sim_config, plant_double_return) },
};

const char *sim_plant_name(enum sim_plant plant)
{
	return plant < SIM_PLANT_COUNT ? plants[plant].name : NULL;
}

enum sim_plant sim_plant_lookup(const char *name, size_t len)
{
	unsigned int p;

	for (p = 0; p < SIM_PLANT_COUNT; p++)
		if (strlen(plants[p].name) == len &&
		    strncmp(plants[p].name, name, len) == 0)
			return (enum sim_plant)p;
	return SIM_PLANT_COUNT;
}

static bool *plant_flag(struct sim_config *cfg, enum sim_plant plant)
{
	return (bool *)((char *)cfg + plants[plant].offset);
}

void sim_plant_set(struct sim_config *cfg, enum sim_plant plant, bool on)
{
	*plant_flag(cfg, plant) = on;
}

bool sim_plant_get(const struct sim_config *cfg, enum sim_plant plant)
{
	return *plant_flag((struct sim_config *)cfg, plant);
}

/* Appends to buf at *len, snprintf-style (the length counts on). */
__attribute__((format(printf, 4, 5))) static void
put(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(*len < n ? buf + *len : NULL, *len < n ? n - *len : 0,
		      fmt, ap);
	va_end(ap);
	if (k > 0)
		*len += (size_t)k;
}

static void format_adversary(const struct sim_config *cfg, char *buf, size_t n,
			     size_t *len)
{
	const struct adversary *adv = cfg->adversary;
	bool first = true;
	unsigned int b;

	if (cfg->swarm) {
		put(buf, n, len, "swarm");
		return;
	}
	for (b = 0; adv && b < ADV_COUNT; b++) {
		if (!adv->rate[b])
			continue;
		put(buf, n, len, "%s%s:%u", first ? "" : ",", adv_info(b)->name,
		    adv->rate[b]);
		first = false;
	}
	if (first)
		put(buf, n, len, "none");
}

size_t sim_config_format(const struct sim_config *cfg, char *buf, size_t n)
{
	size_t len = 0;
	bool first = true;
	unsigned int p;

	if (n)
		buf[0] = '\0';
	put(buf, n, &len, "device=%s", sim_device_name(cfg->device));
	put(buf, n, &len, " steps=%llu",
	    (unsigned long long)(cfg->steps_max ? cfg->steps_max
						: SIM_STEPS_DEFAULT));
	put(buf, n, &len, " stall=%llu",
	    (unsigned long long)(cfg->stall_steps ? cfg->stall_steps
						  : SIM_STALL_STEPS_DEFAULT));
	put(buf, n, &len, " adversary=");
	format_adversary(cfg, buf, n, &len);
	put(buf, n, &len, " plants=");
	for (p = 0; p < SIM_PLANT_COUNT; p++) {
		if (!sim_plant_get(cfg, (enum sim_plant)p))
			continue;
		put(buf, n, &len, "%s%s", first ? "" : ",", plants[p].name);
		first = false;
	}
	return len;
}

static int fail(char *err, size_t errlen, const char *what, const char *at)
{
	if (err && errlen)
		snprintf(err, errlen, "bad configuration: %s at '%.40s'", what,
			 at);
	return -EINVAL;
}

/* A decimal u64 ending at a space or the end; advances *p. */
static bool parse_u64(const char **p, u64 *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	*v = strtoull(*p, &end, 10);
	if (*end && *end != ' ')
		return false;
	*p = end;
	return true;
}

/* A step count: 1 .. SIM_STEPS_MAX. */
static bool parse_count(const char **p, u64 *v)
{
	return parse_u64(p, v) && *v >= 1 && *v <= SIM_STEPS_MAX;
}

static size_t word_len(const char *p, const char *stops)
{
	return strcspn(p, stops);
}

static int parse_rates(const char **p, struct adversary *adv, char *err,
		       size_t errlen)
{
	for (;;) {
		size_t len = word_len(*p, ":, ");
		char name[64];
		enum adv_behaviour b;
		u64 rate;

		if (len == 0 || len >= sizeof(name) || (*p)[len] != ':')
			return fail(err, errlen, "expected NAME:RATE", *p);
		memcpy(name, *p, len);
		name[len] = '\0';
		b = adv_lookup(name);
		if (b == ADV_COUNT)
			return fail(err, errlen, "unknown behaviour", *p);
		*p += len + 1;
		rate = strtoull(*p, (char **)p, 10);
		if (rate == 0 || rate > ADV_RATE_DEN)
			return fail(err, errlen, "rate out of range", *p);
		adv->rate[b] = (u32)rate;
		if (**p != ',')
			return 0;
		(*p)++;
	}
}

static int parse_adversary(const char **p, struct sim_config *cfg,
			   struct adversary *adv, char *err, size_t errlen)
{
	adv_config_none(adv);
	cfg->adversary = adv;
	cfg->swarm = false;
	if (strncmp(*p, "swarm", 5) == 0 && word_len(*p, " ") == 5) {
		cfg->swarm = true;
		*p += 5;
		return 0;
	}
	if (strncmp(*p, "none", 4) == 0 && word_len(*p, " ") == 4) {
		*p += 4;
		return 0;
	}
	return parse_rates(p, adv, err, errlen);
}

static int parse_plants(const char **p, struct sim_config *cfg, char *err,
			size_t errlen)
{
	while (**p && **p != ' ') {
		size_t len = word_len(*p, ", ");
		enum sim_plant plant = sim_plant_lookup(*p, len);

		if (plant == SIM_PLANT_COUNT)
			return fail(err, errlen, "unknown plant", *p);
		sim_plant_set(cfg, plant, true);
		*p += len;
		if (**p == ',')
			(*p)++;
	}
	return 0;
}

static int parse_device(const char **p, struct sim_config *cfg, char *err,
			size_t errlen)
{
	size_t len = word_len(*p, " ");
	char name[16];

	if (len == 0 || len >= sizeof(name))
		return fail(err, errlen, "bad device", *p);
	memcpy(name, *p, len);
	name[len] = '\0';
	cfg->device = sim_device_lookup(name);
	if (cfg->device == SIM_DEVICE_COUNT)
		return fail(err, errlen, "unknown device", *p);
	*p += len;
	return 0;
}

static int parse_field(const char **p, struct sim_config *cfg,
		       struct adversary *adv, unsigned int *seen, char *err,
		       size_t errlen)
{
	static const char *const keys[] = { "device=", "steps=", "stall=",
					    "adversary=", "plants=" };
	unsigned int k;

	for (k = 0; k < 5; k++)
		if (strncmp(*p, keys[k], strlen(keys[k])) == 0)
			break;
	if (k == 5)
		return fail(err, errlen, "unknown field", *p);
	if (*seen & (1u << k))
		return fail(err, errlen, "field given twice", *p);
	*seen |= 1u << k;
	*p += strlen(keys[k]);
	switch (k) {
	case 0:
		return parse_device(p, cfg, err, errlen);
	case 1:
		return parse_count(p, &cfg->steps_max)
			       ? 0
			       : fail(err, errlen, "bad steps", *p);
	case 2:
		return parse_count(p, &cfg->stall_steps)
			       ? 0
			       : fail(err, errlen, "bad stall", *p);
	case 3:
		return parse_adversary(p, cfg, adv, err, errlen);
	default:
		return parse_plants(p, cfg, err, errlen);
	}
}

int sim_config_parse(const char *text, struct sim_config *cfg,
		     struct adversary *adv, char *err, size_t errlen)
{
	const char *p = text;
	unsigned int seen = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	adv_config_none(adv);
	cfg->adversary = adv;
	while (*p) {
		ret = parse_field(&p, cfg, adv, &seen, err, errlen);
		if (ret)
			return ret;
		if (*p == ' ')
			p++;
		else if (*p)
			return fail(err, errlen, "expected a space", p);
	}
	if (!(seen & 1))
		return fail(err, errlen, "no device", text);
	return 0;
}
