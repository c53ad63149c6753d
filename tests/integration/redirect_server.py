#!/usr/bin/env python3
"""An HTTP/1.1 server (Python's http.server, keep-alive) that redirects, for the --redirects tests.

  redirect_server.py PORT OTHER_PORT

  /ok                  200 "ok"
  /r/CODE              CODE with Location: /ok (relative, same server)
  /rel/CODE            CODE with Location: ok (relative to the path: /rel/ok ... -> /ok via ../)
  /abs                 302 with Location: http://127.0.0.1:OTHER_PORT/ (another server)
  /chain/N             302 to /chain/N-1; /chain/0 is 200
  /loop                302 to /loop, for ever
  /nolocation          302 without a Location
  /post/CODE           CODE to /check-post (307, 308: the POST and its body must follow)
  /check-post          200 when the request is POST with body "payload", else 400
  /check-get           200 when the request is GET without a body, else 400
  /get/CODE            CODE to /check-get (301, 302, 303: a POST becomes a GET without body)
Prints "ready" once listening.
"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    other_port = 0

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", location=None):
        self.send_response(code)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        data = self.body()
        p = self.path
        parts = p.strip("/").split("/")
        if p == "/ok":
            return self.reply(200, b"ok")
        if parts[0] == "r" and len(parts) == 2:
            return self.reply(int(parts[1]), location="/ok")
        if parts[0] == "rel" and len(parts) == 2:
            return self.reply(int(parts[1]), location="../ok")
        if p == "/abs":
            return self.reply(302, location="http://127.0.0.1:%d/" % self.other_port)
        if parts[0] == "chain" and len(parts) == 2:
            n = int(parts[1])
            return self.reply(200, b"end") if n == 0 else self.reply(302, location="/chain/%d" % (n - 1))
        if p == "/loop":
            return self.reply(302, location="/loop")
        if p == "/nolocation":
            return self.reply(302)
        if parts[0] == "post" and len(parts) == 2:
            return self.reply(int(parts[1]), location="/check-post")
        if parts[0] == "get" and len(parts) == 2:
            return self.reply(int(parts[1]), location="/check-get")
        if p == "/check-post":
            return self.reply(200 if self.command == "POST" and data == b"payload" else 400)
        if p == "/check-get":
            ok = self.command == "GET" and not data and "Content-Length" not in self.headers
            return self.reply(200 if ok else 400)
        return self.reply(404)

    do_GET = do_POST = do_PUT = do_HEAD = route


def main():
    Handler.other_port = int(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
