// stress/storms/seen_set.hpp — exact "received once" accounting for values
// that arrive out of order (several consumers): one bit per (stream, seq),
// allocated lazily in 512 KiB chunks, lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace gmpkit::stress {

class SeenSet {
 public:
  explicit SeenSet(int streams);
  ~SeenSet();
  SeenSet(const SeenSet&) = delete;
  SeenSet& operator=(const SeenSet&) = delete;

  // Marks (stream, seq). True the first time, false for a duplicate.
  bool mark(int stream, std::uint64_t seq);

  static constexpr std::uint64_t kChunkBits = 1u << 22;
  static constexpr std::size_t kChunks = 1024;  // 4 * 10^9 values per stream

 private:
  using Chunk = std::atomic<std::uint64_t>;
  std::vector<std::unique_ptr<std::atomic<Chunk*>[]>> streams_;
};

}  // namespace gmpkit::stress
