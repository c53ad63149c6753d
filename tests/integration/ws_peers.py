#!/usr/bin/python3
"""WebSocket servers for ws_generator_test.py, on Python's `websockets` (Debian's
python3-websockets 10.4), each on 127.0.0.1 at a port of the kernel's choice, printed as
"PORT\\n" on stdout once listening. Counts go to stderr at exit (for debugging only).

  ws_peers.py echo                       echo every message
  ws_peers.py feed --interval-ms 20 --size 100   push a message every interval
  ws_peers.py silent                     take messages and never answer them (pings still are)
  ws_peers.py close-after N --code C     echo N messages per connection, then close with code C
  ws_peers.py abort-after N              echo N messages per connection, then drop the TCP
                                         connection without a Close frame
  ws_peers.py http STATUS                a plain HTTP server answering STATUS to everything
  --cert FILE --key FILE                 TLS (wss://)
  --subprotocols A,B                     the subprotocols the server supports: it chooses the
                                         offer they share (websockets' rule), or none
  --force-subprotocol                    choose the first of --subprotocols whatever the client
                                         offered (a server breaking RFC 6455 §4.2.2)
"""
import argparse
import asyncio
import http.server
import socketserver
import ssl
import sys
import threading

import websockets


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "feed", "silent", "close-after", "abort-after", "http"])
    p.add_argument("n", nargs="?", type=int, default=0)
    p.add_argument("--code", type=int, default=4000)
    p.add_argument("--interval-ms", type=float, default=20)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--subprotocols", default="")
    p.add_argument("--force-subprotocol", action="store_true")
    return p.parse_args()


def plain_http(status):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"not a websocket endpoint\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    socketserver.TCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


async def handler(ws, args):
    try:
        await serve_one(ws, args)
    except websockets.ConnectionClosed:
        pass  # the generator's goodbye


async def serve_one(ws, args):
    if args.mode == "echo":
        async for m in ws:
            await ws.send(m)
    elif args.mode == "feed":
        payload = "x" * args.size
        while True:
            await ws.send(payload)
            await asyncio.sleep(args.interval_ms / 1000)
    elif args.mode == "silent":
        async for _ in ws:
            pass
    else:
        seen = 0
        async for m in ws:
            if seen == args.n:
                if args.mode == "close-after":
                    await ws.close(code=args.code, reason="enough")
                else:
                    ws.transport.abort()
                return
            await ws.send(m)
            seen += 1


async def serve(args):
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    subprotocols = [s for s in args.subprotocols.split(",") if s] or None
    forced = (lambda _offered, ours: ours[0]) if args.force_subprotocol else None
    async with websockets.serve(lambda ws, *_: handler(ws, args), "127.0.0.1", 0, ssl=ctx,
                                max_size=None, ping_interval=None, subprotocols=subprotocols,
                                select_subprotocol=forced) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


def main():
    args = parse()
    if args.mode == "http":
        plain_http(args.n)
        return
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
