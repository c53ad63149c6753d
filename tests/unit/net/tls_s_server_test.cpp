// tls_session against a TLS server nobody here wrote: `openssl s_server -www` on 127.0.0.1,
// spoken to over a blocking TCP socket that the test pumps bytes through (no event loop).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "net/tls_context.hpp"
#include "net/tls_session.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::net;
using barrage::test::test_pki;

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `openssl s_server` with `args`, until the object goes; ready() once it prints ACCEPT.
class s_server {
 public:
  explicit s_server(std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDERR_FILENO);
      std::vector<char*> argv{const_cast<char*>("openssl"), const_cast<char*>("s_server")};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~s_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  /// Waits up to 5 s for "ACCEPT" on its standard output.
  bool ready() {
    std::string seen;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (seen.find("ACCEPT") == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return false;
      seen.append(buf, static_cast<std::size_t>(n));
    }
    return seen.find("ACCEPT") != std::string::npos;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};  // bounded: a stuck peer fails the test, never hangs it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool flush(int fd, tls_session& s) {
  while (!s.pending_output().empty()) {
    auto out = s.pending_output();
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.consume_output(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads what the socket has into the session; false at the end of the stream or an error.
bool receive(int fd, tls_session& s) {
  char buf[16384];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) {
    s.peer_closed();
    return false;
  }
  s.feed(std::span<const char>(buf, static_cast<std::size_t>(n)));
  return true;
}

tls_state handshake(int fd, tls_session& s) {
  for (;;) {
    const tls_state st = s.handshake();
    if (!flush(fd, s)) return tls_state::failed;
    if (st == tls_state::done || st == tls_state::failed) return st;
    if (st == tls_state::want_read) receive(fd, s);
  }
}

// Sends `request`, then reads until the server closes; what it answered.
std::string exchange(int fd, tls_session& s, const std::string& request) {
  EXPECT_EQ(s.write(request), static_cast<long>(request.size()));
  EXPECT_TRUE(flush(fd, s));
  std::string got;
  char buf[16384];
  for (;;) {
    const long n = s.read(buf);
    flush(fd, s);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
    } else if (n == tls_session::want_read) {
      receive(fd, s);
    } else {
      // s_server -www ends with a close_notify; a bare close would also end the answer.
      EXPECT_TRUE(n == 0 || s.error().kind == tls_errc::unexpected_eof) << s.error().message;
      return got;
    }
  }
}

}  // namespace

TEST(tls_s_server, a_client_session_gets_a_page_from_openssl_s_server_and_resumes_on_the_second_connection) {
  for (const char* version : {"-tls1_3", "-tls1_2"}) {
    test_pki pki;
    const auto leaf = pki.leaf("server", {"localhost", "127.0.0.1"});
    const int port = free_port();
    s_server server({"-accept", "127.0.0.1:" + std::to_string(port), "-cert", leaf.cert, "-key", leaf.key, "-www",
                     "-alpn", "http/1.1", "-naccept", "2", version});
    ASSERT_TRUE(server.ready()) << "openssl s_server did not start";
    tls_client_options co;
    co.ca_file = pki.ca_file();
    co.alpn = {"h2", "http/1.1"};
    auto ctx = tls_context::client(co);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    for (int connection = 0; connection < 2; ++connection) {
      const int fd = connect_to(port);
      ASSERT_GE(fd, 0);
      auto s = tls_session::client(*ctx, "127.0.0.1", static_cast<std::uint16_t>(port));
      ASSERT_TRUE(s.ok());
      ASSERT_EQ(handshake(fd, *s), tls_state::done) << version << ": " << s->error().message;
      EXPECT_EQ(s->version(), std::string(version) == "-tls1_3" ? "TLSv1.3" : "TLSv1.2");
      EXPECT_EQ(s->protocol(), "http/1.1");
      EXPECT_EQ(s->resumed(), connection == 1) << version << " connection " << connection;
      const std::string page = exchange(fd, *s, "GET / HTTP/1.0\r\n\r\n");
      ::close(fd);
      EXPECT_EQ(page.rfind("HTTP/1.0 200 ok\r\n", 0), 0u) << page.substr(0, 200);
      EXPECT_NE(page.find("Ciphers supported in s_server binary"), std::string::npos);
      EXPECT_NE(page.find(std::string(s->cipher())), std::string::npos) << s->cipher();
    }
  }
}
