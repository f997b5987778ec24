// stress/cli/machine.cpp — see machine.hpp.
#include "machine.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gmpkit/numa/topology.hpp>

namespace gmpkit::stress {

namespace {

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  if (::pclose(f) != 0) out.clear();
  return out;
}

std::string script() {
  if (const char* s = std::getenv("GMPKIT_REPORTS_MACHINE"); s && *s) return s;
  for (const std::string& p : {std::string(GMPKIT_SOURCE_DIR) + "/reports/machine",
                               std::string(GMPKIT_INSTALL_DATADIR) + "/reports/machine"})
    if (::access(p.c_str(), X_OK) == 0) return p;
  return "";
}

}  // namespace

nlohmann::json machine_block() {
  if (const std::string s = script(); !s.empty()) {
    const std::string out = capture("'" + s + "' 2>/dev/null");
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_discarded() && j.is_object()) return j;
  }
  nlohmann::json m;
  m["source"] = "gmpkit-stress fallback (reports/machine not found or failed)";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      m["cpu_model"] = line.substr(line.find(':') + 2);
      break;
    }
  try {
    auto t = numa::Topology::load("");
    m["numa_nodes"] = t->num_nodes();
    m["cores"] = t->num_cores();
    m["threads"] = t->num_pus();
    m["topology"] = t->synthetic();
  } catch (const std::exception& e) {
    m["topology_error"] = e.what();
  }
  utsname u{};
  if (::uname(&u) == 0) m["kernel"] = std::string(u.sysname) + " " + u.release;
  double la[3];
  if (::getloadavg(la, 3) == 3) m["load_avg"] = {la[0], la[1], la[2]};
  return m;
}

}  // namespace gmpkit::stress
