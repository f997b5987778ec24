// platform/sim/quit_signal_sim.cpp — no SIGQUIT dump in the simulation: the
// simulator's failure hook dumps instead (platform/quit_signal.hpp).
#include "platform/quit_signal.hpp"

namespace gmpkit::rt {
bool quit_signal_install(QuitHandler) noexcept { return false; }
void quit_signal_restore() noexcept {}
}  // namespace gmpkit::rt
