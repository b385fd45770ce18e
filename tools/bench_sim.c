/*
 * bench_sim.c - how fast the simulated world runs: simulated steps per
 * second and runs per second of a swarm campaign, on one core.
 *
 * For each device type (entropy, block, console, net, and any: drawn per
 * run) it runs the seeds 1..runs in swarm mode, several times, and prints
 * the median runs/s and steps/s over the repetitions, and how many runs
 * failed (for information: a benchmark, not a test). Every repetition runs
 * the same seeds, so the work is the same and only the time varies.
 *
 * Exit status: 0 (whatever the numbers and the verdicts), 2 for a usage
 * error. There is no speed target.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <choice.h>
#include <world.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS_MAX 15u

struct bench_opts {
	u64 runs, steps;
	unsigned int reps;
};

struct rep {
	double runs_per_s, steps_per_s;
};

static const enum sim_device_type devices[] = {
	SIM_DEVICE_ENTROPY, SIM_DEVICE_BLOCK, SIM_DEVICE_CONSOLE,
	SIM_DEVICE_NET,	    SIM_DEVICE_ANY,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *out)
{
	fputs("usage: bench_sim [--quick] [--runs N] [--reps N] [--steps N]\n"
	      "\n"
	      "Simulated steps per second and runs per second of the world, "
	      "one\n"
	      "core: for each device type (entropy, block, console, net, any)\n"
	      "N swarm runs (seeds 1..N, default 200) of --steps steps "
	      "(default\n"
	      "2000), repeated --reps times (default 3, at most 15); prints "
	      "the\n"
	      "median of the repetitions and the failed runs (information "
	      "only).\n"
	      "--quick: 20 runs, 3 repetitions.\n"
	      "\n"
	      "Exit status: 0 whatever the numbers, 2 usage error.\n",
	      out);
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "bench_sim: %s '%s'\n\n", what, arg);
	usage(stderr);
	return 2;
}

/* A positive decimal number, at most max. */
static bool parse_count(const char *s, u64 max, u64 *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (*end || v == 0 || v > max)
		return false;
	*out = v;
	return true;
}

/* 0 to go on, 1 after --help, 2 for a usage error. */
static int parse_args(struct bench_opts *o, int argc, char **argv)
{
	u64 reps = 3;
	int i;

	o->runs = 200;
	o->steps = SIM_STEPS_DEFAULT;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		u64 *dst = NULL, max = 1000000000;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(a, "--quick") == 0) {
			o->runs = 20;
			reps = 3;
			continue;
		} else if (strcmp(a, "--runs") == 0) {
			dst = &o->runs;
		} else if (strcmp(a, "--reps") == 0) {
			dst = &reps;
			max = REPS_MAX;
		} else if (strcmp(a, "--steps") == 0) {
			dst = &o->steps;
		} else {
			return bad_usage("unknown option", a);
		}
		if (i + 1 >= argc)
			return bad_usage("missing value after", a);
		if (!parse_count(argv[++i], max, dst))
			return bad_usage("bad value", argv[i]);
	}
	o->reps = (unsigned int)reps;
	return 0;
}

/* One repetition: the seeds 1..runs; returns the failed runs. */
static u64 campaign(const struct bench_opts *o, enum sim_device_type dev,
		    struct rep *rep)
{
	struct sim_config cfg = {
		.steps_max = o->steps,
		.device = dev,
		.swarm = true,
	};
	struct sim_result r;
	struct choice_source cs;
	u64 seed, steps = 0, failed = 0;
	double start = now(), t;

	for (seed = 1; seed <= o->runs; seed++) {
		cfg.seed = seed;
		choice_init_seed(&cs, seed);
		if (sim_run(&cfg, &cs, &r) != 0)
			r.failed = true;
		choice_free(&cs);
		steps += r.steps;
		failed += r.failed;
	}
	t = now() - start;
	if (t <= 0)
		t = 1e-9;
	rep->runs_per_s = (double)o->runs / t;
	rep->steps_per_s = (double)steps / t;
	return failed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	double runs_s[REPS_MAX], steps_s[REPS_MAX];
	struct rep rep;
	size_t d;
	unsigned int i;
	u64 failed;
	int err = parse_args(&o, argc, argv);

	if (err)
		return err == 1 ? 0 : err;
	printf("bench_sim: %llu swarm runs of %llu steps per device, median "
	       "of %u repetitions, one core\n",
	       (unsigned long long)o.runs, (unsigned long long)o.steps, o.reps);
	printf("%-8s %12s %14s %8s\n", "device", "runs/s", "steps/s", "failed");
	for (d = 0; d < sizeof(devices) / sizeof(devices[0]); d++) {
		failed = 0;
		for (i = 0; i < o.reps; i++) {
			/* the same seeds each time: same verdicts */
			failed = campaign(&o, devices[d], &rep);
			runs_s[i] = rep.runs_per_s;
			steps_s[i] = rep.steps_per_s;
		}
		printf("%-8s %12.1f %14.0f %8llu\n",
		       sim_device_name(devices[d]), median(runs_s, o.reps),
		       median(steps_s, o.reps), (unsigned long long)failed);
		fflush(stdout);
	}
	return 0;
}
