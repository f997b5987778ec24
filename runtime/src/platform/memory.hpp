// platform/memory.hpp — address-space reservation for goroutine stacks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmpkit::rt {

std::size_t page_size() noexcept;
// Reserve and map `size` bytes read/write, committed on touch, not counted
// against the commit limit (MAP_NORESERVE). Returns nullptr on failure.
void* map_stack_memory(std::size_t size) noexcept;
// Make [p, p+size) inaccessible (a guard page). Returns false on failure.
bool protect_none(void* p, std::size_t size) noexcept;
void unmap(void* p, std::size_t size) noexcept;
// /proc/sys/vm/max_map_count, or 65530 if it cannot be read.
std::int64_t max_map_count() noexcept;

}  // namespace gmpkit::rt
