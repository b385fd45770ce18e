/*
 * fuzz_common.h - what every fuzz target of fuzz/ shares: the input reader,
 * the finding policy and the shim hooks of the ring and bus targets.
 *
 * Notes:
 *
 * 1. Input. A target reads its input front to back through fuzz_input:
 *    every read returns the minimum (0, false) once the bytes run out, so
 *    every input, even an empty one, is a valid (and quiet) program, and a
 *    fuzzer that appends bytes extends the program at its end.
 * 2. Findings. Only an oracle failure or a sanitizer report is a finding;
 *    a device fault the ring handled (a broken queue) never is. A target
 *    reports an oracle with fuzz_finding(), which prints one line
 *
 *        ringside-fuzz: finding: target=T oracle=O: message
 *
 *    to stderr and then calls abort(), so every engine (libFuzzer, AFL++,
 *    the regression driver) sees a crash. The oracle names are those of
 *    model/world.h where they mean the same, so a tool that imports
 *    findings (the trace store) can parse the line and name the oracle.
 * 3. Shim hooks (ring and bus targets). fuzz_shim_begin() installs a
 *    report hook that turns every WARN or BUG into the finding "warn",
 *    except the WARNs announced with fuzz_expect_warn() (documented misuse
 *    the target commits on purpose, to check that the API refuses it), and
 *    a log hook that keeps printk quiet. fuzz_shim_end() checks that every
 *    announced WARN came and puts the default hooks back.
 * 4. The arena (ring and bus targets). One arena of FUZZ_ARENA_BYTES is
 *    created on first use and reset (shim_arena_reset) for every input, so
 *    an input sees the same fresh arena whatever ran before it.
 */
#ifndef RINGSIDE_FUZZ_COMMON_H
#define RINGSIDE_FUZZ_COMMON_H

#include <linux/types.h>

#include <stddef.h>
#include <stdint.h>

#define FUZZ_ARENA_BYTES (32u << 20)
#define FUZZ_PHYS_BASE 0x100000u

/* The entry point of every target (libFuzzer's contract). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The target's name, for findings ("ring", "bus", "world", ...). */
extern const char fuzz_target_name[];

struct fuzz_input {
	const u8 *data;
	size_t size;
	size_t pos;
};

void fuzz_input_init(struct fuzz_input *in, const u8 *data, size_t size);
/* True once every byte was read. */
bool fuzz_input_done(const struct fuzz_input *in);
u8 fuzz_u8(struct fuzz_input *in);
u16 fuzz_u16(struct fuzz_input *in); /* little-endian */
u32 fuzz_u32(struct fuzz_input *in);
u64 fuzz_u64(struct fuzz_input *in);
/* A value in [0, bound), bound >= 1: one byte for bounds up to 256, two up
 * to 65536, else four, reduced mod bound. */
u32 fuzz_below(struct fuzz_input *in, u32 bound);
bool fuzz_bool(struct fuzz_input *in);

/* Note 2: reports an oracle failure and aborts. */
__attribute__((noreturn, format(printf, 2, 3))) void
fuzz_finding(const char *oracle, const char *fmt, ...);

/* Note 3. */
void fuzz_shim_begin(void);
void fuzz_expect_warn(unsigned int count);
/* The finding "misuse" unless every announced WARN was reported. */
void fuzz_check_warned(const char *what);
void fuzz_shim_end(void);

/* Note 4: a fresh arena for this input; returns 0 or a negative errno. */
int fuzz_arena_fresh(void);
/* The finding "leak" if arena blocks are still live. */
void fuzz_check_no_leak(const char *when);

#endif /* RINGSIDE_FUZZ_COMMON_H */
