#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>

#include "platform/memory.hpp"

namespace gmpkit::rt {

std::size_t page_size() noexcept {
  static const std::size_t ps = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return ps;
}

void* map_stack_memory(std::size_t size) noexcept {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

bool protect_none(void* p, std::size_t size) noexcept {
  return ::mprotect(p, size, PROT_NONE) == 0;
}

void unmap(void* p, std::size_t size) noexcept { ::munmap(p, size); }

std::int64_t max_map_count() noexcept {
  std::int64_t v = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    long long x;
    if (std::fscanf(f, "%lld", &x) == 1 && x > 0) v = x;
    std::fclose(f);
  }
  return v;
}

}  // namespace gmpkit::rt
