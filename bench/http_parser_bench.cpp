// Throughput of the HTTP/1.1 codec on realistic small messages: what one load-generator
// connection parses per response, and what the server parses per request.
// Bytes/s counts the whole message (head and body).
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "http/body_reader.hpp"
#include "http/chunked_decoder.hpp"
#include "http/request_parser.hpp"
#include "http/response_parser.hpp"

namespace {

using namespace barrage::http;

// nginx 1.22 answering a static file: 8 fields and a 12-byte body.
const std::string nginx_200 =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2025 17:39:00 GMT\r\n"
    "Content-Type: text/html\r\nContent-Length: 12\r\nLast-Modified: Mon, 24 Nov 2025 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\nETag: \"6740f0e0-c\"\r\nAccept-Ranges: bytes\r\n\r\nhello world\n";

// An application server streaming JSON: chunked, three chunks.
const std::string chunked_200 =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    "Date: Tue, 25 Nov 2025 17:39:00 GMT\r\nVary: Accept-Encoding\r\n\r\n"
    "1a\r\n{\"id\":42,\"name\":\"barrage\",\r\n17\r\n\"tags\":[\"http\",\"load\"],\r\n"
    "c\r\n\"ok\":true}\n\r\n0\r\n\r\n";

// curl-like GET and a small JSON POST.
const std::string get_request =
    "GET /api/items?page=2&sort=asc HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: barrage/0.1\r\n"
    "Accept: application/json\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
    "Cookie: session=0123456789abcdef\r\n\r\n";
const std::string post_request =
    "POST /api/items HTTP/1.1\r\nHost: example.com\r\nUser-Agent: barrage/0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"name\":\"x\",\"tags\":[1,2,3]}";

void parse_response(benchmark::State& state, const std::string& msg, bool with_body) {
  std::array<header, 32> fields{};
  response_parser p(fields);
  for (auto _ : state) {
    p.reset();
    const parse_status st = p.parse(msg);
    benchmark::DoNotOptimize(st);
    if (with_body) {
      body_reader body(p.head().body);
      const body_step step = body.skip(std::string_view(msg).substr(st.consumed));
      benchmark::DoNotOptimize(step);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * msg.size()));
}

void parse_request(benchmark::State& state, const std::string& msg) {
  std::array<header, 32> fields{};
  request_parser p(fields);
  for (auto _ : state) {
    p.reset();
    const parse_status st = p.parse(msg);
    benchmark::DoNotOptimize(st);
    body_reader body(p.head().body);
    benchmark::DoNotOptimize(body.skip(std::string_view(msg).substr(st.consumed)));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * msg.size()));
}

void response_nginx_200(benchmark::State& s) { parse_response(s, nginx_200, true); }
void response_nginx_200_head_only(benchmark::State& s) { parse_response(s, nginx_200, false); }
void response_chunked(benchmark::State& s) { parse_response(s, chunked_200, true); }
void request_get(benchmark::State& s) { parse_request(s, get_request); }
void request_post(benchmark::State& s) { parse_request(s, post_request); }

// A response read in two pieces, as when the head straddles two reads.
void response_nginx_200_in_two_reads(benchmark::State& state) {
  std::array<header, 32> fields{};
  response_parser p(fields);
  const std::string_view first = std::string_view(nginx_200).substr(0, 100);
  for (auto _ : state) {
    p.reset();
    benchmark::DoNotOptimize(p.parse(first));
    benchmark::DoNotOptimize(p.parse(nginx_200));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * nginx_200.size()));
}

// Bulk chunked body: 64 KiB in 4 KiB chunks.
void chunked_body_64k(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 16; ++i) body += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    chunked_decoder d;
    std::string_view in = body;
    while (d.state() == body_state::in_progress && !in.empty()) {
      const body_step step = d.feed(in);
      benchmark::DoNotOptimize(step.data);
      in.remove_prefix(step.consumed);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK(response_nginx_200);
BENCHMARK(response_nginx_200_head_only);
BENCHMARK(response_nginx_200_in_two_reads);
BENCHMARK(response_chunked);
BENCHMARK(request_get);
BENCHMARK(request_post);
BENCHMARK(chunked_body_64k);

}  // namespace

BENCHMARK_MAIN();
