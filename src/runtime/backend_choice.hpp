#pragma once
// Which io_backend a loop gets. BARRAGE_IO_BACKEND=epoll|io_uring in the environment picks
// one for every loop of the process; without it (or with another value) io_uring (why, and
// what each measured: backend_choice.cpp and docs/performance.md, "io_uring backend").
// io_uring falls back to epoll, silently, when the kernel refuses it (too old, disabled by
// sysctl or seccomp): a loop's backend().name() tells which one runs.
#include <memory>

#include "runtime/io_backend.hpp"

namespace barrage {

enum class io_backend_kind : std::uint8_t {
  automatic,  // BARRAGE_IO_BACKEND, else the default
  epoll,
  io_uring,   // epoll when io_uring is unavailable
};

/// Throws std::system_error only when epoll itself cannot be set up.
std::unique_ptr<io_backend> make_io_backend(io_backend_kind kind = io_backend_kind::automatic);

}  // namespace barrage
