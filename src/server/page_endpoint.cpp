#include "server/page_endpoint.hpp"

#include "runtime/event_loop.hpp"

namespace barrage::server {
namespace {

server_options endpoint_options(const net::socket_address& listen) {
  server_options o;
  o.listen = listen;
  o.threads = 1;
  o.max_connections = 64;    // a few scrapers and a curl
  o.expose_metrics = false;  // the path may be /metrics: the page is the caller's, not this server's figures
  o.shutdown_grace = std::chrono::seconds(1);
  return o;
}

}  // namespace

page_endpoint::page_endpoint(net::socket_address listen, std::string path, std::string_view content_type,
                             std::string first_page)
    : page_(std::move(first_page)) {
  router routes;
  routes.get(path, [this, content_type](request&) -> task<response> {
    co_return response(200, page(), content_type);
  });
  server_ = std::make_unique<server>(std::move(routes), endpoint_options(listen));
  thread_ = std::thread([this] {
    try {
      event_loop loop;
      loop.run(server_->serve());
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      failure_ = e.what();
    }
  });
}

page_endpoint::~page_endpoint() {
  server_->stop_now();
  thread_.join();
}

void page_endpoint::publish(std::string page) {
  std::lock_guard lock(mutex_);
  page_.swap(page);
}

std::optional<std::string> page_endpoint::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::string page_endpoint::page() const {
  std::lock_guard lock(mutex_);
  return page_;
}

}  // namespace barrage::server
