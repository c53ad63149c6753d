#include "runtime/uring_backend.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "runtime/io_attempt.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace barrage {
namespace {

// liburing maps a ring's memory with raw system calls, which ThreadSanitizer does not see:
// when one thread's ring is unmapped and another thread's new ring lands on the same
// addresses, it takes the new ring's first writes for a race with the old ring's last ones.
// The kernel orders the unmap before the map; these two calls tell ThreadSanitizer so.
[[maybe_unused]] char ring_handover;
void ring_mapped() noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(&ring_handover);
#endif
}
void ring_unmapping() noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(&ring_handover);
#endif
}

using detail::attempt_io;

constexpr unsigned sq_entries = 256;
constexpr unsigned cq_entries = 4096;
constexpr int buffer_group = 0;
constexpr std::uint32_t max_slots = 1u << 24;  // the slot index has 24 bits of user_data
// How long a send may still run after its fd was closed (a peer that does not read): then
// it is cancelled, and the socket, which the send holds open, closes.
const __kernel_timespec send_linger{5, 0};

[[noreturn]] void throw_code(int err, const char* what) { throw std::system_error(err, std::generic_category(), what); }

/// The cheapest ring the kernel accepts: completions run only when the loop asks for them
/// (DEFER_TASKRUN, 6.1), else without interrupting the loop (COOP_TASKRUN, 5.19), else plain.
int setup_ring(io_uring& ring) noexcept {
  const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
  int r = -EINVAL;
  for (unsigned flags : flag_sets) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    r = io_uring_queue_init_params(sq_entries, &ring, &p);
    if (r != -EINVAL) return r;
  }
  return r;
}

/// Errors of a first receive that say the fd cannot take one (not a stream socket, or a
/// kernel without multishot receive): the fd falls back to readiness and read syscalls.
bool refuses_recv(int res) noexcept { return res == -ENOTSOCK || res == -EINVAL || res == -EOPNOTSUPP; }

}  // namespace

uring_backend::uring_backend(std::uint32_t pool_buffers) : pool_size_(pool_buffers) {
  if (pool_size_ == 0 || pool_size_ > 32768 || (pool_size_ & (pool_size_ - 1)) != 0)
    throw_code(EINVAL, "io_uring: the receive pool must be a power of two up to 32768");
  if (int r = setup_ring(ring_); r < 0) throw_code(-r, "io_uring_setup");
  ring_mapped();
  try {
    // Waits with a timeout in the same io_uring_enter as the submission need EXT_ARG (5.11).
    if (!(ring_.features & IORING_FEAT_EXT_ARG)) throw_code(ENOSYS, "io_uring: no EXT_ARG");
    void* mem = ::mmap(nullptr, pool_size_ * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                       MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) throw_code(errno, "mmap");
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
    reg.ring_entries = pool_size_;
    reg.bgid = buffer_group;
    if (int r = io_uring_register_buf_ring(&ring_, &reg, 0); r < 0) {
      ::munmap(mem, pool_size_ * sizeof(io_uring_buf));
      throw_code(-r, "io_uring_register_buf_ring");
    }
    buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(buf_ring_);
    buffers_.reset(new char[std::size_t{pool_size_} * buffer_size]);  // untouched until used
    meta_.resize(pool_size_);
    for (std::uint32_t b = 0; b < pool_size_; ++b) recycle(static_cast<std::int32_t>(b));
    slots_.resize(1);  // slot 0 is never used: index 0 ends the free list
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw_code(errno, "eventfd");
  } catch (...) {
    if (buf_ring_) ::munmap(buf_ring_, pool_size_ * sizeof(io_uring_buf));
    ring_unmapping();
    io_uring_queue_exit(&ring_);
    throw;
  }
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_multishot(sqe, wake_fd_, POLLIN);
  io_uring_sqe_set_data64(sqe, user_data(0, 0, tag_wake));
  io_uring_register_ring_fd(&ring_);  // optional: saves a file lookup per io_uring_enter
}

uring_backend::~uring_backend() {
  // Closing the ring cancels what is left; the buffers are freed only after that.
  io_uring_unregister_buf_ring(&ring_, buffer_group);
  ring_unmapping();
  io_uring_queue_exit(&ring_);
  ::munmap(buf_ring_, pool_size_ * sizeof(io_uring_buf));
  ::close(wake_fd_);
}

io_uring_sqe* uring_backend::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {  // the queue is full: hand it to the kernel early
    if (io_uring_submit(&ring_) < 0) io_uring_submit_and_get_events(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void uring_backend::attach(io_handle& h) {
  std::uint32_t i = free_head_;
  if (i != 0) {
    free_head_ = slots_[i].next_free;
  } else {
    if (slots_.size() >= max_slots) throw_code(EMFILE, "io_uring slots");
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[i];
  const std::uint32_t gen = s.gen;
  s = slot{};
  s.gen = gen;
  s.h = &h;
  h.slot = i;
  h.reader = h.writer = nullptr;
  h.may_read = true;
  h.hung_up = false;
}

void uring_backend::release(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  ++s.gen;
  s.h = nullptr;
  s.next_free = free_head_;
  free_head_ = i;
}

void uring_backend::detach(io_handle& h) noexcept {
  h.reader = h.writer = nullptr;
  const std::uint32_t i = h.slot;
  slot& s = slots_[i];
  // Bytes a write took are sent before the close: the send holds the socket open until it
  // finishes (then the FIN follows them), or until send_linger has passed.
  bool submit = false;
  if (s.send_queued) {
    s.send_queued = false;
    submit_send(i);
  }
  if (s.send_flight > 0) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_timeout(sqe, const_cast<__kernel_timespec*>(&send_linger), 0, 0);
    io_uring_sqe_set_data64(sqe, user_data(i, s.gen, tag_send_linger));
    submit = true;
  }
  s.shut_after_send = false;
  s.send_error = 0;
  s.h = nullptr;
  while (s.head != none) {  // unread data goes back to the pool
    const std::int32_t b = s.head;
    s.head = meta_[static_cast<std::size_t>(b)].next;
    recycle(b);
  }
  s.tail = none;
  bool cancelled = submit;
  auto cancel_request = [&](bool armed, tag t) {
    if (!armed) return;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, user_data(i, s.gen, t), 0);
    io_uring_sqe_set_data64(sqe, ignored);
    cancelled = true;
  };
  cancel_request(s.recv_armed, tag_recv);
  cancel_request(s.poll_in, tag_poll_in);
  cancel_request(s.poll_out, tag_poll_out);
  // An armed request holds the file: without submitting now, the close() that follows
  // would leave the socket open (no FIN to the peer) until the next turn's poll.
  if (cancelled) io_uring_submit_and_get_events(&ring_);
  if (s.inflight == 0) release(i);
}

void uring_backend::arm_recv(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  io_uring_sqe* sqe = next_sqe();
  if (s.stamped) prep_recvmsg(sqe, s.h->fd);
  else io_uring_prep_recv_multishot(sqe, s.h->fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffer_group;
  io_uring_sqe_set_data64(sqe, user_data(i, s.gen, tag_recv));
  s.recv_armed = s.recv_started = true;
  ++s.inflight;
}

void uring_backend::arm_poll(std::uint32_t i, bool out) noexcept {
  slot& s = slots_[i];
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_add(sqe, s.h->fd, out ? POLLOUT : POLLIN);
  io_uring_sqe_set_data64(sqe, user_data(i, s.gen, out ? tag_poll_out : tag_poll_in));
  (out ? s.poll_out : s.poll_in) = true;
  ++s.inflight;
}

void uring_backend::recycle(std::int32_t bid) noexcept {
  io_uring_buf_ring_add(buf_ring_, buffers_.get() + std::size_t(bid) * buffer_size, buffer_size,
                        static_cast<unsigned short>(bid), io_uring_buf_ring_mask(pool_size_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
  ++buffers_free_;
}

bool uring_backend::copy_out(slot& s, io_op& op) noexcept {
  const bool stamped = op.kind == io_kind::read_stamped;
  if (stamped) *op.stamp = 0;
  if (s.head == none) {
    if (s.error != 0) {  // delivered once; the stream then reads as ended, as a socket does
      op.result = std::exchange(s.error, 0);
      s.eof = true;
      return true;
    }
    if (!s.eof) return false;
    op.result = 0;
    return true;
  }
  auto* dst = static_cast<char*>(op.buf);
  std::size_t done = 0;
  while (s.head != none && done < op.len) {
    const std::int32_t b = s.head;
    buffer_meta& m = meta_[static_cast<std::size_t>(b)];
    const std::size_t n = std::min<std::size_t>(m.len - s.head_off, op.len - done);
    std::memcpy(dst + done, buffers_.get() + std::size_t(b) * buffer_size + m.off + s.head_off, n);
    if (stamped) *op.stamp = m.stamp;
    done += n;
    s.head_off += static_cast<std::uint32_t>(n);
    if (s.head_off == m.len) {
      s.head = m.next;
      s.head_off = 0;
      recycle(b);
      --s.held;
    }
  }
  if (s.head == none) s.tail = none;
  if (s.paused && s.held <= max_held / 2) {  // its share is back: receive again
    s.paused = false;
    if (!s.recv_armed && !s.starved) arm_recv(s.h->slot);
  }
  op.result = static_cast<long>(done);
  return true;
}

void uring_backend::pause_recv(std::uint32_t i) noexcept {
  slot& s = slots_[i];
  s.paused = true;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, user_data(i, s.gen, tag_recv), 0);
  io_uring_sqe_set_data64(sqe, ignored);
}

bool uring_backend::start_read(io_handle& h, slot& s, io_op& op) noexcept {
  if (!s.use_recv) {
    if (attempt_io(h.fd, op)) return true;
    if (!s.poll_in) arm_poll(h.slot, false);
    return false;
  }
  if (!s.recv_started) {
    // Until a read would wait, read directly (e.g. a server's first read after accept
    // finds its request there); a read that would block, or comes back short, arms the
    // receive, after which no read may bypass it (the data would come out of order).
    const bool done = attempt_io(h.fd, op);
    if (done && (op.result <= 0 || static_cast<std::size_t>(op.result) == op.len)) return true;
    arm_recv(h.slot);
    return done;
  }
  if (copy_out(s, op)) return true;
  // Armed once and left armed: the next data is already on its way to the pool.
  if (s.recv_armed) return false;
  if (!s.starved) {
    arm_recv(h.slot);
    return false;
  }
  if (!s.poll_in && may_rearm()) {  // the pool is back: the receive serves this fd again
    s.starved = false;
    ++rearmed_;
    arm_recv(h.slot);
    return false;
  }
  // The pool is dry and nothing of this fd is in it or in flight: the socket is read
  // directly (no reordering possible), through readiness, until buffers come back.
  if (attempt_io(h.fd, op)) return true;
  if (!s.poll_in) arm_poll(h.slot, false);
  return false;
}

bool uring_backend::start(io_handle& h, io_op& op) noexcept {
  slot& s = slots_[h.slot];
  switch (op.kind) {
    case io_kind::read:
      if (s.send_error != 0 && s.head == none) {  // a send failed: the next operation says so
        op.result = std::exchange(s.send_error, 0);
        return true;
      }
      if (start_read(h, s, op)) return true;
      h.reader = &op;
      return false;
    case io_kind::read_stamped:
      if (start_read_stamped(h, s, op)) return true;
      h.reader = &op;
      return false;
    case io_kind::readable:
      if (s.send_error != 0) return op.result = 0, true;
      if (s.use_recv && s.recv_started) {  // the receive owns the read side: ask it
        if (s.head != none || s.eof || s.error != 0) return op.result = 0, true;
        if (!s.recv_armed && !s.starved) arm_recv(h.slot);
        else if (s.starved && !s.poll_in) arm_poll(h.slot, false);
      } else if (!s.poll_in) {
        arm_poll(h.slot, false);
      }
      h.reader = &op;
      return false;
    case io_kind::accept:
      if (attempt_io(h.fd, op)) return true;
      if (!s.poll_in) arm_poll(h.slot, false);
      h.reader = &op;
      return false;
    case io_kind::write:
    case io_kind::writev:
      if (start_write(h, s, op)) return true;
      h.writer = &op;
      return false;
    case io_kind::connect:
    case io_kind::writable:
      if (!s.poll_out) arm_poll(h.slot, true);
      h.writer = &op;
      return false;
  }
  return false;
}

void uring_backend::cancel(io_handle& h, io_op& op) noexcept {
  // Nothing in the kernel points at op: forgetting it is enough. A receive keeps landing
  // data in the pool for the next read; a poll that fires finds no one waiting.
  if (h.reader == &op) h.reader = nullptr;
  if (h.writer == &op) h.writer = nullptr;
}

bool uring_backend::may_rearm() const noexcept {
  // While a batch of completions is handled, buffers_free_ still counts buffers the kernel
  // has filled for completions further on in the batch (an ENOBUFS may come before them).
  return !handling_ && buffers_free_ >= pool_size_ / 4 + rearmed_;
}

void uring_backend::rearm_starved() noexcept {
  // A receive armed into a pool that cannot serve it ends in ENOBUFS at its first data, so
  // starved fds get theirs back only while a quarter of the pool is free beyond one buffer
  // for each fd given one back this turn, oldest first. An fd whose read waits on its
  // socket's readiness keeps that poll alone: a receive beside it would answer the same
  // data twice (two completions per fd per response, which at 15,000 fds overflowed the
  // completion queue). Its next read takes the receive back (start_read).
  std::size_t kept = 0;
  for (std::uint32_t i : starved_) {
    slot& s = slots_[i];
    if (!s.starved || !s.h) continue;
    if (s.paused) {  // armed again by the read that takes its share back
      s.starved = false;
      continue;
    }
    if (!s.poll_in && may_rearm()) {
      s.starved = false;
      ++rearmed_;
      arm_recv(i);
    } else {
      starved_[kept++] = i;
    }
  }
  starved_.resize(kept);
}

void uring_backend::poll(duration timeout, io_sink& sink) {
  submit_send_queue();  // the turn's writes go with the wait
  rearm_starved();
  rearmed_ = 0;  // the receives re-armed so far are in this submission
  int r;
  if (timeout < duration::zero()) {
    r = io_uring_submit_and_wait(&ring_, 1);
  } else if (timeout == duration::zero()) {
    r = io_uring_submit_and_get_events(&ring_);
  } else {
    const auto ns = to_ns(timeout);
    __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
    io_uring_cqe* first = nullptr;
    r = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
  }
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) throw_code(-r, "io_uring_enter");
  // Completions are copied out before any is handled: handling may submit (a full queue).
  constexpr unsigned batch = 128;
  struct completion {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;
  };
  io_uring_cqe* cqes[batch];
  completion done[batch];
  handling_ = true;
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, batch);
    for (unsigned k = 0; k < n; ++k) done[k] = {cqes[k]->user_data, cqes[k]->res, cqes[k]->flags};
    io_uring_cq_advance(&ring_, n);
    for (unsigned k = 0; k < n; ++k) complete(done[k].user_data, done[k].res, done[k].flags, sink);
    if (n < batch) break;
  }
  handling_ = false;
}

void uring_backend::submit_send_queue() noexcept {
  for (std::uint32_t i : send_queue_) {
    slot& s = slots_[i];
    if (!s.send_queued) continue;  // sent at detach
    s.send_queued = false;
    submit_send(i);
  }
  send_queue_.clear();
}

void uring_backend::complete(std::uint64_t data, int res, std::uint32_t flags, io_sink& sink) {
  if (data == ignored) return;
  const auto t = static_cast<tag>(data & 0xff);
  if (t == tag_wake) return on_wake(flags, sink);
  const auto i = static_cast<std::uint32_t>((data >> 8) & (max_slots - 1));
  // A slot is reused only when nothing of its previous fd is in flight, so a stale
  // completion cannot occur; the generation check keeps it harmless if one ever did.
  if (i == 0 || i >= slots_.size() || slots_[i].gen != static_cast<std::uint32_t>(data >> 32)) return;
  if (t == tag_recv) on_recv(i, res, flags, sink);
  else if (t == tag_send) on_send(i, res, sink);
  else if (t == tag_send_linger) on_send_linger(i);
  else on_poll(i, t == tag_poll_out, res, sink);
}

void uring_backend::on_wake(std::uint32_t flags, io_sink& sink) noexcept {
  eventfd_t v;
  ::eventfd_read(wake_fd_, &v);
  wake_pending_.store(false, std::memory_order_release);
  if (!(flags & IORING_CQE_F_MORE)) {  // the multishot poll ended: arm it again
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_multishot(sqe, wake_fd_, POLLIN);
    io_uring_sqe_set_data64(sqe, user_data(0, 0, tag_wake));
  }
  sink.woken();
}

void uring_backend::on_recv(std::uint32_t i, int res, std::uint32_t flags, io_sink& sink) noexcept {
  slot& s = slots_[i];
  const bool more = flags & IORING_CQE_F_MORE;
  if (!more) {
    s.recv_armed = false;
    --s.inflight;
  }
  if (flags & IORING_CQE_F_BUFFER) {
    const auto b = static_cast<std::int32_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    --buffers_free_;
    buffer_meta m{};
    if (s.stamped && res > 0) res = unpack_recvmsg(b, res, m);  // the payload's length; 0: EOF
    if (!s.h || res <= 0) {
      recycle(b);
    } else {
      m.len = static_cast<std::uint32_t>(res);
      meta_[std::size_t(b)] = m;
      if (s.tail == none) s.head = b;
      else meta_[std::size_t(s.tail)].next = b;
      s.tail = b;
      if (++s.held >= max_held && !s.paused) {
        if (more) pause_recv(i);
        else s.paused = true;  // already ended: just not armed again
      }
    }
  }
  if (!s.h) {  // detached: only the accounting was left to do
    if (s.inflight == 0) release(i);
    return;
  }
  io_handle& h = *s.h;
  if (res == 0) {
    s.eof = h.hung_up = true;
  } else if (res == -ENOBUFS) {  // the pool ran dry: poll() arms it again when buffers return
    s.starved = true;
    starved_.push_back(i);
    ++receives_starved_;
  } else if (res < 0 && refuses_recv(res) && s.head == none && !s.eof) {
    s.use_recv = false;
  } else if (res < 0 && res != -ECANCELED) {
    s.error = res;
    h.hung_up = true;
  } else if (!more && !s.paused) {  // ended early (a full CQ, a cancellation) with the fd open: arm again
    arm_recv(i);
  }
  if (!h.reader) return;
  io_op& op = *h.reader;
  bool finished;
  if (op.kind == io_kind::readable) {
    finished = s.head != none || s.eof || s.error != 0 || !s.use_recv;
    if (finished) op.result = 0;
    else if (s.starved && !s.poll_in) arm_poll(i, false);  // the pool is dry: ask the socket
  } else {
    finished = start_read(h, s, op);  // from the pool, or from the socket when starved
  }
  if (finished) {
    h.reader = nullptr;
    sink.io_done(op);
  }
}

void uring_backend::on_poll(std::uint32_t i, bool out, int res, io_sink& sink) noexcept {
  slot& s = slots_[i];
  (out ? s.poll_out : s.poll_in) = false;
  --s.inflight;
  if (!s.h) {
    if (s.inflight == 0) release(i);
    return;
  }
  io_handle& h = *s.h;
  if (res > 0 && (res & (POLLHUP | POLLERR))) h.hung_up = true;
  io_op* op = out ? h.writer : h.reader;
  if (!op) return;
  bool done;
  if (out && (op->kind == io_kind::write || op->kind == io_kind::writev)) {
    if (!start_write(h, s, *op)) return;  // waits on a poll again, or on the send buffer
    h.writer = nullptr;
    sink.io_done(*op);
    return;
  }
  if (!out && op->kind == io_kind::read_stamped) {  // uring_recvmsg.cpp: data may have come
    h.may_read = true;
    if (!start_read_stamped(h, s, *op)) return;
    h.reader = nullptr;
    sink.io_done(*op);
    return;
  }
  if (!out && op->kind == io_kind::read && s.use_recv) {
    if (s.recv_armed) return;  // the receive armed again meanwhile delivers it
    done = copy_out(s, *op) || attempt_io(h.fd, *op);  // starved: read the socket directly
  } else {
    done = attempt_io(h.fd, *op);
  }
  if (!done) {
    arm_poll(i, out);
    return;
  }
  (out ? h.writer : h.reader) = nullptr;
  sink.io_done(*op);
}

void uring_backend::wake() noexcept {
  // One eventfd write per batch of wake-ups: the flag is cleared when the loop drains it.
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) ::eventfd_write(wake_fd_, 1);
}

}  // namespace barrage
