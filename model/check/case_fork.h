/*
 * case_fork.h - running one case of `ringside check` in a child process, so
 * that a device model in our address space (lib:) that crashes, aborts or
 * hangs fails its case, with the evidence of how it ended, and the report
 * of the other cases is still produced.
 */
#ifndef RINGSIDE_MODEL_CHECK_CASE_FORK_H
#define RINGSIDE_MODEL_CHECK_CASE_FORK_H

#include "check.h"

/*
 * Runs fn(arg, c) in a child process and copies c back. Returns fn's
 * result, or 0 with c->crashed and c->crash set when the child died or
 * sent nothing within timeout_ms (it is then killed and reaped), or a
 * negative errno with c->setup_error when no child could be made.
 */
int check_isolated(int (*fn)(void *arg, struct check_case *c), void *arg,
		   struct check_case *c, unsigned int timeout_ms);

#endif /* RINGSIDE_MODEL_CHECK_CASE_FORK_H */
