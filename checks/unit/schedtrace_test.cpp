// schedtrace / scheddetail: the real stderr output of sysmon's
// periodic report, set through Config and through GMPKIT_DEBUG, checked
// line by line against Go's format (proc.go schedtrace), and the on-demand
// gmpkit::debug::schedtrace(). No timing assertions beyond "at least two
// reports in a run that lasts many periods".
#include <gtest/gtest.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Redirects fd 2 into a temporary file for its lifetime (a file, not a
// pipe: sysmon must never block on a full pipe).
class CaptureStderr {
 public:
  CaptureStderr() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    saved_ = ::dup(2);
    ::dup2(::fileno(file_), 2);
  }
  ~CaptureStderr() {
    restore();
    if (file_) std::fclose(file_);
  }
  std::string finish() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

// Restores GMPKIT_DEBUG when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const std::regex kSummary(
    R"(SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) needspinning=0 idlethreads=(\d+) runqueue=(\d+) \[(\d+(?: \d+)*)\])");
const std::regex kDetailHead(
    R"(SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) needspinning=0 idlethreads=(\d+) runqueue=(\d+) gcwaiting=[01] nmidlelocked=\d+ stopwait=-?\d+ sysmonwait=0)");
const std::regex kPLine(
    R"(  P(\d+): status=[0-4] schedtick=\d+ syscalltick=\d+ m=-?\d+ runqsize=\d+ gfreecnt=\d+ timerslen=\d+)");
const std::regex kMLine(
    R"(  M(\d+): p=-?\d+ curg=-?\d+ mallocing=0 throwing=0 preemptoff= locks=\d+ dying=0 spinning=(true|false) blocked=(true|false) lockedg=-?\d+)");
const std::regex kGLine(R"(  G(\d+): status=(\d+)\(([^)]*)\) m=-?\d+ lockedm=-?\d+)");

// A workload that keeps a few goroutines busy, blocked and sleeping for
// `d`: one parked on a channel receive for the whole time.
void workload(std::chrono::milliseconds d) {
  gmpkit::Chan<int> never(0);
  gmpkit::WaitGroup wg;
  wg.add(1);
  gmpkit::go([&] {
    never.recv();
    wg.done();
  });
  std::atomic<bool> stop{false};
  for (int i = 0; i < 3; i++) {
    wg.add(1);
    gmpkit::go([&] {
      while (!stop.load()) {
        gmpkit::sleep_for(1ms);
        gmpkit::yield();
      }
      wg.done();
    });
  }
  gmpkit::sleep_for(d);
  stop = true;
  never.send(1);
  wg.wait();
}

TEST(Schedtrace, ConfigPrintsGoSummaryLines) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.schedtrace = 10ms;
  CaptureStderr cap;
  gmpkit::run(cfg, [] { workload(200ms); });
  const std::string out = cap.finish();
  int reports = 0;
  long last_ms = -1;
  for (const std::string& l : lines_of(out)) {
    if (l.rfind("SCHED ", 0) != 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, kSummary)) << "not Go's format: " << l;
    reports++;
    const long ms = std::stol(m[1]);
    EXPECT_GE(ms, last_ms) << "time goes backwards: " << l;
    last_ms = ms;
    EXPECT_EQ(std::stoi(m[2]), 2) << l;  // gomaxprocs
    EXPECT_LE(std::stoi(m[3]), 2) << l;  // idleprocs
    EXPECT_GE(std::stoi(m[4]), 2) << l;  // threads: m0 and sysmon at least
    EXPECT_LE(std::stoi(m[5]), 2) << l;  // spinning Ms <= Ps
    // One run-queue length per P.
    std::istringstream q(m[8].str());
    int n = 0;
    for (int v; q >> v;) n++;
    EXPECT_EQ(n, 2) << l;
  }
  EXPECT_GE(reports, 2) << out;
  EXPECT_EQ(out.find("  P0:"), std::string::npos) << "detail lines without scheddetail";
}

TEST(Schedtrace, OffByDefault) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  CaptureStderr cap;
  gmpkit::run(cfg, [] { workload(30ms); });
  EXPECT_EQ(cap.finish().find("SCHED "), std::string::npos);
}

TEST(Schedtrace, EnvDetailPrintsPMGLines) {
  ScopedEnv env("GMPKIT_DEBUG", "schedtrace=10,scheddetail=1");
  gmpkit::Config cfg;
  cfg.procs = 3;
  CaptureStderr cap;
  gmpkit::run(cfg, [] { workload(150ms); });
  const std::string out = cap.finish();
  const auto lines = lines_of(out);
  int reports = 0;
  bool saw_chan_receive = false, saw_main = false;
  for (std::size_t i = 0; i < lines.size(); i++) {
    if (lines[i].rfind("SCHED ", 0) != 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, kDetailHead)) << "not Go's format: " << lines[i];
    EXPECT_EQ(std::stoi(m[2]), 3);
    reports++;
    // P lines, in order, one per P; then M lines; then G lines.
    std::size_t j = i + 1;
    for (int p = 0; p < 3; p++, j++) {
      ASSERT_LT(j, lines.size());
      std::smatch pm;
      ASSERT_TRUE(std::regex_match(lines[j], pm, kPLine)) << "P line " << p << ": " << lines[j];
      EXPECT_EQ(std::stoi(pm[1]), p);
    }
    int ms = 0;
    for (; j < lines.size() && std::regex_match(lines[j], kMLine); j++) ms++;
    EXPECT_GE(ms, 2) << "m0 and sysmon at least";
    int gs = 0;
    for (std::smatch gm; j < lines.size() && std::regex_match(lines[j], gm, kGLine); j++) {
      gs++;
      const int st = std::stoi(gm[2]);
      EXPECT_TRUE(st == 0 || st == 1 || st == 2 || st == 3 || st == 4 || st == 6 || st == 9)
          << lines[j];
      if (st == 4) {
        EXPECT_FALSE(gm[3].str().empty()) << "a waiting G names its wait reason: " << lines[j];
      } else {
        EXPECT_TRUE(gm[3].str().empty()) << lines[j];
      }
      if (gm[3] == "chan receive") saw_chan_receive = true;
      if (gm[1] == "1") saw_main = true;
    }
    EXPECT_GE(gs, 1);
    // The report ends at the next report or at the end of the output
    // (nothing else writes to stderr here).
    if (j < lines.size()) {
      EXPECT_EQ(lines[j].rfind("SCHED ", 0), 0u) << "stray line: " << lines[j];
    }
  }
  EXPECT_GE(reports, 2) << out;
  EXPECT_TRUE(saw_chan_receive) << out;
  EXPECT_TRUE(saw_main) << out;
}

TEST(Schedtrace, EnvOverridesConfig) {
  ScopedEnv env("GMPKIT_DEBUG", "schedtrace=0");
  gmpkit::Config cfg;
  cfg.procs = 2;
  cfg.schedtrace = 5ms;
  CaptureStderr cap;
  gmpkit::run(cfg, [] { workload(30ms); });
  EXPECT_EQ(cap.finish().find("SCHED "), std::string::npos);
}

TEST(Schedtrace, OnDemand) {
  gmpkit::Config cfg;
  cfg.procs = 2;
  std::string summary, detail;
  gmpkit::run(cfg, [&] {
    std::ostringstream a, b;
    gmpkit::debug::schedtrace(a, false);
    gmpkit::debug::schedtrace(b, true);
    summary = a.str();
    detail = b.str();
  });
  const auto s = lines_of(summary);
  ASSERT_EQ(s.size(), 1u) << summary;
  EXPECT_TRUE(std::regex_match(s[0], kSummary)) << summary;
  const auto d = lines_of(detail);
  ASSERT_GE(d.size(), 1u + 2 + 2 + 1) << detail;
  EXPECT_TRUE(std::regex_match(d[0], kDetailHead)) << detail;
  EXPECT_TRUE(std::regex_match(d[1], kPLine)) << detail;
  EXPECT_TRUE(std::regex_match(d[2], kPLine)) << detail;
  // The caller: main goroutine, running, on an M that holds P... something.
  EXPECT_NE(detail.find("  G1: status=2() m="), std::string::npos) << detail;
  EXPECT_THROW(
      {
        std::ostringstream o;
        gmpkit::debug::schedtrace(o, false);
      },
      gmpkit::usage_error);
}

}  // namespace
