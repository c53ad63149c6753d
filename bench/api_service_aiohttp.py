#!/usr/bin/python3
"""examples/api_service's item routes written the asyncio way (aiohttp on uvloop), for
bench/api_service.py: the same JSON, the same validation, the same simulated I/O wait.

    api_service_aiohttp.py --port N [--io-wait-ms MS] [--no-uvloop]

GET /items, GET /items/{id} (after --io-wait-ms, asyncio.sleep), POST /items (400 with the
problems as JSON). GET /lag: the event loop's lag, measured as barrage's loop measures its own
(a task that sleeps 10 ms and records how late it woke), in the buckets of barrage's
barrage_event_loop_lag_seconds, as JSON {"bounds": [...], "counts": [...], "max": s}.
"""
import argparse
import asyncio
import json
import resource
import time

from aiohttp import web

def compact(obj):
    return json.dumps(obj, separators=(",", ":"))  # the C++ service's spacing: the same bytes


LAG_BOUNDS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]


class Lag:
    def __init__(self):
        self.counts = [0] * (len(LAG_BOUNDS) + 1)
        self.max = 0.0

    async def monitor(self):
        interval = 0.010
        while True:
            due = time.monotonic() + interval
            await asyncio.sleep(interval)
            late = max(0.0, time.monotonic() - due)
            i = 0
            while i < len(LAG_BOUNDS) and late > LAG_BOUNDS[i]:
                i += 1
            self.counts[i] += 1
            self.max = max(self.max, late)


def make_app(io_wait):
    items = {1: {"id": 1, "name": "widget", "price": 2.5}, 2: {"id": 2, "name": "gadget", "price": 10.0},
             3: {"id": 3, "name": "gizmo", "price": 99.99}}
    state = {"next": 4}
    lag = Lag()

    def error(status, what, details=()):
        return web.json_response(dumps=compact, data={"error": what, "details": list(details)}, status=status)

    def parse_id(text):
        if not text.isdigit() or len(text) > 16 or int(text) == 0 or int(text) > 2 ** 53:
            return None
        return int(text)

    async def list_items(request):
        return web.json_response(dumps=compact, data={"items": list(items.values())})

    async def get_item(request):
        item_id = parse_id(request.match_info["id"])
        if item_id is None:
            return error(400, "invalid id", [{"field": "id", "message": "a whole number from 1"}])
        if io_wait > 0:
            await asyncio.sleep(io_wait)  # the store's I/O, asynchronous
        item = items.get(item_id)
        if item is None:
            return error(404, "no such item")
        return web.json_response(dumps=compact, data=item)

    async def create_item(request):
        try:
            body = json.loads(await request.text())
        except ValueError:
            return error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return error(400, "the body is not a JSON object")
        problems = []
        name, price = body.get("name"), body.get("price")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problems.append({"field": "name", "message": "required: a string of 1 to 100 characters"})
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price <= 1e9:
            problems.append({"field": "price", "message": "required: a number from 0 to 1e9"})
        problems += [{"field": k, "message": "unknown field"} for k in body if k not in ("name", "price")]
        if problems:
            return error(400, "invalid item", problems)
        item = {"id": state["next"], "name": name, "price": float(price)}
        items[item["id"]] = item
        state["next"] += 1
        return web.json_response(dumps=compact, data=item, status=201, headers={"Location": "/items/%d" % item["id"]})

    async def lag_page(request):
        return web.json_response(dumps=compact, data={"bounds": LAG_BOUNDS, "counts": lag.counts, "max": lag.max})

    async def start_monitor(app):
        app["lag_task"] = asyncio.get_running_loop().create_task(lag.monitor())

    app = web.Application()
    app.router.add_get("/items", list_items)
    app.router.add_get("/items/{id}", get_item)
    app.router.add_post("/items", create_item)
    app.router.add_get("/lag", lag_page)
    app.on_startup.append(start_monitor)
    return app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--io-wait-ms", type=float, default=0)
    ap.add_argument("--no-uvloop", action="store_true")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 connections and more
    if not a.no_uvloop:
        import uvloop
        uvloop.install()
    web.run_app(make_app(a.io_wait_ms / 1000), host="127.0.0.1", port=a.port, access_log=None, print=None,
                backlog=4096)


if __name__ == "__main__":
    main()
