// stress/cli/machine.hpp — the machine block of a result file (the schema
// in reports/). The fingerprint is reports/machine's (Python, the one
// implementation every result file shares); gmpkit-stress runs it and embeds
// its JSON. Where it cannot run, a reduced block from hwloc and /proc is
// written instead, marked "source": "gmpkit-stress fallback".
#pragma once

#include <nlohmann/json.hpp>

namespace gmpkit::stress {

nlohmann::json machine_block();

}  // namespace gmpkit::stress
