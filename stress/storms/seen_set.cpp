// stress/storms/seen_set.cpp
#include "seen_set.hpp"

#include <cstdio>
#include <cstdlib>

namespace gmpkit::stress {

SeenSet::SeenSet(int streams) {
  for (int i = 0; i < streams; i++) {
    streams_.emplace_back(new std::atomic<Chunk*>[kChunks]);
    for (std::size_t c = 0; c < kChunks; c++)
      streams_.back()[c].store(nullptr, std::memory_order_relaxed);
  }
}

SeenSet::~SeenSet() {
  for (auto& s : streams_)
    for (std::size_t c = 0; c < kChunks; c++) delete[] s[c].load(std::memory_order_relaxed);
}

bool SeenSet::mark(int stream, std::uint64_t seq) {
  const std::uint64_t chunk = seq / kChunkBits;
  if (chunk >= kChunks) {
    std::fprintf(stderr, "gmpkit-stress: SeenSet: sequence %llu past the table\n",
                 static_cast<unsigned long long>(seq));
    std::abort();
  }
  auto& slot = streams_[static_cast<std::size_t>(stream)][chunk];
  Chunk* words = slot.load(std::memory_order_acquire);  // acquire: the zeroed words
  if (words == nullptr) {
    auto* fresh = new Chunk[kChunkBits / 64]();
    // acq_rel: publish our zeroed chunk, or see the winner's.
    if (slot.compare_exchange_strong(words, fresh, std::memory_order_acq_rel))
      words = fresh;
    else
      delete[] fresh;
  }
  const std::uint64_t bit = seq % kChunkBits;
  const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
  // relaxed: the bit itself is the whole state.
  return (words[bit / 64].fetch_or(mask, std::memory_order_relaxed) & mask) == 0;
}

}  // namespace gmpkit::stress
