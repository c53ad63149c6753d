#pragma once
// For the server tests: a server running on a thread of its own, and a blocking raw-socket
// client that sends exact bytes and splits what comes back into responses.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/spawn.hpp"
#include "server/server.hpp"

namespace barrage::test {

using namespace std::chrono_literals;

/// A server serving on its own thread (its own loop) until destroyed.
class running_server {
 public:
  running_server(server::router routes, server::server_options opts) : srv_(std::move(routes), std::move(opts)) {
    thread_ = std::thread([this] {
      try {
        event_loop loop;
        loop.run(srv_.serve());
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  ~running_server() { stop(); }
  /// Graceful stop; waits for serve() to return.
  void stop() {
    if (!thread_.joinable()) return;
    srv_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return srv_.local_address().port(); }
  server::server& get() { return srv_; }
  std::exception_ptr error() const { return error_; }

 private:
  server::server srv_;
  std::thread thread_;
  std::exception_ptr error_;
};

struct raw_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return std::nullopt;
  }
};

/// One blocking client connection to 127.0.0.1.
class raw_conn {
 public:
  explicit raw_conn(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
    const int one = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~raw_conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  /// Sends everything; false when the server already hung up.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads until `count` whole responses arrived, the server closed, or `timeout` passed.
  /// `head_request`: the responses have no body whatever their headers say.
  std::vector<raw_response> read_responses(std::size_t count, std::chrono::milliseconds timeout = 2000ms,
                                           bool head_request = false) {
    std::vector<raw_response> out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count) {
      if (auto r = take_response(head_request)) {
        out.push_back(std::move(*r));
        continue;
      }
      if (!fill(until)) break;
    }
    return out;
  }

  /// True when the server closes the connection (EOF or reset) within `timeout`; bytes that
  /// arrive meanwhile are kept for read_responses().
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!fill(until)) break;
    }
    return eof_;
  }

  const std::string& unread() const { return buf_; }
  bool eof() const { return eof_; }

 private:
  /// One read (waiting until `until`): false on timeout or EOF.
  bool fill(std::chrono::steady_clock::time_point until) {
    if (eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  /// A whole response at the front of buf_, removed from it; nullopt when incomplete.
  std::optional<raw_response> take_response(bool head_request) {
    const std::size_t end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    raw_response r;
    std::string_view headv(buf_.data(), end);
    const std::size_t eol = headv.find("\r\n");
    const std::string_view status_line = headv.substr(0, eol);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return bad();
    r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    std::string_view rest = eol == std::string_view::npos ? std::string_view{} : headv.substr(eol + 2);
    while (!rest.empty()) {
      const std::size_t e = rest.find("\r\n");
      std::string_view line = rest.substr(0, e);
      const std::size_t colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::move(name), std::string(value));
      if (e == std::string_view::npos) break;
      rest.remove_prefix(e + 2);
    }
    std::size_t pos = end + 4;
    const bool no_body = head_request || r.status < 200 || r.status == 204 || r.status == 304;
    if (!no_body) {
      if (auto te = r.header("transfer-encoding"); te && te->find("chunked") != std::string::npos) {
        for (;;) {
          const std::size_t line_end = buf_.find("\r\n", pos);
          if (line_end == std::string::npos) return std::nullopt;
          const std::size_t size = std::stoul(buf_.substr(pos, line_end - pos), nullptr, 16);
          if (buf_.size() < line_end + 2 + size + 2) return std::nullopt;
          r.body.append(buf_, line_end + 2, size);
          pos = line_end + 2 + size + 2;
          if (size == 0) break;
        }
      } else if (auto cl = r.header("content-length")) {
        const std::size_t n = std::stoul(*cl);
        if (buf_.size() < pos + n) return std::nullopt;
        r.body = buf_.substr(pos, n);
        pos += n;
      } else {  // until the close
        if (!eof_) return std::nullopt;
        r.body = buf_.substr(pos);
        pos = buf_.size();
      }
    }
    buf_.erase(0, pos);
    return r;
  }
  std::optional<raw_response> bad() {
    raw_response r;
    r.status = -1;
    r.body = buf_;
    buf_.clear();
    return r;
  }

  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace barrage::test
