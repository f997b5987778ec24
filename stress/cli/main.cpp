// stress/cli/main.cpp — gmpkit-stress: accounted stress storms, placement
// and topology (stress/README.md).
//
//   gmpkit-stress list
//   gmpkit-stress run STORM...|all --seconds N --procs N [--placement P]
//                 [--topology T] [--seed S] [--json out.json]
//   gmpkit-stress topology [--topology T]
//
// Exit status: 0 when every storm ends with nothing lost or duplicated and
// every check passed; 1 otherwise (with the seed and a goroutine dump on
// stderr); 2 on a usage error.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <gmpkit/error.hpp>
#include <gmpkit/numa/placement.hpp>
#include <gmpkit/numa/topology.hpp>
#include <gmpkit/placement.hpp>

#include "machine.hpp"
#include "runner.hpp"

namespace gs = gmpkit::stress;
using nlohmann::json;

namespace {

json to_json(const gs::StormResult& r) {
  return json{{"name", r.name},
              {"seconds", r.seconds},
              {"ops", r.ops},
              {"ops_per_s", r.ops_per_s},
              {"events", r.events},
              {"lost", r.lost},
              {"duplicated", r.duplicated},
              {"invariant_checks", r.invariant_checks},
              {"invariant_failures", r.invariant_failures},
              {"violations", r.violations},
              {"ledger",
               {{"spawned", r.spawned},
                {"exited", r.exited},
                {"sent", r.sent},
                {"received", r.received},
                {"acquired", r.acquired},
                {"released", r.released}}},
              {"metrics",
               {{"stws", r.stws},
                {"preemptions", r.preemptions},
                {"async_preemptions", r.async_preemptions},
                {"handoffs", r.handoffs},
                {"steals", r.steals},
                {"syscalls", r.syscalls},
                {"peak_goroutines", r.peak_goroutines}}},
              {"notes", r.notes}};
}

int cmd_list() {
  for (const auto& s : gs::storms()) std::printf("%-11s %s\n", s.name, s.what);
  return 0;
}

int cmd_topology(const std::string& spec) {
  auto t = gmpkit::numa::Topology::load(spec);
  std::cout << t->describe();
  return 0;
}

struct RunArgs {
  std::vector<std::string> storms;
  double seconds = 5;
  int procs = 0;
  std::string placement = "none";
  std::string topology;
  std::uint64_t seed = 0;
  std::string json_path;
  double scale = 1.0;
  std::int64_t spawn_peak = 0;
  int check_ms = 50;
  bool quiet = false;
  bool numa_steal = false;
};

int cmd_run(RunArgs a) {
  std::vector<const gs::StormInfo*> todo;
  for (const auto& n : a.storms) {
    if (n == "all") {
      for (const auto& s : gs::storms()) todo.push_back(&s);
    } else if (const auto* s = gs::find_storm(n)) {
      todo.push_back(s);
    } else {
      std::fprintf(stderr, "gmpkit-stress: unknown storm \"%s\" (gmpkit-stress list)\n", n.c_str());
      return 2;
    }
  }
  if (a.seed == 0) a.seed = std::random_device{}() | 1;
  const bool placed = a.placement != "none" || !a.topology.empty();
  if (placed) gmpkit::numa::install();
  gmpkit::numa::set_steal_policy({a.numa_steal, std::chrono::microseconds(50)});
  (void)gmpkit::numa::parse_policy(a.placement);  // usage error before any run

  json out;
  out["tool"] = "gmpkit-stress";
  out["seed"] = a.seed;
  out["procs"] = a.procs;
  out["placement"] = a.placement;
  out["topology"] = a.topology;
  out["numa_steal"] = a.numa_steal;
  out["machine"] = gs::machine_block();
  out["storms"] = json::array();
  std::fprintf(stderr, "gmpkit-stress: seed %llu (rerun with --seed %llu)\n",
               static_cast<unsigned long long>(a.seed), static_cast<unsigned long long>(a.seed));

  bool all_ok = true;
  bool bindings_ok = true;
  std::int64_t total_events = 0, total_lost = 0;
  for (const auto* s : todo) {
    gs::StormOptions opt;
    opt.seconds = a.seconds;
    opt.procs = a.procs;
    opt.seed = a.seed;
    opt.scale = a.scale;
    opt.spawn_peak = a.spawn_peak;
    gs::RunSettings rs;
    rs.config.procs = a.procs;
    rs.config.stack_size = 64 * 1024;
    rs.config.placement = a.placement;
    rs.config.topology = a.topology;
    rs.check_every = std::chrono::milliseconds(a.check_ms);
    rs.progress = !a.quiet;
    if (placed) {
      gmpkit::numa::reset_binding_stats();
      rs.sample = gmpkit::numa::check_current_thread;
    }
    const gs::StormResult r = gs::run_storm(*s, opt, rs);
    json j = to_json(r);
    std::printf(
        "%-11s %8.2fs  ops %12lld  ops/s %12.0f  events %12lld  lost %lld  dup %lld  "
        "checks %lld (failed %lld)  violations %lld  %s\n",
        r.name.c_str(), r.seconds, static_cast<long long>(r.ops), r.ops_per_s,
        static_cast<long long>(r.events), static_cast<long long>(r.lost),
        static_cast<long long>(r.duplicated), static_cast<long long>(r.invariant_checks),
        static_cast<long long>(r.invariant_failures), static_cast<long long>(r.violations),
        r.ok() ? "ok" : "FAILED");
    if (placed) {
      const auto b = gmpkit::numa::binding_stats();
      const auto st = gmpkit::placement_stats();
      // Verified: the kernel's affinity read back equals the P's cpuset on
      // every bind, and every goroutine-side sample ran inside it.
      const bool applies = a.placement != "none" && b.unverifiable == 0;
      const bool verified =
          applies && b.binds > 0 && b.failed == 0 && b.samples_bad == 0 && b.verified == b.binds;
      j["bindings"] = {{"binds", b.binds},
                       {"verified", b.verified},
                       {"failed", b.failed},
                       {"unverifiable", b.unverifiable},
                       {"samples_ok", b.samples_ok},
                       {"samples_bad", b.samples_bad},
                       {"binds_per_node", b.binds_per_node},
                       {"local_steals", st.local_steals},
                       {"remote_steals", st.remote_steals},
                       {"all_verified", verified}};
      std::printf(
          "%-11s bindings: %lld binds, %lld verified, %lld failed, %lld unverifiable "
          "(foreign topology); getcpu samples %lld ok, %lld outside the cpuset: %s\n",
          "", static_cast<long long>(b.binds), static_cast<long long>(b.verified),
          static_cast<long long>(b.failed), static_cast<long long>(b.unverifiable),
          static_cast<long long>(b.samples_ok), static_cast<long long>(b.samples_bad),
          verified ? "bindings verified"
                   : (b.unverifiable ? "NOT verified (foreign topology: set HWLOC_THISSYSTEM=1 "
                                       "with a topology that fits this machine)"
                                     : "bindings NOT verified"));
      if (applies && !verified) bindings_ok = false;
    }
    std::fflush(stdout);
    out["storms"].push_back(j);
    total_events += r.events;
    total_lost += r.lost + r.duplicated;
    all_ok = all_ok && r.ok();
  }
  double la[3];
  if (::getloadavg(la, 3) == 3) out["machine"]["load_avg_end"] = {la[0], la[1], la[2]};
  std::printf("%lld events, %lld lost\n", static_cast<long long>(total_events),
              static_cast<long long>(total_lost));
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path);
    f << out.dump(2) << "\n";
    if (!f) {
      std::fprintf(stderr, "gmpkit-stress: cannot write %s\n", a.json_path.c_str());
      return 1;
    }
  }
  if (!all_ok)
    std::fprintf(stderr, "gmpkit-stress: FAILED (seed %llu)\n",
                 static_cast<unsigned long long>(a.seed));
  if (!bindings_ok) std::fprintf(stderr, "gmpkit-stress: placement bindings not verified\n");
  return all_ok && bindings_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gmpkit-stress: accounted scheduler stress storms, placement and topology"};
  app.require_subcommand(1);
  app.add_subcommand("list", "list the storms");
  auto* topo = app.add_subcommand("topology", "print the topology hwloc sees");
  std::string topo_spec;
  topo->add_option("--topology", topo_spec,
                   "\"\" (this machine), file.xml or \"numa:4 core:8 pu:2\"");
  auto* run = app.add_subcommand("run", "run storms with exact accounting");
  RunArgs a;
  run->add_option("storms", a.storms, "storm names or all")->required();
  run->add_option("--seconds", a.seconds, "seconds per storm")->check(CLI::PositiveNumber);
  run->add_option("--procs", a.procs, "GOMAXPROCS (0: hardware threads)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--placement", a.placement, "none, compact, scatter or numa");
  run->add_option("--topology", a.topology,
                  "\"\" (this machine), file.xml or a synthetic description");
  run->add_option("--seed", a.seed, "random seed (0: pick one and print it)");
  run->add_option("--json", a.json_path, "write the results here");
  run->add_option("--scale", a.scale, "workload size multiplier")->check(CLI::PositiveNumber);
  run->add_option("--spawn-peak", a.spawn_peak,
                  "spawn storm: Gs alive at the peak (default 1e4 x scale)");
  run->add_option("--check-ms", a.check_ms, "verify_invariants() period in ms")
      ->check(CLI::PositiveNumber);
  run->add_flag("--quiet", a.quiet, "no progress line");
  run->add_flag("--numa-steal", a.numa_steal,
                "NUMA-aware stealing (same node first, remote after 50 us)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (app.got_subcommand("list")) return cmd_list();
    if (app.got_subcommand("topology")) return cmd_topology(topo_spec);
    return cmd_run(a);
  } catch (const gmpkit::usage_error& e) {
    std::fprintf(stderr, "gmpkit-stress: %s\n", e.what());
    return 2;
  }
}
