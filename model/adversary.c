/*
 * adversary.c - the behaviour catalogue and its configuration
 * (adversary.h).
 */
#include "adversary.h"

#include <assert.h>
#include <linux/errno.h>
#include <stdio.h>
#include <string.h>

#define ADV_INFO(id, name, legal, expect, text) { name, text, legal, expect },
static const struct adv_info adv_table[ADV_COUNT] = { ADV_CATALOGUE(ADV_INFO) };
#undef ADV_INFO

/* Swarm rates: from common to rare, out of ADV_RATE_DEN. */
static const u32 swarm_rates[] = { 256, 64, 16, 4 };

const struct adv_info *adv_info(enum adv_behaviour b)
{
	assert(b < ADV_COUNT);
	return &adv_table[b];
}

enum adv_behaviour adv_lookup(const char *name)
{
	unsigned int b;

	for (b = 0; b < ADV_COUNT; b++)
		if (strcmp(adv_table[b].name, name) == 0)
			return (enum adv_behaviour)b;
	return ADV_COUNT;
}

u32 adv_expect_faults(enum adv_expect expect)
{
	switch (expect) {
	case ADV_EXPECT_ID_RANGE:
		return 1u << VRING_FAULT_USED_ID_RANGE;
	case ADV_EXPECT_ID_OTHER:
		return 1u << VRING_FAULT_USED_ID_NOT_HEAD |
		       1u << VRING_FAULT_USED_ID_DUPLICATE;
	case ADV_EXPECT_IDX:
		return 1u << VRING_FAULT_USED_IDX_AHEAD |
		       1u << VRING_FAULT_USED_IDX_BACKWARDS;
	case ADV_EXPECT_DESC:
		return 1u << VRING_FAULT_DESC_REWRITTEN;
	case ADV_EXPECT_AVAIL:
		return 1u << VRING_FAULT_AVAIL_REWRITTEN;
	default:
		return 0;
	}
}

void adv_config_none(struct adversary *adv)
{
	memset(adv, 0, sizeof(*adv));
}

void adv_config_all(struct adversary *adv)
{
	unsigned int b;

	adv_config_none(adv);
	for (b = 0; b < ADV_COUNT; b++)
		adv->rate[b] = ADV_RATE_DEFAULT;
}

void adv_enable(struct adversary *adv, enum adv_behaviour b, u32 rate)
{
	assert(b < ADV_COUNT);
	assert(rate <= ADV_RATE_DEN);
	adv->rate[b] = rate;
}

void adv_config_swarm(struct adversary *adv, struct choice_source *cs)
{
	unsigned int b;

	adv_config_none(adv);
	for (b = 0; b < ADV_COUNT; b++) {
		if (!choice_chance(cs, 1, 2))
			continue;
		adv->rate[b] = swarm_rates[choice_below(
			cs, sizeof(swarm_rates) / sizeof(swarm_rates[0]))];
	}
}

static int parse_name(struct adversary *adv, const char *name, size_t len,
		      char *bad, size_t bad_len)
{
	char buf[64];
	enum adv_behaviour b;

	if (len == 0 || len >= sizeof(buf)) {
		b = ADV_COUNT;
	} else {
		memcpy(buf, name, len);
		buf[len] = '\0';
		b = adv_lookup(buf);
	}
	if (b == ADV_COUNT) {
		if (bad && bad_len)
			snprintf(bad, bad_len, "%.*s", (int)len, name);
		return -EINVAL;
	}
	adv->rate[b] = ADV_RATE_DEFAULT;
	return 0;
}

int adv_config_parse(struct adversary *adv, const char *spec, bool *swarm,
		     char *bad, size_t bad_len)
{
	const char *p = spec;

	adv_config_none(adv);
	*swarm = false;
	if (strcmp(spec, "none") == 0)
		return 0;
	if (strcmp(spec, "all") == 0) {
		adv_config_all(adv);
		return 0;
	}
	if (strcmp(spec, "swarm") == 0) {
		*swarm = true;
		return 0;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (parse_name(adv, p, len, bad, bad_len) != 0)
			return -EINVAL;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

bool adv_enabled(const struct adversary *adv, enum adv_behaviour b)
{
	assert(b < ADV_COUNT);
	return adv->rate[b] != 0;
}

bool adv_draw(struct adversary *adv, struct choice_source *cs,
	      enum adv_behaviour b)
{
	return adv_enabled(adv, b) &&
	       choice_chance(cs, adv->rate[b], ADV_RATE_DEN);
}

bool adv_fires(struct adversary *adv, struct choice_source *cs,
	       enum adv_behaviour b)
{
	if (!adv_draw(adv, cs, b))
		return false;
	adv->fired[b]++;
	return true;
}

void adv_count(struct adversary *adv, enum adv_behaviour b)
{
	assert(b < ADV_COUNT);
	adv->fired[b]++;
}

u64 adv_value(struct choice_source *cs, u64 lo, u64 hi, const u64 *edges,
	      unsigned int n)
{
	u64 inside[ADV_EDGES_MAX];
	unsigned int i, k = 0;

	assert(lo <= hi && n <= ADV_EDGES_MAX);
	for (i = 0; i < n; i++)
		if (edges[i] >= lo && edges[i] <= hi)
			inside[k++] = edges[i];
	if (k && !choice_chance(cs, 1, 2))
		return inside[choice_below(cs, k)];
	return choice_range(cs, lo, hi);
}
