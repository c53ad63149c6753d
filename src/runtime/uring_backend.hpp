#pragma once
// The io_uring backend. What it saves over epoll is the read syscall: each socket that is
// read gets one multishot receive, and the kernel lands its data in buffers the backend
// owns (a provided-buffer ring); a read copies from there, at once when data is waiting.
// Each fd may hold at most max_held of the pool's buffers unread, so peers that send
// without their data being read cannot take the pool from the others; and an fd that
// finds the pool dry reads from its socket directly until a quarter of the pool is back,
// its read side never waiting on a receive and a poll at once.
// What it saves of the write is the send syscall ("write-behind", uring_send.cpp): a write
// of at most send_buffer_size bytes is copied into a backend-owned send buffer and finishes
// at once; its send goes to the kernel with the turn's wait. Per fd one send is in the
// kernel at a time; later writes append to the buffer behind it, and a write that does not
// fit waits for it to drain. A write with nothing buffered that is too big (or finds no
// buffer free) takes the direct syscall. A send's error is kept and returned by the next
// read or write on the fd; shutdown(SHUT_WR) and try_write go through the backend, so no
// FIN and no byte overtakes buffered ones; a close sends them first (for up to
// send_linger: a send holds its socket open). Accept, connect, readiness waits and direct
// writes that would block wait on one-shot polls. SQEs queued during a turn go to the
// kernel with the wait in poll(): one io_uring_enter per turn, for reads and writes alike.
//
// Memory safety across cancellation: the kernel never touches an io_op or its buffer
// (receives land in backend buffers, sends read backend buffers, polls write nothing), and
// a CQE names a slot of the backend's table by index and generation, never an io_handle or
// io_op. A slot, and its send buffer, outlive the handle until the kernel has finished
// every request made for it.
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/io_backend.hpp"

namespace barrage {

class uring_backend final : public io_backend {
 public:
  /// Throws std::system_error when the kernel refuses a ring or a provided-buffer ring
  /// (too old, or io_uring disabled): callers fall back to epoll (backend_choice.hpp).
  /// `pool_buffers` (a power of two, at most 32768) sizes the receive pool; tests make it
  /// small to run it dry with a few fds.
  explicit uring_backend(std::uint32_t pool_buffers = buffer_count);
  ~uring_backend() override;
  uring_backend(const uring_backend&) = delete;
  uring_backend& operator=(const uring_backend&) = delete;

  const char* name() const noexcept override { return "io_uring"; }
  void attach(io_handle& h) override;
  void detach(io_handle& h) noexcept override;
  bool start(io_handle& h, io_op& op) noexcept override;
  void cancel(io_handle& h, io_op& op) noexcept override;
  long try_write(io_handle& h, const void* buf, std::size_t len) noexcept override;
  void shutdown(io_handle& h, int how) noexcept override;
  void poll(duration timeout, io_sink& sink) override;
  void flush() noexcept override;  // uring_recvmsg.cpp
  void wake() noexcept override;

  /// The default receive pool: buffer_count buffers of buffer_size bytes (4 MiB per loop).
  static constexpr std::uint32_t buffer_count = 1024;
  static constexpr std::uint32_t buffer_size = 4096;
  /// One fd's share of the pool: at this many unread buffers its receive is cancelled, and
  /// it is armed again when reads have taken half of them back. The rest waits in the
  /// socket, whose sender then feels backpressure as with epoll. (A multishot receive may
  /// land a few more buffers before the cancellation takes effect.)
  static constexpr std::uint16_t max_held = 8;

  /// The send pool: a write of at most send_buffer_size bytes on a socket is copied into one
  /// of these and sent with the turn's io_uring_enter; more writes on the fd append to it
  /// until it is full. Untouched until used; a buffer is held only while its bytes are in
  /// flight, and with none free writes take the direct path.
  static constexpr std::uint32_t send_buffer_count = 512;
  static constexpr std::uint32_t send_buffer_size = 16384;

  /// Buffers in the pool now, for the kernel to fill (for tests and diagnostics).
  std::uint32_t buffers_free() const noexcept { return buffers_free_; }
  /// Requests in the kernel for the read side of h (its receive and its readiness poll).
  int read_requests(const io_handle& h) const noexcept {
    const slot& s = slots_[h.slot];
    return int{s.recv_armed} + int{s.poll_in};
  }
  /// Receives that ended because the pool was dry (ENOBUFS), since the backend was made.
  std::uint64_t receives_starved() const noexcept { return receives_starved_; }
  /// Sends handed to the kernel, those whose completion has been handled, and those that
  /// came back short and went again.
  std::uint64_t sends_submitted() const noexcept { return sends_submitted_; }
  std::uint64_t sends_completed() const noexcept { return sends_completed_; }
  std::uint64_t sends_short() const noexcept { return sends_short_; }

 private:
  enum tag : std::uint8_t { tag_recv = 1, tag_poll_in = 2, tag_poll_out = 3, tag_wake = 4, tag_send = 5, tag_send_linger = 6 };
  static constexpr std::uint64_t ignored = 0;  // user_data of cancel requests
  static constexpr std::int32_t none = -1;

  /// Per registered fd. `h` is null once detached; the slot is reused only when no
  /// request made for it is left in the kernel (`inflight`).
  struct slot {
    io_handle* h = nullptr;
    std::uint32_t gen = 0;
    std::uint8_t inflight = 0;
    bool recv_armed = false, poll_in = false, poll_out = false;
    bool use_recv = true;   // false: the fd cannot take a receive (not a socket): readiness
    bool stamped = false;   // its receive is a multishot recvmsg carrying receive stamps
    bool recv_started = false;  // a receive was ever armed: direct reads would reorder data
    bool starved = false;   // the receive ended for want of buffers; re-armed in poll(),
                            // and reads meanwhile go to the socket directly
    bool paused = false;    // the receive was cancelled: max_held buffers unread
    std::uint16_t held = 0; // buffers received and not yet read
    bool eof = false;
    int error = 0;          // a receive error not yet delivered (negative errno)
    std::int32_t head = none, tail = none;  // received buffers, oldest first (buffer ids)
    std::uint32_t head_off = 0;             // bytes of the head buffer already read
    std::uint32_t next_free = 0;
    // The write side's send buffer: bytes [send_off, send_len) of it are not yet sent, of
    // which send_flight are in the kernel now (0: no send in flight).
    std::int32_t send_buf = none;
    std::uint32_t send_off = 0, send_len = 0, send_flight = 0;
    bool send_queued = false;    // in send_queue_: its SQE is made in poll(), with the wait
    bool send_as_write = false;  // not a socket: IORING_OP_WRITE
    bool shut_after_send = false;  // shutdown(SHUT_WR) once the buffer is sent
    int send_error = 0;          // a send's error not yet delivered (negative errno)
  };
  struct buffer_meta {
    std::uint32_t len = 0;   // payload bytes
    std::int32_t next = none;
    std::uint32_t off = 0;   // where the payload starts (after a recvmsg's header and control)
    std::int64_t stamp = 0;  // the kernel's receive time of the payload (ns, CLOCK_REALTIME; 0: none)
  };

  static std::uint64_t user_data(std::uint32_t index, std::uint32_t gen, tag t) noexcept {
    return (std::uint64_t{gen} << 32) | (std::uint64_t{index} << 8) | t;
  }
  io_uring_sqe* next_sqe() noexcept;
  void arm_recv(std::uint32_t index) noexcept;
  void arm_poll(std::uint32_t index, bool out) noexcept;
  void release(std::uint32_t index) noexcept;

  bool start_read(io_handle& h, slot& s, io_op& op) noexcept;
  bool start_read_stamped(io_handle& h, slot& s, io_op& op) noexcept;  // uring_recvmsg.cpp
  void prep_recvmsg(io_uring_sqe* sqe, int fd) noexcept;                 // uring_recvmsg.cpp
  int unpack_recvmsg(std::int32_t bid, int res, buffer_meta& m) noexcept;  // uring_recvmsg.cpp
  bool start_write(io_handle& h, slot& s, io_op& op) noexcept;
  bool write_behind(std::uint32_t index, io_op& op) noexcept;
  void submit_send(std::uint32_t index) noexcept;
  void submit_send_queue() noexcept;
  void drop_send(slot& s) noexcept;
  bool copy_out(slot& s, io_op& op) noexcept;
  void pause_recv(std::uint32_t index) noexcept;
  void recycle(std::int32_t bid) noexcept;
  bool may_rearm() const noexcept;
  void rearm_starved() noexcept;

  void complete(std::uint64_t data, int res, std::uint32_t flags, io_sink& sink);
  void on_recv(std::uint32_t index, int res, std::uint32_t flags, io_sink& sink) noexcept;
  void on_poll(std::uint32_t index, bool out, int res, io_sink& sink) noexcept;
  void on_wake(std::uint32_t flags, io_sink& sink) noexcept;
  void on_send(std::uint32_t index, int res, io_sink& sink) noexcept;
  void send_drained(std::uint32_t index, io_sink& sink) noexcept;
  void on_send_linger(std::uint32_t index) noexcept;

  io_uring ring_{};
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::uint32_t pool_size_ = 0;
  std::unique_ptr<char[]> buffers_;
  std::vector<buffer_meta> meta_;
  std::uint32_t buffers_free_ = 0;  // in the ring, for the kernel to fill
  std::vector<slot> slots_;
  std::uint32_t free_head_ = 0;     // free list of slots through next_free (0: empty)
  std::vector<std::uint32_t> starved_;
  std::unique_ptr<char[]> send_buffers_;  // send_buffer_count * send_buffer_size, made at first use
  std::vector<std::int32_t> send_free_;   // free send buffers, the last freed on top
  std::vector<std::uint32_t> send_queue_; // slots whose send goes with the next submission
  bool handling_ = false;           // in poll(), handing completions over
  std::uint32_t rearmed_ = 0;       // starved fds given a receive again since the last poll()
  std::uint64_t receives_starved_ = 0;
  std::uint64_t sends_submitted_ = 0, sends_completed_ = 0, sends_short_ = 0;
  int wake_fd_ = -1;
  // The template of the stamped receives (no name, room for one SCM_TIMESTAMPING): the
  // kernel reads it while a multishot recvmsg runs, so it lives as long as the backend.
  msghdr recvmsg_template_{};
  std::atomic<bool> wake_pending_{false};
};

}  // namespace barrage
