/*
 * fuzz_world.c - target "world": the whole simulated world (model/world.h)
 * with the fuzz input as its choice source, so that the fuzzer steers every
 * choice the world makes: the device type and transport mode, the swarm of
 * adversarial behaviours and their rates, every scheduling decision, every
 * lie of the device and every allocation failure.
 *
 * Input layout: the bytes are the choice source (model/choice.h, the bytes
 * back end): each draw takes the bytes its bound needs, little-endian, mod
 * the bound; once they run out every draw is 0, the quiet outcome. The
 * corpus generator (make_corpus.c) encodes the draws of seeded runs this
 * way, so a seed input replays its run exactly.
 *
 * The run: sim_run with any device, swarm adversaries, at most
 * FUZZ_WORLD_STEPS scheduler steps (a compile-time knob:
 * -DFUZZ_WORLD_STEPS=N), ending with the step in which the input runs dry
 * (world.h, end_when_dry): teardown and every oracle run then as after the
 * last step. A short input is a short run, so the fuzzer spends its time
 * where the bytes steer the world and grows inputs where that pays; a
 * corpus seed holds every draw of its seeded run and so never runs dry.
 * The choice log is off (choice.h note 2) and the events are only counted
 * (world.h, events_unread): nothing here reads them.
 *
 * What makes it abort: an oracle of the world fired (model/world.h lists
 * them: warn, token-conservation, token-returned-twice, free-descriptors,
 * stall, data-integrity, false-alarm, missed-detection, driver-rule,
 * features, leak, setup). The oracle and its message go to stderr as a
 * finding line (fuzz_common.h note 2), then abort(). A device fault the
 * ring handled (a broken queue, a clamped len) is the world's business and
 * never a finding.
 */
#include "fuzz_common.h"

#include <choice.h>
#include <world.h>

#include <string.h>

#ifdef RINGSIDE_FUZZ_FAST_BURST
/* The leading rounds of a burst, through an uninstrumented copy of the
 * ring (fuzz/CMakeLists.txt, model/burst.h). */
burst_rounds_fn burst_rounds_fast;
#endif

#ifndef FUZZ_WORLD_STEPS
#define FUZZ_WORLD_STEPS 600
#endif

const char fuzz_target_name[] = "world";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct choice_source cs;
	struct sim_config cfg;
	struct sim_result result;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = SIM_DEVICE_ANY;
	cfg.swarm = true;
	cfg.steps_max = FUZZ_WORLD_STEPS;
	cfg.end_when_dry = true;
	cfg.events_unread = true;
#ifdef RINGSIDE_FUZZ_FAST_BURST
	cfg.burst_rounds = burst_rounds_fast;
#endif
	choice_init_bytes(&cs, data, size);
	choice_set_log_limit(&cs, 0);
	if (sim_run(&cfg, &cs, &result) != 0)
		fuzz_finding("setup", "sim_run refused its configuration");
	choice_free(&cs);
	if (result.failed)
		fuzz_finding(result.oracle ? result.oracle : "unknown",
			     "%s (device %s, step %llu of %llu)",
			     result.message, sim_device_name(result.device),
			     (unsigned long long)result.fail_step,
			     (unsigned long long)result.steps);
	return 0;
}
