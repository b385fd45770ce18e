/*
 * engine.c - runs the catalogue against a target: the cases (seeds times
 * transport modes), then one verdict per requirement (check.h note 2).
 */
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_SEEDS_DEFAULT 8

static const char *mode_name(int mode)
{
	return mode == CHECK_MODERN ? "1.x" : "legacy";
}

/* Why entry i does not apply to the target at all, or NULL. */
static const char *not_applicable(const struct check_target *t,
				  const struct check_req *q, char *buf,
				  size_t n)
{
	const char *why = NULL;

	if (q->devices && !(q->devices & CHECK_DEV(t->device_id))) {
		snprintf(buf, n, "not a device of this type (device id %u)",
			 t->device_id);
		return buf;
	}
	if (q->transport && !(q->transport & t->kind->transport)) {
		snprintf(buf, n,
			 "a rule of the virtio-pci transport's registers; "
			 "this target's transport has none (qemu: targets "
			 "check it)");
		return buf;
	}
	if (!(q->modes & t->modes)) {
		snprintf(buf, n, "applies to %s only; the target runs %s",
			 q->modes == CHECK_MODERN ? "1.x" : "legacy",
			 t->modes == CHECK_MODERN ? "1.x" : "legacy");
		return buf;
	}
	if (t->kind->observes &&
	    !t->kind->observes(t, (int)(q - check_catalogue), &why)) {
		snprintf(buf, n, "%s", why ? why : "not observable here");
		return buf;
	}
	return NULL;
}

static bool selected(const struct check_options *o, unsigned int i)
{
	return !o->only_set || o->only[i];
}

static void fold_case(struct check_report *rep, const struct check_case *c)
{
	unsigned int i;

	for (i = 0; i < check_catalogue_size; i++) {
		struct check_result *r = &rep->r[i];

		if (r->verdict == CHECK_SKIP && r->why[0])
			continue; /* not applicable */
		r->cases++;
		if (c->exercised[i])
			r->exercised++;
		if (!c->violated[i])
			continue;
		r->violations++;
		if (!r->has_evidence) {
			r->has_evidence = true;
			r->ev = c->ev[i];
		}
	}
}

static void decide(struct check_report *rep, const struct check_options *o)
{
	unsigned int i;

	for (i = 0; i < check_catalogue_size; i++) {
		struct check_result *r = &rep->r[i];

		if (!selected(o, i)) {
			r->verdict = CHECK_SKIP;
			snprintf(r->why, sizeof(r->why),
				 "not selected (--only)");
		} else if (r->verdict == CHECK_SKIP && r->why[0]) {
			/* not applicable: keep the reason */
		} else if (r->violations) {
			r->verdict = check_catalogue[i].level == CHECK_MUST
					     ? CHECK_FAIL
					     : CHECK_WARN;
		} else if (r->exercised) {
			r->verdict = CHECK_PASS;
		} else {
			r->verdict = CHECK_SKIP;
			snprintf(r->why, sizeof(r->why),
				 "nothing to observe in %u cases", r->cases);
		}
		switch (r->verdict) {
		case CHECK_PASS:
			rep->pass++;
			break;
		case CHECK_FAIL:
			rep->fail++;
			break;
		case CHECK_WARN:
			rep->warn++;
			break;
		case CHECK_SKIP:
			rep->skip++;
			break;
		}
	}
}

static void mark_inapplicable(struct check_target *t, struct check_report *rep)
{
	unsigned int i;

	for (i = 0; i < check_catalogue_size; i++) {
		struct check_result *r = &rep->r[i];

		if (not_applicable(t, &check_catalogue[i], r->why,
				   sizeof(r->why)))
			r->verdict = CHECK_SKIP;
		else
			r->why[0] = '\0';
	}
}

int check_run(struct check_target *t, const struct check_options *o,
	      struct check_report *rep, char *err, size_t errlen)
{
	static const int modes[] = { CHECK_LEGACY, CHECK_MODERN };
	unsigned int seeds = o->seeds		? o->seeds
			     : t->seeds_default ? t->seeds_default
						: CHECK_SEEDS_DEFAULT;
	unsigned int m, s, total = 0, done = 0;
	struct check_case *c;
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->target, sizeof(rep->target), "%s:%.*s", t->kind->prefix,
		 (int)(sizeof(rep->target) - 16), t->spec);
	rep->seed = o->seed;
	rep->device_id = t->device_id;
	mark_inapplicable(t, rep);
	c = malloc(sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (m = 0; m < 2; m++)
		if (t->modes & modes[m])
			total += seeds;
	for (m = 0; m < 2 && !ret; m++) {
		if (!(t->modes & modes[m]))
			continue;
		for (s = 0; s < seeds && !ret; s++) {
			memset(c, 0, sizeof(*c));
			c->seed = o->seed + s;
			c->mode = modes[m];
			ret = t->kind->run(t, c);
			if (!ret && c->crashed)
				check_violation(c, check_index("dev.survives"),
						0, 0, 0, 0, "%s", c->crash);
			else if (!ret)
				c->exercised[check_index("dev.survives")] =
					true;
			if (ret) {
				snprintf(err, errlen, "%s, seed %llu: %s",
					 mode_name(c->mode),
					 (unsigned long long)c->seed,
					 c->setup_error);
				break;
			}
			fold_case(rep, c);
			rep->cases++;
			if (o->progress)
				o->progress(o->progress_ctx, ++done, total);
		}
	}
	free(c);
	if (!ret)
		decide(rep, o);
	return ret;
}

/* The case that showed result i, run again with its events kept (note 4);
 * false when the target cannot make it again or it did not show i. */
static bool rerun(struct check_target *t, const struct check_result *r,
		  unsigned int i, struct check_case *c, int *ret)
{
	*ret = 0;
	if (!t->kind->deterministic)
		return false;
	memset(c, 0, sizeof(*c));
	c->seed = r->ev.seed;
	c->mode = r->ev.mode;
	c->keep_trail = true;
	*ret = t->kind->run(t, c);
	if (*ret)
		return false;
	if (c->crashed)
		return check_index("dev.survives") == (int)i;
	return c->violated[i];
}

int check_record_evidence(struct check_target *t, struct check_report *rep,
			  check_record_fn *record, void *ctx, char *err,
			  size_t errlen)
{
	struct check_case *c = malloc(sizeof(*c));
	unsigned int i;
	int ret = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < check_catalogue_size && !ret; i++) {
		struct check_result *r = &rep->r[i];
		bool again;

		if ((r->verdict != CHECK_FAIL && r->verdict != CHECK_WARN) ||
		    !r->has_evidence)
			continue;
		again = rerun(t, r, i, c, &ret);
		if (ret) {
			snprintf(err, errlen, "%s, seed %llu, run again: %s",
				 mode_name(c->mode),
				 (unsigned long long)c->seed, c->setup_error);
			break;
		}
		r->ev.run = record(ctx, rep, i, again ? c : NULL);
	}
	free(c);
	return ret;
}
