#include "runtime/backend_choice.hpp"

#include <cstdlib>
#include <string_view>
#include <system_error>

#include "runtime/epoll_backend.hpp"
#include "runtime/uring_backend.hpp"

namespace barrage {
namespace {

/// What automatic stands for when BARRAGE_IO_BACKEND is not set (here, not in the header,
/// so that changing it rebuilds one file). io_uring: with its receives in a provided-buffer
/// pool and its sends in the turn's io_uring_enter it makes about 0.1 syscalls per keep-alive
/// request where epoll makes 2, and it was at least as good as epoll on the rows of `make
/// bench` and `make scale` (docs/performance.md, "io_uring as the default"). Where the kernel
/// refuses a ring, make_io_backend falls back to epoll.
constexpr io_backend_kind default_io_backend = io_backend_kind::io_uring;

io_backend_kind from_environment() noexcept {
  const char* v = std::getenv("BARRAGE_IO_BACKEND");
  if (!v) return default_io_backend;
  const std::string_view name(v);
  if (name == "epoll") return io_backend_kind::epoll;
  if (name == "io_uring" || name == "uring") return io_backend_kind::io_uring;
  return default_io_backend;
}

}  // namespace

std::unique_ptr<io_backend> make_io_backend(io_backend_kind kind) {
  if (kind == io_backend_kind::automatic) kind = from_environment();
  if (kind == io_backend_kind::io_uring) {
    try {
      return std::make_unique<uring_backend>();
    } catch (const std::system_error&) {
      // The kernel refused a ring (or its buffer ring): epoll serves instead.
    }
  }
  return std::make_unique<epoll_backend>();
}

}  // namespace barrage
