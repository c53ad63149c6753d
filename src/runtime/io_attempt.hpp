#pragma once
// One try of an operation's syscall, shared by the backends: each tries first and waits
// only when this says the fd would block.
#include "runtime/io_backend.hpp"

namespace barrage::detail {

/// Performs op's syscall once on fd. True when it finished (op.result set: >= 0 or -errno);
/// false on EAGAIN. connect reads the socket's pending error; readable and writable finish
/// at once (the caller calls this when the fd is ready).
bool attempt_io(int fd, io_op& op) noexcept;

}  // namespace barrage::detail
