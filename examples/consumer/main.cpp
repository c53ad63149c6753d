// A coroutine service written against the installed barrage package: it serves one HTTP
// exchange to itself over loopback with the runtime and the client.
#include <cstdio>

#include <client/http_client.hpp>
#include <net/tcp.hpp>
#include <runtime/runtime.hpp>

using namespace barrage;

task<void> answer_once(net::tcp_listener& l) {
  auto s = co_await l.accept();
  if (!s) co_return;
  char buf[1024];
  (void)co_await s->read(buf, sizeof buf);
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";
  (void)co_await s->write_all(reply, sizeof reply - 1);
}

task<int> run() {
  auto l = net::tcp_listener::bind(*net::socket_address::parse("127.0.0.1:0"));
  auto server = spawn(answer_once(l));
  client::http_client c;
  auto [r, _] = co_await when_all(c.get("http://" + l.local().to_string() + "/"),
                                  [](join_handle<void>& h) -> task<void> { co_await h; }(server));
  std::printf("status %d, body %s", r.result.status, r.data.body.c_str());
  co_return r.result.ok() && r.result.status == 200 ? 0 : 1;
}

int main() { return sync_wait(run()); }
