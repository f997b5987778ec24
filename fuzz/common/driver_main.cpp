// fuzz/common/driver_main.cpp — main() for a harness built without
// libFuzzer: runs LLVMFuzzerTestOneInput once per file named on the command
// line (a directory: every file in it, in name order). ctest's
// fuzz-regression tests replay fuzz/corpus/<target> and
// fuzz/regressions/<target> this way, so a returning bug fails CI without
// clang's fuzzing runtime.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  gmpkit::fuzz::program_name() = argv[0];
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    const std::filesystem::path p(argv[i]);
    if (argv[i][0] == '-') continue;  // libFuzzer flags: ignored by the driver
    if (std::filesystem::is_directory(p)) {
      std::vector<std::string> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) in_dir.push_back(e.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::exists(p)) {
      files.push_back(p.string());
    } else {
      std::fprintf(stderr, "%s: no such input: %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
    gmpkit::fuzz::current_input_name() = f;
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  std::printf("%s: %zu input(s) ran without a failure\n", argv[0], files.size());
  return 0;
}
