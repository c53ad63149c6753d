#!/usr/bin/env python3
"""An HTTP/1.1 server that closes every connection after N responses, for the pipelining tests.

  close_after_server.py PORT N MODE

MODE "header": the Nth response carries `Connection: close`, then the server closes (as lighttpd
and nginx do at their keep-alive request limit); MODE "silent": the server closes after the Nth
response without saying so (as a server with a keep-alive limit but no header, or an idle close).
Requests pipelined behind the Nth are read by nobody: they were not processed (RFC 9112 §9.3.2).
GET /count on any connection answers the number of requests processed so far (not counting
/count itself) and is not counted. Prints "ready" once listening.
"""
import asyncio
import sys

PROCESSED = 0


async def handle(reader, writer, limit, mode):
    global PROCESSED
    answered = 0
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].split(b" ")
            length = 0
            for field in head.split(b"\r\n")[1:]:
                name, _, value = field.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            if len(line) > 1 and line[1] == b"/count":
                body = str(PROCESSED).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                continue
            PROCESSED += 1
            answered += 1
            last = answered >= limit
            close = b"Connection: close\r\n" if last and mode == "header" else b""
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + close + b"\r\nok")
            await writer.drain()
            if last:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


async def main():
    port, limit, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    server = await asyncio.start_server(lambda r, w: handle(r, w, limit, mode), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
