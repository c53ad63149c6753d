"""A Server-Sent Events server nobody here wrote the HTTP of: aiohttp (Debian's python3-aiohttp).

    python3 sse_server.py PORT

  GET /events  text/event-stream, chunked: 4 events 50 ms apart, a 1.2 s stall, 2 more 50 ms
               apart, then the end (6 events, ~1.4 s)
  GET /cut     text/event-stream, chunked: 2 events 50 ms apart, then the connection is closed
               without the last chunk (a stream cut mid-body)
"""
import asyncio
import sys

from aiohttp import web

GAP = 0.05
STALL = 1.2


async def open_stream(request):
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    return resp


async def events(request):
    resp = await open_stream(request)
    for i in range(6):
        if i == 4:
            await asyncio.sleep(STALL)
        elif i > 0:
            await asyncio.sleep(GAP)
        await resp.write(b"id: %d\nevent: tick\ndata: event %d\n\n" % (i, i))
    await resp.write_eof()
    return resp


async def cut(request):
    resp = await open_stream(request)
    for i in range(2):
        if i > 0:
            await asyncio.sleep(GAP)
        await resp.write(b"data: event %d\n\n" % i)
    await asyncio.sleep(GAP)
    request.transport.close()
    return resp


def main():
    app = web.Application()
    app.router.add_get("/events", events)
    app.router.add_get("/cut", cut)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
