/*
 * cli_fuzz.c - "ringside fuzz": a fuzz campaign on one target of fuzz/
 * with libFuzzer or AFL++, and its findings turned into runs of the trace
 * store; "ringside fuzz --reproduce FILE" runs one input.
 *
 * Notes:
 *
 * 1. Builds. The fuzz binaries come from the standalone CMake project
 *    fuzz/ (fuzz/CMakeLists.txt), configured into build/fuzz-<engine> of
 *    the source tree (build/fuzz-<engine>-plant<N> with --plant N) unless
 *    --build-dir names another folder, and rebuilt (a no-op when up to
 *    date) before every campaign. The source tree is $RINGSIDE_SOURCE_DIR,
 *    else the one this program was built from (compiled in), else the one
 *    three folders above the executable (build/X/tools/ringside).
 * 2. The campaign. Every fuzzer process runs in a process group of its
 *    own, so a Ctrl-C on the terminal reaches this program only: SIGINT
 *    and SIGTERM set a flag, the fuzzers are stopped (SIGTERM to their
 *    groups, SIGKILL after a grace period), and the findings are
 *    imported all the same. The deadline is enforced here too: libFuzzer's
 *    fork mode would otherwise wait for its running jobs. If this program
 *    is killed outright (SIGKILL), a janitor (model/external/janitor.h)
 *    kills every group it started, fuzzers, their jobs and builds alike:
 *    each child registers its group with the janitor before it execs.
 * 3. Findings. Every crash, leak, timeout and out-of-memory file
 *    (libFuzzer's artifact prefix; AFL++'s crashes/ and hangs/ of every
 *    instance) is run once more through the regression driver of the same
 *    build (fuzz_regress_<target>), whose output names the oracle: the
 *    finding line of fuzz_common.h, else "sanitizer" for a sanitizer
 *    report, "timeout" when it ran out of time, "crash" otherwise. A
 *    file that runs clean again keeps the kind its name gives ("timeout"
 *    for hangs, else "crash"). Nothing is deleted: the files stay in the
 *    campaign folder whatever the import does.
 * 4. World findings are replayable. The input is re-executed in this
 *    process's world, in a child process (a finding may crash it), with
 *    the configuration of fuzz_world.c (device any, swarm,
 *    FUZZ_WORLD_STEPS steps, ending when the input runs dry) and
 *    choice_init_bytes, and the run is stored with its configuration (its
 *    steps those it ran), its reduced choices and its events, so that
 *    "ringside replay DB RUN" re-executes it. That needs this ringside's
 *    ring to be the fuzzed one: a canary with a planted ring bug uses a
 *    ringside built with the same RINGSIDE_PLANT_BUG. When the world
 *    run passes here although the fuzz binary found something (a
 *    sanitizer report: this ringside may have no sanitizer), the run is
 *    stored as failed with the binary's oracle, and replay will say that
 *    the world alone does not reproduce it. Findings of the other targets
 *    are stored with their input and oracle; their replay command is
 *    "ringside fuzz --reproduce FILE --target T".
 */
#define _XOPEN_SOURCE 700 /* sigaction, kill, setpgid, putenv, strsignal */

#include "cli.h"

#include <choice.h>
#include <event_log.h>
#include <janitor.h>
#include <replay.h>
#include <trace.h>
#include <world.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The world target's configuration (fuzz_world.c, fuzz/CMakeLists.txt). */
#define FUZZ_WORLD_STEPS 600
#define FUZZ_PATH_BYTES 4096
/* Folders: short enough that a file name fits after them. */
#define FUZZ_DIR_BYTES 2048
#define FUZZ_ERR_BYTES 512
#define FUZZ_JOBS_MAX 64
/* Seconds between two progress lines. */
#define FUZZ_PROGRESS_SECONDS 3
/* Seconds a stopped fuzzer gets before SIGKILL; the grace past the
 * deadline before it is stopped (AFL++ calibrates its seeds first). */
#define FUZZ_STOP_GRACE 5
#define FUZZ_DEADLINE_GRACE 15
/* Seconds one input may run when it is run again (note 3); libFuzzer's
 * and AFL++'s per-input timeout, in seconds. */
#define FUZZ_RERUN_SECONDS 20
#define FUZZ_INPUT_SECONDS 10
#define FUZZ_FINDINGS_MAX 4096
#define FUZZ_OUTPUT_KEEP 65536

static const char *const fuzz_targets[] = { "ring", "bus", "world", "trace",
					    "shim" };

enum fuzz_engine { ENGINE_LIBFUZZER, ENGINE_AFL };

struct fuzz_opts {
	const char *target;
	enum fuzz_engine engine;
	u64 seconds; /* 0: no time bound (--runs without --time) */
	u64 runs;    /* executions in all; 0: no bound */
	bool time_given;
	unsigned int jobs;
	const char *db;
	const char *corpus;
	const char *out;
	const char *build_dir;
	const char *reproduce;
	unsigned int plant;
	bool until_finding; /* stop at the first finding (canaries) */
	bool json;
};

/* One finding file and what became of it. */
struct fuzz_finding {
	char path[FUZZ_PATH_BYTES];
	bool hang; /* its name says timeout or hang */
	char oracle[TRACE_NAME_BYTES];
	char message[TRACE_MESSAGE_BYTES];
	s64 run;	 /* its run in the trace store; 0 when not stored */
	bool replayable; /* a world run re-executed in-process */
};

struct fuzz_campaign {
	const struct fuzz_opts *o;
	char src[FUZZ_DIR_BYTES / 2];
	char build[FUZZ_DIR_BYTES];
	char dir[FUZZ_DIR_BYTES];    /* this campaign's folder */
	char corpus[FUZZ_DIR_BYTES]; /* the working copy */
	char dict[FUZZ_DIR_BYTES];
	pid_t pids[FUZZ_JOBS_MAX];
	unsigned int npids;
	struct fuzz_finding *findings;
	size_t nfindings;
	double start;
	unsigned int failed_fuzzers; /* ended early with an error */
};

static volatile sig_atomic_t fuzz_stop_signal;

void cli_fuzz_usage(FILE *out)
{
	fprintf(out,
		"usage: ringside fuzz --target ring|bus|world|trace|shim "
		"[--engine libfuzzer|afl]\n"
		"                     [--time DURATION] [--runs N] [--jobs N] "
		"[--db FILE]\n"
		"                     [--corpus DIR] "
		"[--out DIR] [--build-dir DIR] [--plant N]\n"
		"                     [--until-finding] [--json]\n"
		"       ringside fuzz --reproduce FILE [--target T] "
		"[--engine E] [--build-dir DIR]\n"
		"\n"
		"Runs a fuzz campaign on one target of fuzz/ and stores every "
		"finding in the\n"
		"trace store. Builds the fuzz binaries first when needed "
		"(cmake on fuzz/,\n"
		"into build/fuzz-<engine> of the source tree; clang for "
		"libFuzzer,\n"
		"afl-clang-fast for AFL++), runs the engine on a working copy "
		"of the\n"
		"corpus with the target's dictionary (libFuzzer -fork=N, "
		"AFL++ -M main and\n"
		"-S secondaries), prints progress on stderr every %d s "
		"(executions per\n"
		"second, coverage, findings), and at the end, or when "
		"interrupted (Ctrl-C,\n"
		"SIGTERM), turns every crash, hang and timeout into a run of "
		"the trace\n"
		"store (source libfuzzer or afl, the input kept, the oracle "
		"named) and\n"
		"prints its replay command, one line per finding.\n"
		"\n"
		"Options:\n"
		"  --target T       ring, bus, world, trace or shim "
		"(fuzz/README.md)\n"
		"  --engine E       libfuzzer (default) or afl\n"
		"  --time DURATION  how long: 30s, 10m, 1h, or seconds "
		"(default 10m;\n"
		"                   none with --runs alone)\n"
		"  --runs N         stop after about N executions in all "
		"(libFuzzer -runs,\n"
		"                   AFL++ -E shared by the instances); with "
		"--time, the\n"
		"                   first bound reached ends the campaign\n"
		"  --until-finding  stop at the first finding (a canary's "
		"proof that the\n"
		"                   engine finds a planted bug)\n"
		"  --jobs N         fuzzer processes (default 1, at most %d)\n"
		"  --db FILE        the trace file (default %s)\n"
		"  --corpus DIR     seeds (default corpus/<target> of the "
		"source tree)\n"
		"  --out DIR        campaign folders go here, a new "
		"campaign-N each\n"
		"                   (default "
		"build/fuzz-out/<target>-<engine>)\n"
		"  --build-dir DIR  the fuzz build (default "
		"build/fuzz-<engine>)\n"
		"  --plant N        build the ring with planted bug N "
		"(canaries; the\n"
		"                   world findings replay only in a ringside "
		"built so too)\n"
		"  --reproduce FILE run one input through the target's "
		"regression driver\n"
		"                   (default target world) and report its "
		"finding\n"
		"  --json           the findings as one JSON object on stdout\n"
		"\n"
		"World findings replay with \"ringside replay DB RUN\"; those "
		"of the other\n"
		"targets with \"ringside fuzz --reproduce FILE --target T\".\n"
		"\n"
		"Exit status: 0 no finding, 1 findings (all stored), 2 a usage "
		"or setup\n"
		"error (a missing compiler, a failed build, a trace error).\n",
		FUZZ_PROGRESS_SECONDS, FUZZ_JOBS_MAX, TRACE_DEFAULT_PATH);
}

/* Prints "ringside fuzz: message" and returns exit status 2. */
static int fuzz_error(const char *fmt, ...) __printf(1, 2);

static int fuzz_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ringside fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

/* snprintf, saying -ENAMETOOLONG when it cut the text (paths): the
 * compiler's truncation warnings do not look into it. */
static int fmtbuf(char *buf, size_t n, const char *fmt, ...) __printf(3, 4);

static int fmtbuf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static const char *engine_name(enum fuzz_engine e)
{
	return e == ENGINE_AFL ? "afl" : "libfuzzer";
}

/* --- options ---------------------------------------------------------------- */

/* "30s", "10m", "1h", "2d" or plain seconds; > 0. */
static int parse_duration(const char *s, u64 *seconds)
{
	char num[32];
	size_t len = strlen(s);
	u64 mult = 1, v;

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's':
		num[--len] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--len] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--len] = '\0';
		break;
	case 'd':
		mult = 86400;
		num[--len] = '\0';
		break;
	default:
		break;
	}
	if (cli_parse_u64(num, &v) != 0 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*seconds = v * mult;
	return 0;
}

static bool known_target(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(fuzz_targets) / sizeof(fuzz_targets[0]); i++)
		if (strcmp(fuzz_targets[i], t) == 0)
			return true;
	return false;
}

static int usage_error(const char *fmt, const char *arg) __printf(1, 0);

/* A usage error naming arg (fmt has one %s). */
static int usage_error(const char *fmt, const char *arg)
{
	char msg[FUZZ_ERR_BYTES];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fmtbuf(msg, sizeof(msg), fmt, arg);
#pragma GCC diagnostic pop
	return cli_usage_error("fuzz", cli_fuzz_usage, "%s", msg);
}

/* One option with a value; returns 0, or an exit status. */
static int take_option(struct fuzz_opts *o, const char *name, const char *v)
{
	u64 n;

	if (strcmp(name, "--target") == 0) {
		if (!known_target(v))
			return usage_error("unknown target '%s' (ring, bus, "
					   "world, trace or shim)",
					   v);
		o->target = v;
	} else if (strcmp(name, "--engine") == 0) {
		if (strcmp(v, "libfuzzer") == 0)
			o->engine = ENGINE_LIBFUZZER;
		else if (strcmp(v, "afl") == 0 || strcmp(v, "afl++") == 0)
			o->engine = ENGINE_AFL;
		else
			return usage_error("unknown engine '%s' (libfuzzer "
					   "or afl)",
					   v);
	} else if (strcmp(name, "--time") == 0) {
		if (parse_duration(v, &o->seconds) != 0)
			return usage_error("bad duration '%s' (e.g. 30s, 10m, "
					   "1h)",
					   v);
		o->time_given = true;
	} else if (strcmp(name, "--runs") == 0) {
		if (cli_parse_u64(v, &n) != 0 || n == 0 || n > INT64_MAX)
			return usage_error("bad execution count '%s'", v);
		o->runs = n;
	} else if (strcmp(name, "--jobs") == 0) {
		if (cli_parse_u64(v, &n) != 0 || n == 0 || n > FUZZ_JOBS_MAX)
			return usage_error("bad job count '%s' (1 to 64)", v);
		o->jobs = (unsigned int)n;
	} else if (strcmp(name, "--plant") == 0) {
		if (cli_parse_u64(v, &n) != 0 || n > 99)
			return usage_error("bad planted bug '%s'", v);
		o->plant = (unsigned int)n;
	} else if (strcmp(name, "--db") == 0) {
		o->db = v;
	} else if (strcmp(name, "--corpus") == 0) {
		o->corpus = v;
	} else if (strcmp(name, "--out") == 0) {
		o->out = v;
	} else if (strcmp(name, "--build-dir") == 0) {
		o->build_dir = v;
	} else {
		o->reproduce = v;
	}
	return 0;
}

static const char *const value_options[] = {
	"--target", "--engine", "--time",      "--runs",  "--jobs",	 "--db",
	"--corpus", "--out",	"--build-dir", "--plant", "--reproduce",
};

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int parse_opts(struct fuzz_opts *o, int argc, char **argv)
{
	size_t k;
	int i, rc;

	*o = (struct fuzz_opts){ .engine = ENGINE_LIBFUZZER,
				 .seconds = 600,
				 .jobs = 1,
				 .db = TRACE_DEFAULT_PATH };
	for (i = 1; i < argc; i++) {
		const char *v;
		bool taken = false;

		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_fuzz_usage(stdout);
			return -1;
		}
		if (strcmp(argv[i], "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(argv[i], "--until-finding") == 0) {
			o->until_finding = true;
			continue;
		}
		for (k = 0; k < sizeof(value_options) / sizeof(char *); k++) {
			char name[32];

			if (!cli_option_match(argv[i], value_options[k]))
				continue;
			fmtbuf(name, sizeof(name), "%s", value_options[k]);
			v = cli_option_value(argc, argv, &i);
			if (!v || !*v)
				return usage_error("option '%s' needs a value",
						   name);
			rc = take_option(o, name, v);
			if (rc)
				return rc;
			taken = true;
			break;
		}
		if (taken)
			continue;
		if (argv[i][0] == '-')
			return usage_error("unknown option '%s'", argv[i]);
		return usage_error("unexpected argument '%s'", argv[i]);
	}
	if (!o->reproduce && !o->target)
		return usage_error("%s", "no --target given (ring, bus, world, "
					 "trace or shim)");
	if (!o->target)
		o->target = "world";
	if (o->runs && !o->time_given)
		o->seconds = 0;
	return 0;
}

/* --- files and folders ------------------------------------------------------ */

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char buf[FUZZ_PATH_BYTES];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -errno;
		buf[i] = i == n ? '\0' : '/';
	}
	return is_dir(path) ? 0 : -ENOTDIR;
}

/* Reads a whole file (at most max bytes; more is an error). */
static u8 *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		free(buf);
		fclose(f);
		errno = n > max ? EFBIG : EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int copy_file(const char *from, const char *to)
{
	size_t len = 0;
	u8 *data = read_file(from, TRACE_INPUT_MAX, &len);
	FILE *f;
	int rc = 0;

	if (!data)
		return -errno;
	f = fopen(to, "wb");
	if (!f) {
		free(data);
		return -errno;
	}
	if (len && fwrite(data, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) != 0)
		rc = -EIO;
	free(data);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir (not hidden) in name order, full paths,
 * malloc'd; *n counts them. NULL with *n 0 when there are none. */
static char **list_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[FUZZ_PATH_BYTES];
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fmtbuf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!is_file(path))
			continue;
		if (*n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		names[*n] = strdup(path);
		if (names[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), name_cmp);
	return names;
}

static void free_list(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* --- the source tree and the build (note 1) -------------------------------- */

static bool source_tree(const char *dir)
{
	char path[FUZZ_PATH_BYTES];

	fmtbuf(path, sizeof(path), "%s/fuzz/CMakeLists.txt", dir);
	return is_file(path);
}

static int find_source(char *src, size_t n)
{
	const char *env = getenv("RINGSIDE_SOURCE_DIR");
	char exe[FUZZ_PATH_BYTES];
	ssize_t len;
	int up;

	if (env && *env) {
		if (!source_tree(env))
			return fuzz_error("RINGSIDE_SOURCE_DIR=%s has no "
					  "fuzz/CMakeLists.txt",
					  env);
		fmtbuf(src, n, "%s", env);
		return 0;
	}
#ifdef RINGSIDE_SOURCE_DIR
	if (source_tree(RINGSIDE_SOURCE_DIR)) {
		fmtbuf(src, n, "%s", RINGSIDE_SOURCE_DIR);
		return 0;
	}
#endif
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		for (up = 0; up < 4; up++) {
			char *slash = strrchr(exe, '/');

			if (!slash || slash == exe)
				break;
			*slash = '\0';
			if (source_tree(exe)) {
				fmtbuf(src, n, "%s", exe);
				return 0;
			}
		}
	}
	return fuzz_error("cannot find the ringside source tree (the folder "
			  "with fuzz/CMakeLists.txt): set "
			  "RINGSIDE_SOURCE_DIR");
}

static bool have_command(const char *name)
{
	const char *path = getenv("PATH");
	char buf[FUZZ_PATH_BYTES];
	const char *p, *end;

	if (!path)
		return false;
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		fmtbuf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, name);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

#define FUZZ_APT_LINE                                                          \
	"apt-get install -y clang-14 libclang-rt-14-dev llvm-14 lld-14 afl++"

/* The compiler of the engine's build, or NULL with the error printed. */
static const char *engine_compiler(enum fuzz_engine e)
{
	if (e == ENGINE_AFL) {
		if (!have_command("afl-clang-fast") ||
		    !have_command("afl-fuzz")) {
			fuzz_error("AFL++ is missing (afl-clang-fast, "
				   "afl-fuzz): install the package afl++ "
				   "(and clang): " FUZZ_APT_LINE);
			return NULL;
		}
		return "afl-clang-fast";
	}
	if (have_command("clang"))
		return "clang";
	if (have_command("clang-14"))
		return "clang-14";
	fuzz_error("clang is missing (libFuzzer needs it, with its runtime): "
		   "install clang-14 and libclang-rt-14-dev: " FUZZ_APT_LINE);
	return NULL;
}

/* --- child processes -------------------------------------------------------- */

/* Ends the process groups we start if we are killed (note 2). */
static struct janitor fuzz_janitor = { .pid = 0, .fd = -1 };

static void set_env(char **env)
{
	for (; env && *env; env++)
		putenv(*env);
}

/*
 * Starts argv in a process group of its own (note 2), stdout and stderr
 * to log (appended; NULL: /dev/null), with env (NAME=VALUE strings, NULL
 * terminated, or NULL) added. Returns the pid, or -1.
 */
static pid_t spawn(const char *const argv[], const char *log, char **env)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	janitor_watch_group(&fuzz_janitor, getpid());
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	set_env(env);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Mirrors the child's setpgid, so that signalling the group at once
 * works however the two race. */
static pid_t spawn_group(const char *const argv[], const char *log, char **env)
{
	pid_t pid = spawn(argv, log, env);

	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Stops the process group of pid: SIGTERM, then SIGKILL after grace
 * seconds; reaps pid. Returns its wait status. */
static int stop_group(pid_t pid, unsigned int grace)
{
	int status = 0;
	unsigned int i;

	kill(-pid, SIGTERM);
	for (i = 0; i < grace * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			/* The rest of its group (fork-mode jobs, targets). */
			kill(-pid, SIGKILL);
			return status;
		}
		sleep_ms(100);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

/*
 * Runs argv to its end (at most limit seconds: then it is killed and
 * *timed_out set), output to log. Returns its wait status, or -1.
 */
static int run_wait(const char *const argv[], const char *log, char **env,
		    unsigned int limit, bool *timed_out)
{
	double end = cli_now() + limit;
	int status;
	pid_t pid = spawn_group(argv, log, env);

	if (timed_out)
		*timed_out = false;
	if (pid < 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			kill(-pid, SIGKILL);
			return status;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		/* A build is given up on Ctrl-C; a run of a finding is not. */
		if ((limit && cli_now() >= end) ||
		    (!limit && fuzz_stop_signal)) {
			if (timed_out)
				*timed_out = true;
			return stop_group(pid, 1);
		}
		sleep_ms(r == 0 ? 20 : 1);
	}
}

/* Prints the last lines of a log file (build errors). */
static void print_tail(const char *log, size_t bytes)
{
	size_t len = 0;
	u8 *data = read_file(log, TRACE_INPUT_MAX, &len);
	size_t from = len > bytes ? len - bytes : 0;

	if (!data)
		return;
	fwrite(data + from, 1, len - from, stderr);
	free(data);
}

/* Configures (when new) and builds fuzz_<target> and its regression
 * driver. Returns 0 or exit status 2. */
static int build_fuzzers(struct fuzz_campaign *c)
{
	const struct fuzz_opts *o = c->o;
	const char *cc = engine_compiler(o->engine);
	char log[FUZZ_PATH_BYTES], cache[FUZZ_PATH_BYTES];
	char def_engine[64], def_cc[FUZZ_PATH_BYTES], def_plant[64];
	char def_steps[64], src[FUZZ_PATH_BYTES + 8], jobs[16];
	char fuzzer[64], regress[64];
	static char afl_quiet[] = "AFL_QUIET=1";
	char *env[] = { afl_quiet, NULL };
	int status, rc;

	if (!cc)
		return CLI_EXIT_USAGE;
	if (o->build_dir)
		fmtbuf(c->build, sizeof(c->build), "%s", o->build_dir);
	else if (o->plant)
		fmtbuf(c->build, sizeof(c->build), "%s/build/fuzz-%s-plant%u",
		       c->src, engine_name(o->engine), o->plant);
	else
		fmtbuf(c->build, sizeof(c->build), "%s/build/fuzz-%s", c->src,
		       engine_name(o->engine));
	rc = make_dirs(c->build);
	if (rc)
		return fuzz_error("%s: %s", c->build, strerror(-rc));
	fmtbuf(log, sizeof(log), "%s/ringside-build.log", c->build);
	unlink(log);
	fmtbuf(cache, sizeof(cache), "%s/CMakeCache.txt", c->build);
	if (!is_file(cache)) {
		const char *argv[] = { "cmake",	  "-S",
				       src,	  "-B",
				       c->build,  def_engine,
				       def_cc,	  def_plant,
				       def_steps, "-DCMAKE_BUILD_TYPE=Release",
				       NULL };

		fmtbuf(src, sizeof(src), "%s/fuzz", c->src);
		fmtbuf(def_engine, sizeof(def_engine), "-DRINGSIDE_FUZZ=%s",
		       engine_name(o->engine));
		fmtbuf(def_cc, sizeof(def_cc), "-DCMAKE_C_COMPILER=%s", cc);
		fmtbuf(def_plant, sizeof(def_plant), "-DRINGSIDE_PLANT_BUG=%u",
		       o->plant);
		fmtbuf(def_steps, sizeof(def_steps),
		       "-DRINGSIDE_FUZZ_WORLD_STEPS=%d", FUZZ_WORLD_STEPS);
		fprintf(stderr, "ringside fuzz: configuring %s\n", c->build);
		status = run_wait(argv, log, env, 0, NULL);
		if (status != 0) {
			print_tail(log, 3000);
			unlink(cache);
			return fuzz_error("configuring the fuzz build failed "
					  "(log: %s); the fuzz tooling: %s",
					  log, FUZZ_APT_LINE);
		}
	}
	fmtbuf(jobs, sizeof(jobs), "-j%u", o->jobs > 2 ? o->jobs : 2);
	fmtbuf(fuzzer, sizeof(fuzzer), "fuzz_%s", o->target);
	fmtbuf(regress, sizeof(regress), "fuzz_regress_%s", o->target);
	{
		const char *argv[] = { "cmake",	   "--build", c->build, jobs,
				       "--target", fuzzer,    regress,	NULL };

		fprintf(stderr, "ringside fuzz: building %s and %s in %s\n",
			fuzzer, regress, c->build);
		status = run_wait(argv, log, env, 0, NULL);
	}
	if (status != 0) {
		print_tail(log, 3000);
		return fuzz_error("building the fuzz binaries failed (log: %s)",
				  log);
	}
	return 0;
}

/* --- running one input again (note 3) -------------------------------------- */

/* The oracle (and message) that the output of a run names. */
static bool classify_output(const char *text, char *oracle, size_t on,
			    char *message, size_t mn)
{
	static const char tag[] = "ringside-fuzz: finding: target=";
	const char *p = strstr(text, tag), *q, *end;

	if (p) {
		q = strstr(p, " oracle=");
		end = q ? strstr(q, ": ") : NULL;
		if (q && end) {
			q += strlen(" oracle=");
			fmtbuf(oracle, on, "%.*s", (int)(end - q), q);
			end += 2;
			fmtbuf(message, mn, "%.*s", (int)strcspn(end, "\n"),
			       end);
			return true;
		}
	}
	p = strstr(text, "SUMMARY: AddressSanitizer");
	if (!p)
		p = strstr(text, "SUMMARY: LeakSanitizer");
	if (!p)
		p = strstr(text, "SUMMARY: UndefinedBehaviorSanitizer");
	if (!p)
		p = strstr(text, "runtime error:");
	if (!p)
		p = strstr(text, "ERROR: AddressSanitizer");
	if (p) {
		fmtbuf(oracle, on, "sanitizer");
		fmtbuf(message, mn, "%.*s", (int)strcspn(p, "\n"), p);
		return true;
	}
	return false;
}

/*
 * Runs one input through the regression driver (build/fuzz_regress_T);
 * fills oracle and message. Returns 1 when it found something, 0 when
 * the input ran clean, -1 when the driver could not run. The output goes
 * to log (kept) when log is not NULL.
 */
static int rerun(const char *build, const char *target, const char *input,
		 const char *log, char *oracle, size_t on, char *message,
		 size_t mn)
{
	char driver[FUZZ_PATH_BYTES], tmp[FUZZ_PATH_BYTES];
	static char asan[] = "ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:"
			     "symbolize=1";
	static char ubsan[] = "UBSAN_OPTIONS=print_stacktrace=1:"
			      "halt_on_error=1";
	char *env[] = { asan, ubsan, NULL };
	const char *argv[] = { driver, input, NULL };
	bool timed_out;
	size_t len = 0;
	char *text;
	int status;

	fmtbuf(driver, sizeof(driver), "%s/fuzz_regress_%s", build, target);
	if (log) {
		fmtbuf(tmp, sizeof(tmp), "%s", log);
		unlink(tmp);
	} else {
		int fd;

		fmtbuf(tmp, sizeof(tmp), "%s/ringside-rerun-XXXXXX",
		       getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		fd = mkstemp(tmp);
		if (fd < 0)
			return -1;
		close(fd);
	}
	status = run_wait(argv, tmp, env, FUZZ_RERUN_SECONDS, &timed_out);
	text = (char *)read_file(tmp, TRACE_INPUT_MAX, &len);
	if (!log)
		unlink(tmp);
	if (status < 0 || !text) {
		free(text);
		return -1;
	}
	text[len] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	    strstr(text, "cannot run")) {
		free(text);
		return -1;
	}
	if (classify_output(text, oracle, on, message, mn)) {
		free(text);
		return 1;
	}
	free(text);
	if (timed_out) {
		fmtbuf(oracle, on, "timeout");
		fmtbuf(message, mn, "ran longer than %d s", FUZZ_RERUN_SECONDS);
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fmtbuf(oracle, on, "crash");
	if (WIFSIGNALED(status))
		fmtbuf(message, mn, "killed by signal %d", WTERMSIG(status));
	else
		fmtbuf(message, mn, "exit status %d", WEXITSTATUS(status));
	return 1;
}

/* --- the trace store (notes 3 and 4) --------------------------------------- */

/* The world run of one input (fuzz_world.c's configuration), in-process. */
static int world_run(const u8 *data, size_t len, struct sim_config *cfg,
		     struct sim_result *r, struct event_log *log, u64 **choices,
		     size_t *n)
{
	struct choice_source cs;
	size_t count;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->device = SIM_DEVICE_ANY;
	cfg->swarm = true;
	cfg->steps_max = FUZZ_WORLD_STEPS;
	cfg->end_when_dry = true;
	cfg->log = log;
	choice_init_bytes(&cs, data, len);
	rc = sim_run(cfg, &cs, r);
	cfg->log = NULL;
	/* A run that ended dry replays its recorded draws over the steps it
	 * ran: the stored configuration says that many. */
	cfg->end_when_dry = false;
	if (rc == 0 && choice_dry(&cs) && r->steps > 0 &&
	    r->steps < cfg->steps_max)
		cfg->steps_max = r->steps;
	if (rc || !choice_recordable(&cs)) {
		choice_free(&cs);
		return rc ? rc : -EFBIG;
	}
	/* replay.h note 1: never an empty sequence */
	count = choice_count(&cs);
	*n = count ? count : 1;
	*choices = calloc(*n, sizeof(u64));
	if (!*choices) {
		choice_free(&cs);
		return -ENOMEM;
	}
	if (count)
		memcpy(*choices, choice_values(&cs), count * sizeof(u64));
	choice_free(&cs);
	return 0;
}

static enum trace_source engine_source(enum fuzz_engine e)
{
	return e == ENGINE_AFL ? TRACE_SOURCE_AFL : TRACE_SOURCE_LIBFUZZER;
}

/* The oracle and message of a finding on a run that the world alone
 * passed (note 4), or of a target without a world. */
static void set_failure(struct trace_run *tr, const struct fuzz_finding *f)
{
	tr->failed = true;
	fmtbuf(tr->oracle, sizeof(tr->oracle), "%s", f->oracle);
	fmtbuf(tr->message, sizeof(tr->message), "%s", f->message);
}

static int add_run(const char *db_path, struct trace_run *tr,
		   const struct event_log *log, char *err, size_t errlen)
{
	struct trace_db *db;
	int rc;

	rc = trace_open(db_path, TRACE_CREATE, &db, err, errlen);
	if (rc)
		return rc;
	rc = trace_add_run(db, tr, log);
	if (rc)
		fmtbuf(err, errlen, "%s: %s", db_path, trace_errmsg(db));
	trace_close(db);
	return rc;
}

/* Child of import_world: re-executes and stores; writes the id to fd. */
static void world_child(const struct fuzz_opts *o, const struct fuzz_finding *f,
			const u8 *data, size_t len, int fd)
{
	struct sim_config cfg;
	struct sim_result r;
	struct event_log log;
	struct trace_run tr;
	char err[FUZZ_ERR_BYTES];
	u64 *choices = NULL;
	size_t n = 0;
	s64 id;

	/* No exec closes the janitor's pipe here: it must see us gone. */
	close(fuzz_janitor.fd);
	event_log_init(&log, 0);
	if (world_run(data, len, &cfg, &r, &log, &choices, &n) != 0 ||
	    replay_fill_run(&tr, engine_source(o->engine), 0, &cfg, &r, choices,
			    n, 0, event_log_complete(&log)) != 0)
		_exit(3);
	if (!r.failed)
		set_failure(&tr, f);
	tr.input = (u8 *)data;
	tr.input_len = len;
	if (add_run(o->db, &tr, tr.has_events ? &log : NULL, err,
		    sizeof(err)) != 0) {
		fprintf(stderr, "ringside fuzz: %s\n", err);
		_exit(4);
	}
	id = tr.id;
	if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
		_exit(5);
	_exit(r.failed ? 0 : 6);
}

/* World findings (note 4): in a child; 0 or a negative trace_error. */
static int import_world(const struct fuzz_opts *o, struct fuzz_finding *f,
			const u8 *data, size_t len)
{
	int fds[2], status = 0;
	s64 id = 0;
	ssize_t got;
	pid_t pid;

	if (pipe(fds) != 0)
		return TRACE_EIO;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		world_child(o, f, data, len, fds[1]);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return TRACE_EIO;
	}
	got = read(fds[0], &id, sizeof(id));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (got != (ssize_t)sizeof(id) || id <= 0)
		return 1; /* the world could not run it: stored without */
	f->run = id;
	/* Exit 0: the world alone failed too, so replay shows it. */
	f->replayable = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return 0;
}

/* A run without a world: input and oracle only. */
static int import_plain(const struct fuzz_opts *o, struct fuzz_finding *f,
			const u8 *data, size_t len, char *err, size_t errlen)
{
	struct trace_run tr;
	int rc;

	memset(&tr, 0, sizeof(tr));
	tr.source = engine_source(o->engine);
	fmtbuf(tr.config, sizeof(tr.config),
	       "fuzz target=%s (no world run: ringside fuzz --reproduce)",
	       o->target);
	fmtbuf(tr.device, sizeof(tr.device), "%s", o->target);
	tr.mode = 0; /* no transport ran (trace.h) */
	tr.input = (u8 *)data;
	tr.input_len = len;
	set_failure(&tr, f);
	rc = add_run(o->db, &tr, NULL, err, errlen);
	if (rc == 0)
		f->run = tr.id;
	return rc;
}

/* Names the oracle of one finding and stores it; 0 or exit status 2. */
static int import_one(struct fuzz_campaign *c, struct fuzz_finding *f)
{
	const struct fuzz_opts *o = c->o;
	char err[FUZZ_ERR_BYTES], log[FUZZ_PATH_BYTES + 8];
	size_t len = 0;
	u8 *data;
	int rc;

	data = read_file(f->path, TRACE_INPUT_MAX, &len);
	if (!data)
		return fuzz_error("%s: %s", f->path, strerror(errno));
	fmtbuf(log, sizeof(log), "%s.log", f->path);
	rc = rerun(c->build, o->target, f->path, log, f->oracle,
		   sizeof(f->oracle), f->message, sizeof(f->message));
	if (rc <= 0) {
		fmtbuf(f->oracle, sizeof(f->oracle), "%s",
		       f->hang ? "timeout" : "crash");
		fmtbuf(f->message, sizeof(f->message), "%s",
		       rc < 0 ? "the regression driver could not run it"
			      : "no finding when run again (flaky, or "
				"state from earlier inputs)");
	}
	rc = 1;
	if (strcmp(o->target, "world") == 0) {
		rc = import_world(o, f, data, len);
		if (rc < 0) {
			free(data);
			return fuzz_error("%s: cannot start the world run",
					  f->path);
		}
	}
	if (rc > 0)
		rc = import_plain(o, f, data, len, err, sizeof(err));
	free(data);
	if (rc)
		return fuzz_error("storing %s failed: %s", f->path, err);
	return 0;
}

/* --- collecting findings ---------------------------------------------------- */

static int add_finding(struct fuzz_campaign *c, const char *path, bool hang)
{
	struct fuzz_finding *f;

	if (c->nfindings == FUZZ_FINDINGS_MAX)
		return -ENOSPC;
	if (!c->findings) {
		c->findings = calloc(FUZZ_FINDINGS_MAX, sizeof(*c->findings));
		if (!c->findings)
			return -ENOMEM;
	}
	f = &c->findings[c->nfindings++];
	memset(f, 0, sizeof(*f));
	fmtbuf(f->path, sizeof(f->path), "%s", path);
	f->hang = hang;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One instance's folder under afl/ (main, sec1, ...). */
static void afl_instance_dir(const struct fuzz_campaign *c, unsigned int k,
			     const char *what, char *buf, size_t n)
{
	if (k == 0)
		fmtbuf(buf, n, "%s/afl/main/%s", c->dir, what);
	else
		fmtbuf(buf, n, "%s/afl/sec%u/%s", c->dir, k, what);
}

/* The finding files of the campaign; with collect, into c->findings
 * (else only counted). Returns how many. */
static size_t scan_findings(struct fuzz_campaign *c, bool collect)
{
	char dir[FUZZ_PATH_BYTES + 32];
	size_t total = 0, n, i, k;
	char **files;

	if (c->o->engine == ENGINE_LIBFUZZER) {
		fmtbuf(dir, sizeof(dir), "%s/artifacts", c->dir);
		files = list_files(dir, &n);
		for (i = 0; i < n; i++) {
			const char *base = strrchr(files[i], '/') + 1;
			bool hang = has_prefix(base, "timeout-") ||
				    has_prefix(base, "oom-");

			if ((!hang && !has_prefix(base, "crash-") &&
			     !has_prefix(base, "leak-")) ||
			    strstr(base, ".log"))
				continue;
			total++;
			if (collect && add_finding(c, files[i], hang))
				fuzz_error("too many findings: %s and the rest "
					   "are not imported",
					   files[i]);
		}
		free_list(files, n);
		return total;
	}
	for (k = 0; k < c->o->jobs; k++) {
		static const char *const kinds[] = { "crashes", "hangs" };
		size_t j;

		for (j = 0; j < 2; j++) {
			afl_instance_dir(c, (unsigned int)k, kinds[j], dir,
					 sizeof(dir));
			files = list_files(dir, &n);
			for (i = 0; i < n; i++) {
				const char *base = strrchr(files[i], '/') + 1;

				/* README.txt, and the logs we write */
				if (!has_prefix(base, "id:") ||
				    strstr(base, ".log"))
					continue;
				total++;
				if (collect && add_finding(c, files[i], j == 1))
					fuzz_error("too many findings: %s and "
						   "the rest are not imported",
						   files[i]);
			}
			free_list(files, n);
		}
	}
	return total;
}

/* --- progress --------------------------------------------------------------- */

struct fuzz_progress {
	double execs_per_sec;
	double coverage; /* libFuzzer cov: (edges), AFL++ bitmap_cvg (%) */
	double corpus;
	bool have;
};

/* The number after key in line ("exec/s: 12" or "exec/s 12"). */
static bool number_after(const char *line, const char *key, double *v)
{
	const char *p = strstr(line, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	while (*p == ':' || *p == ' ')
		p++;
	*v = strtod(p, &end);
	return end != p;
}

/* The last status line of libFuzzer's log. */
static void progress_libfuzzer(const struct fuzz_campaign *c,
			       struct fuzz_progress *p)
{
	char path[FUZZ_PATH_BYTES + 16], buf[8192];
	FILE *f;

	fmtbuf(path, sizeof(path), "%s/fuzzer.log", c->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		double cov, eps;

		if (number_after(buf, "cov:", &cov) &&
		    number_after(buf, "exec/s", &eps)) {
			p->coverage = cov;
			/* fork mode's last line, after the jobs ended */
			if (eps > 0 || !p->have)
				p->execs_per_sec = eps;
			number_after(buf, "corp:", &p->corpus);
			p->have = true;
		}
	}
	fclose(f);
}

/*
 * fuzzer_stats of every instance: executions over run time add up,
 * coverage is the best. Without a terminal AFL++ rewrites the file
 * rarely, so the corpus (queue/) is counted live beside it.
 */
static void progress_afl(const struct fuzz_campaign *c, struct fuzz_progress *p)
{
	char path[FUZZ_PATH_BYTES + 64], buf[512];
	unsigned int k;

	for (k = 0; k < c->o->jobs; k++) {
		double execs = 0, run_time = 0, v;
		char **files;
		size_t n;
		FILE *f;

		afl_instance_dir(c, k, "queue", path, sizeof(path));
		files = list_files(path, &n);
		free_list(files, n);
		p->corpus += n;
		afl_instance_dir(c, k, "fuzzer_stats", path, sizeof(path));
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(buf, sizeof(buf), f)) {
			if (has_prefix(buf, "execs_done"))
				number_after(buf, "execs_done", &execs);
			else if (has_prefix(buf, "run_time"))
				number_after(buf, "run_time", &run_time);
			else if (has_prefix(buf, "bitmap_cvg") &&
				 number_after(buf, "bitmap_cvg", &v) &&
				 v > p->coverage)
				p->coverage = v;
		}
		fclose(f);
		p->execs_per_sec += execs / (run_time > 1 ? run_time : 1);
		p->have = true;
	}
}

static void print_progress(struct fuzz_campaign *c, double elapsed)
{
	struct fuzz_progress p = { 0 };
	size_t found = scan_findings(c, false);
	char when[64];

	if (c->o->seconds)
		fmtbuf(when, sizeof(when), "%3.0fs/%" PRIu64 "s", elapsed,
		       c->o->seconds);
	else
		fmtbuf(when, sizeof(when), "%3.0fs", elapsed);
	if (c->o->engine == ENGINE_LIBFUZZER)
		progress_libfuzzer(c, &p);
	else
		progress_afl(c, &p);
	if (!p.have) {
		fprintf(stderr, "ringside fuzz: %s starting, findings %zu\n",
			when, found);
		return;
	}
	fprintf(stderr,
		"ringside fuzz: %s exec/s %.0f, coverage "
		"%.*f%s, corpus %.0f, findings %zu\n",
		when, p.execs_per_sec, c->o->engine == ENGINE_AFL ? 2 : 0,
		p.coverage,
		c->o->engine == ENGINE_AFL ? "% of the map" : " edges",
		p.corpus, found);
}

/* --- the campaign ----------------------------------------------------------- */

static void on_stop_signal(int sig)
{
	fuzz_stop_signal = sig;
}

static void catch_stop_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* A new campaign-N folder under the out folder, the corpus copied in. */
static int prepare_campaign(struct fuzz_campaign *c)
{
	const struct fuzz_opts *o = c->o;
	char out[FUZZ_DIR_BYTES / 2], seeds[FUZZ_PATH_BYTES];
	char path[FUZZ_PATH_BYTES + 256];
	char **files;
	size_t n, i;
	unsigned int k;
	int rc;

	if (o->out && strlen(o->out) >= sizeof(out))
		return fuzz_error("--out: a path of at most %zu bytes",
				  sizeof(out) - 1);
	if (o->out)
		fmtbuf(out, sizeof(out), "%s", o->out);
	else
		fmtbuf(out, sizeof(out), "%s/build/fuzz-out/%s-%s", c->src,
		       o->target, engine_name(o->engine));
	rc = make_dirs(out);
	if (rc)
		return fuzz_error("%s: %s", out, strerror(-rc));
	for (k = 1;; k++) {
		fmtbuf(c->dir, sizeof(c->dir), "%s/campaign-%u", out, k);
		if (mkdir(c->dir, 0777) == 0)
			break;
		if (errno != EEXIST)
			return fuzz_error("%s: %s", c->dir, strerror(errno));
	}
	if (o->corpus)
		fmtbuf(seeds, sizeof(seeds), "%s", o->corpus);
	else
		fmtbuf(seeds, sizeof(seeds), "%s/corpus/%s", c->src, o->target);
	fmtbuf(c->dict, sizeof(c->dict), "%s/corpus/%s.dict", c->src,
	       o->target);
	fmtbuf(c->corpus, sizeof(c->corpus), "%s/corpus", c->dir);
	if (make_dirs(c->corpus) != 0)
		return fuzz_error("%s: %s", c->corpus, strerror(errno));
	files = list_files(seeds, &n);
	for (i = 0; i < n; i++) {
		fmtbuf(path, sizeof(path), "%s/%s", c->corpus,
		       strrchr(files[i], '/') + 1);
		rc = copy_file(files[i], path);
		if (rc) {
			free_list(files, n);
			return fuzz_error("copying %s: %s", files[i],
					  strerror(-rc));
		}
	}
	free_list(files, n);
	if (n == 0)
		return fuzz_error("%s: no seed files (AFL++ finds next to "
				  "nothing without seeds)",
				  seeds);
	if (o->engine == ENGINE_LIBFUZZER) {
		fmtbuf(path, sizeof(path), "%s/artifacts", c->dir);
		if (make_dirs(path) != 0)
			return fuzz_error("%s: %s", path, strerror(errno));
	}
	return 0;
}

static int start_libfuzzer(struct fuzz_campaign *c)
{
	const struct fuzz_opts *o = c->o;
	char bin[FUZZ_PATH_BYTES], fork_opt[32], time_opt[48], dict[5000];
	char art[5000], log[FUZZ_PATH_BYTES + 16], timeout[48], runs_opt[48];
	const char *argv[] = { bin,
			       fork_opt,
			       "-ignore_crashes=1",
			       "-ignore_timeouts=1",
			       "-ignore_ooms=1",
			       time_opt,
			       runs_opt,
			       timeout,
			       "-rss_limit_mb=2048",
			       "-print_final_stats=1",
			       dict,
			       art,
			       c->corpus,
			       NULL };
	pid_t pid;

	fmtbuf(bin, sizeof(bin), "%s/fuzz_%s", c->build, o->target);
	fmtbuf(fork_opt, sizeof(fork_opt), "-fork=%u", o->jobs);
	/* 0 and -1: no bound (fork mode counts its jobs' executions). */
	fmtbuf(time_opt, sizeof(time_opt), "-max_total_time=%" PRIu64,
	       o->seconds);
	if (o->runs)
		fmtbuf(runs_opt, sizeof(runs_opt), "-runs=%" PRIu64, o->runs);
	else
		fmtbuf(runs_opt, sizeof(runs_opt), "-runs=-1");
	fmtbuf(timeout, sizeof(timeout), "-timeout=%d", FUZZ_INPUT_SECONDS);
	fmtbuf(dict, sizeof(dict), "-dict=%s", c->dict);
	fmtbuf(art, sizeof(art), "-artifact_prefix=%s/artifacts/", c->dir);
	fmtbuf(log, sizeof(log), "%s/fuzzer.log", c->dir);
	pid = spawn_group(argv, log, NULL);
	if (pid < 0)
		return fuzz_error("cannot start %s: %s", bin, strerror(errno));
	c->pids[c->npids++] = pid;
	return 0;
}

static int start_afl(struct fuzz_campaign *c)
{
	const struct fuzz_opts *o = c->o;
	char bin[FUZZ_PATH_BYTES], outdir[FUZZ_PATH_BYTES + 8];
	char secs[32], role[8], name[32], log[FUZZ_PATH_BYTES + 32];
	char timeout[32], execs[32];
	static char e1[] = "AFL_NO_UI=1", e2[] = "AFL_SKIP_CPUFREQ=1",
		    e3[] = "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1",
		    e4[] = "AFL_NO_AFFINITY=1", e5[] = "AFL_SKIP_CRASHES=1",
		    e6[] = "AFL_NO_WARN_INSTABILITY=1";
	char *env[] = { e1, e2, e3, e4, e5, e6, NULL };
	const char *argv[20] = { "afl-fuzz", role,   name, "-i",   c->corpus,
				 "-o",	     outdir, "-x", c->dict };
	unsigned int k, n = 9;
	pid_t pid;

	/* The bounds: -V seconds, -E executions of each instance. */
	if (o->seconds) {
		argv[n++] = "-V";
		argv[n++] = secs;
	}
	if (o->runs) {
		argv[n++] = "-E";
		argv[n++] = execs;
	}
	argv[n++] = "-t";
	argv[n++] = timeout;
	argv[n++] = "--";
	argv[n++] = bin;
	argv[n] = NULL;
	fmtbuf(bin, sizeof(bin), "%s/fuzz_%s", c->build, o->target);
	fmtbuf(outdir, sizeof(outdir), "%s/afl", c->dir);
	fmtbuf(secs, sizeof(secs), "%" PRIu64, o->seconds);
	fmtbuf(execs, sizeof(execs), "%" PRIu64,
	       (o->runs + o->jobs - 1) / o->jobs);
	fmtbuf(timeout, sizeof(timeout), "%d", FUZZ_INPUT_SECONDS * 1000);
	for (k = 0; k < o->jobs; k++) {
		fmtbuf(role, sizeof(role), "%s", k == 0 ? "-M" : "-S");
		if (k == 0)
			fmtbuf(name, sizeof(name), "main");
		else
			fmtbuf(name, sizeof(name), "sec%u", k);
		fmtbuf(log, sizeof(log), "%s/afl-%s.log", c->dir, name);
		pid = spawn_group(argv, log, env);
		if (pid < 0)
			return fuzz_error("cannot start afl-fuzz: %s",
					  strerror(errno));
		c->pids[c->npids++] = pid;
		/* The main instance makes the output folder first. */
		if (k == 0 && o->jobs > 1)
			sleep_ms(500);
	}
	return 0;
}

/* Stops every fuzzer still running: SIGTERM to all the groups at once,
 * SIGKILL to those still there after the grace period (note 2). */
static void stop_all(struct fuzz_campaign *c)
{
	unsigned int k, i, left;
	int status;

	for (k = 0; k < c->npids; k++)
		if (c->pids[k] > 0)
			kill(-c->pids[k], SIGTERM);
	for (i = 0; i <= FUZZ_STOP_GRACE * 10; i++) {
		left = 0;
		for (k = 0; k < c->npids; k++) {
			if (c->pids[k] <= 0)
				continue;
			if (waitpid(c->pids[k], &status, WNOHANG) ==
			    c->pids[k]) {
				kill(-c->pids[k], SIGKILL);
				c->pids[k] = 0;
			} else {
				left++;
			}
		}
		if (!left)
			return;
		sleep_ms(100);
	}
	for (k = 0; k < c->npids; k++) {
		if (c->pids[k] <= 0)
			continue;
		kill(-c->pids[k], SIGKILL);
		waitpid(c->pids[k], &status, 0);
		c->pids[k] = 0;
	}
}

/* A fuzzer that ended early with an error: its log says why. */
static void fuzzer_ended(struct fuzz_campaign *c, unsigned int k, int status)
{
	char log[FUZZ_PATH_BYTES];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	c->failed_fuzzers++;
	if (c->o->engine == ENGINE_LIBFUZZER)
		fmtbuf(log, sizeof(log), "%s/fuzzer.log", c->dir);
	else if (k == 0)
		fmtbuf(log, sizeof(log), "%s/afl-main.log", c->dir);
	else
		fmtbuf(log, sizeof(log), "%s/afl-sec%u.log", c->dir, k);
	/* libFuzzer's fork mode ends non-zero after crashes it ignored. */
	if (c->o->engine == ENGINE_LIBFUZZER && scan_findings(c, false))
		return;
	print_tail(log, 1500);
	fprintf(stderr,
		"ringside fuzz: the fuzzer ended with %s %d (log: %s)\n",
		WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		log);
}

/* With --until-finding: true once a finding file has been there for a
 * second (time for the fuzzer to finish writing it). */
static bool first_finding_kept(struct fuzz_campaign *c, double now,
			       double *seen)
{
	if (!c->o->until_finding)
		return false;
	if (*seen == 0) {
		if (scan_findings(c, false))
			*seen = now;
		return false;
	}
	return now - *seen >= 1;
}

/* Waits for the fuzzers, prints progress, stops them at the deadline, at
 * the first finding (--until-finding) or on a signal (note 2). Returns
 * true when interrupted. */
static bool watch(struct fuzz_campaign *c)
{
	double start = c->start, last = start, seen = 0;
	unsigned int k, running = c->npids;

	while (running > 0) {
		double now = cli_now();

		if (fuzz_stop_signal) {
			fprintf(stderr,
				"ringside fuzz: %s: stopping the fuzzers, "
				"then importing the findings\n",
				strsignal(fuzz_stop_signal));
			stop_all(c);
			return true;
		}
		if ((c->o->seconds &&
		     now - start >
			     (double)c->o->seconds + FUZZ_DEADLINE_GRACE) ||
		    first_finding_kept(c, now, &seen)) {
			stop_all(c);
			return false;
		}
		for (k = 0; k < c->npids; k++) {
			int status;

			if (c->pids[k] > 0 && waitpid(c->pids[k], &status,
						      WNOHANG) == c->pids[k]) {
				/* Its group too (fork-mode jobs). */
				kill(-c->pids[k], SIGKILL);
				c->pids[k] = 0;
				running--;
				fuzzer_ended(c, k, status);
			}
		}
		if (now - last >= FUZZ_PROGRESS_SECONDS) {
			print_progress(c, now - start);
			last = now;
		}
		sleep_ms(200);
	}
	return false;
}

static void shell_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

static void print_finding(const struct fuzz_campaign *c,
			  const struct fuzz_finding *f)
{
	printf("finding: run %" PRId64 " oracle=%s: %s\n", f->run, f->oracle,
	       f->message);
	if (f->replayable) {
		printf("  replay: ringside replay ");
		shell_quote(stdout, c->o->db);
		printf(" %" PRId64 "\n", f->run);
	}
	printf("  reproduce: ringside fuzz --reproduce ");
	shell_quote(stdout, f->path);
	printf(" --target %s --engine %s", c->o->target,
	       engine_name(c->o->engine));
	if (c->o->build_dir || c->o->plant) {
		printf(" --build-dir ");
		shell_quote(stdout, c->build);
	}
	putchar('\n');
}

static void print_json(const struct fuzz_campaign *c, bool interrupted)
{
	size_t i;

	printf("{\"target\": \"%s\", \"engine\": \"%s\", \"db\": ",
	       c->o->target, engine_name(c->o->engine));
	cli_json_string(stdout, c->o->db);
	printf(", \"campaign\": ");
	cli_json_string(stdout, c->dir);
	printf(", \"interrupted\": %s, \"findings\": [",
	       interrupted ? "true" : "false");
	for (i = 0; i < c->nfindings; i++) {
		const struct fuzz_finding *f = &c->findings[i];

		printf("%s{\"file\": ", i ? ", " : "");
		cli_json_string(stdout, f->path);
		printf(", \"run\": %" PRId64 ", \"oracle\": ", f->run);
		cli_json_string(stdout, f->oracle);
		printf(", \"message\": ");
		cli_json_string(stdout, f->message);
		printf(", \"replayable\": %s}",
		       f->replayable ? "true" : "false");
	}
	printf("]}\n");
}

static int import_all(struct fuzz_campaign *c, bool interrupted)
{
	size_t i;
	int bad = 0;

	scan_findings(c, true);
	for (i = 0; i < c->nfindings; i++)
		if (import_one(c, &c->findings[i]) != 0)
			bad = 1;
	if (c->o->json) {
		print_json(c, interrupted);
	} else {
		for (i = 0; i < c->nfindings; i++)
			if (c->findings[i].run > 0)
				print_finding(c, &c->findings[i]);
		printf("%zu finding%s%s, in %s\n", c->nfindings,
		       c->nfindings == 1 ? "" : "s",
		       interrupted ? " (interrupted)" : "", c->dir);
	}
	fflush(stdout);
	if (bad)
		return fuzz_error("some findings could not be stored: their "
				  "files stay in %s",
				  c->dir);
	if (!c->nfindings && c->failed_fuzzers == c->npids)
		return fuzz_error("the fuzzer did not run (its log is in %s)",
				  c->dir);
	return c->nfindings ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int campaign(const struct fuzz_opts *o)
{
	struct fuzz_campaign c = { .o = o };
	bool interrupted;
	char err[FUZZ_ERR_BYTES];
	struct trace_db *db;
	int rc;

	/* The trace file first: a campaign whose findings cannot be stored
	 * is not started. */
	if (trace_open(o->db, TRACE_CREATE, &db, err, sizeof(err)) != 0)
		return fuzz_error("%s", err);
	trace_close(db);
	catch_stop_signals(true);
	rc = find_source(c.src, sizeof(c.src));
	if (rc == 0)
		rc = build_fuzzers(&c);
	if (rc == 0)
		rc = prepare_campaign(&c);
	if (rc == 0 && fuzz_stop_signal)
		rc = fuzz_error("interrupted before the campaign started");
	if (rc) {
		catch_stop_signals(false);
		return rc;
	}
	fprintf(stderr, "ringside fuzz: %s on %s", engine_name(o->engine),
		o->target);
	if (o->seconds)
		fprintf(stderr, " for %" PRIu64 " s", o->seconds);
	if (o->runs)
		fprintf(stderr, "%s %" PRIu64 " executions",
			o->seconds ? " or" : " for", o->runs);
	fprintf(stderr, ", %u job%s, in %s\n", o->jobs, o->jobs == 1 ? "" : "s",
		c.dir);
	c.start = cli_now();
	rc = o->engine == ENGINE_LIBFUZZER ? start_libfuzzer(&c)
					   : start_afl(&c);
	interrupted = watch(&c);
	if (rc) {
		/* Some instances may have run: their findings count too. */
		import_all(&c, interrupted);
		free(c.findings);
		catch_stop_signals(false);
		return rc;
	}
	print_progress(&c, cli_now() - c.start);
	rc = import_all(&c, interrupted);
	free(c.findings);
	catch_stop_signals(false);
	return rc;
}

/* --- reproduce -------------------------------------------------------------- */

static int reproduce(const struct fuzz_opts *o)
{
	struct fuzz_campaign c = { .o = o };
	char oracle[TRACE_NAME_BYTES], message[TRACE_MESSAGE_BYTES];
	char log[64] = "";
	int rc, fd;

	if (!is_file(o->reproduce))
		return fuzz_error("%s: no such file", o->reproduce);
	rc = find_source(c.src, sizeof(c.src));
	if (rc == 0)
		rc = build_fuzzers(&c);
	if (rc)
		return rc;
	fmtbuf(log, sizeof(log), "/tmp/ringside-reproduce-XXXXXX");
	fd = mkstemp(log);
	if (fd < 0)
		return fuzz_error("a temporary file: %s", strerror(errno));
	close(fd);
	rc = rerun(c.build, o->target, o->reproduce, log, oracle,
		   sizeof(oracle), message, sizeof(message));
	if (rc > 0)
		print_tail(log, 6000);
	unlink(log);
	if (rc < 0)
		return fuzz_error("cannot run %s/fuzz_regress_%s", c.build,
				  o->target);
	if (o->json) {
		printf("{\"file\": ");
		cli_json_string(stdout, o->reproduce);
		printf(", \"target\": \"%s\", \"finding\": %s", o->target,
		       rc ? "true" : "false");
		if (rc) {
			printf(", \"oracle\": ");
			cli_json_string(stdout, oracle);
			printf(", \"message\": ");
			cli_json_string(stdout, message);
		}
		printf("}\n");
	} else if (rc) {
		printf("finding: target=%s oracle=%s: %s\n", o->target, oracle,
		       message);
	} else {
		printf("no finding: %s ran clean through fuzz_regress_%s\n",
		       o->reproduce, o->target);
	}
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_fuzz(int argc, char **argv)
{
	struct fuzz_opts o;
	int rc = parse_opts(&o, argc, argv);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = janitor_start(&fuzz_janitor);
	if (rc)
		return fuzz_error("cannot start the process that ends our "
				  "fuzzers if we are killed: %s",
				  strerror(-rc));
	rc = o.reproduce ? reproduce(&o) : campaign(&o);
	/* Every group we started has ended by now (stop_group, stop_all). */
	janitor_stop(&fuzz_janitor);
	return rc;
}
