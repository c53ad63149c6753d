#pragma once
// A real DNS server for tests: Debian's dnsmasq (package dnsmasq-base, installed by
// tools/install-deps.sh) on 127.0.0.1 and a port of its own, answering only from the records
// it is given, logging every query it receives to a file the test can count.
//
//   dnsmasq_process dns({"one.test 127.0.0.1", "v6.test ::1"}, {"--local=/test/"});
//   resolver::options o; o.servers = dns.server();
//
// Records are "NAME ADDRESS" lines (a name may repeat: several addresses). Names under a
// `--local` domain that have no record get NXDOMAIN; other names are REFUSED (no upstream).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"

namespace barrage::test {

class dnsmasq_process {
 public:
  explicit dnsmasq_process(const std::vector<std::string>& records, std::vector<std::string> extra = {},
                           int ttl_seconds = 0) {
    for (const char* p : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"})
      if (::access(p, X_OK) == 0) binary_ = p;
    if (binary_.empty()) return;
    char tmpl[] = "/tmp/barrage-dnsmasq-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    {
      std::ofstream hosts(dir_ + "/hosts");
      for (const auto& r : records) {
        auto sp = r.find(' ');
        hosts << r.substr(sp + 1) << ' ' << r.substr(0, sp) << '\n';
      }
    }
    for (int attempt = 0; attempt < 20 && !ready_; ++attempt) start(extra, ttl_seconds);
  }
  ~dnsmasq_process() {
    stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  dnsmasq_process(const dnsmasq_process&) = delete;
  dnsmasq_process& operator=(const dnsmasq_process&) = delete;

  bool available() const { return ready_; }
  int port() const { return port_; }
  /// For resolver::options::servers and --dns-server.
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  /// Queries received so far for `name` of type `type` ("A", "AAAA"), from the query log.
  int queries(const std::string& name, const std::string& type = "A") const {
    std::ifstream log(dir_ + "/queries.log");
    std::string line, needle = "query[" + type + "] " + name + " from";
    int n = 0;
    while (std::getline(log, line))
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }

 private:
  void start(const std::vector<std::string>& extra, int ttl_seconds) {
    port_ = free_port();
    std::filesystem::remove(dir_ + "/queries.log");
    std::vector<std::string> args = {binary_,
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--no-negcache",
                                     "--cache-size=0",
                                     "--addn-hosts=" + dir_ + "/hosts",
                                     "--local-ttl=" + std::to_string(ttl_seconds),
                                     "--log-queries",
                                     "--log-facility=" + dir_ + "/queries.log",
                                     "--pid-file=" + dir_ + "/dnsmasq.pid"};
    if (::geteuid() == 0) args.push_back("--user=root");
    for (const auto& e : extra) args.push_back(e);
    const pid_t test_pid = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      tie_to_test_process(test_pid);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Ready when the log says so; gone when the port was taken in between (then retry).
    for (int i = 0; i < 300; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::ifstream log(dir_ + "/queries.log");
      std::stringstream s;
      s << log.rdbuf();
      if (s.str().find("started") != std::string::npos) {
        ready_ = true;
        return;
      }
    }
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  /// A loopback port free for both UDP and TCP just now (dnsmasq listens on both).
  static int free_port() {
    for (;;) {
      int udp = ::socket(AF_INET, SOCK_DGRAM, 0), tcp = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      ::getsockname(udp, reinterpret_cast<sockaddr*>(&a), &len);
      bool both = ::bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(udp);
      ::close(tcp);
      if (both) return ntohs(a.sin_port);
    }
  }

  std::string binary_, dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace barrage::test
