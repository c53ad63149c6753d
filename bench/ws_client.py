#!/usr/bin/python3
"""The reference's way of load-testing a WebSocket echo: Python `websockets` on asyncio with
uvloop, N connections, each sending a message and awaiting its reply in a loop. Prints the
messages answered, the process's CPU seconds (user + system) and messages per CPU-second, for
bench/ws_echo_ratio.sh to compare barrage's figure with.

usage: ws_client.py URL [-c 50] [-d 5] [--size 64]
"""
import argparse
import asyncio
import resource
import time

import uvloop
import websockets


async def one(url, payload, until, counts):
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        while time.monotonic() < until:
            await ws.send(payload)
            await ws.recv()
            counts[0] += 1


async def main(args):
    payload = "x" * args.size
    until = time.monotonic() + args.d
    counts = [0]
    await asyncio.gather(*(one(args.url, payload, until, counts) for _ in range(args.c)))
    return counts[0]


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("-c", type=int, default=50)
    p.add_argument("-d", type=float, default=5)
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args()
    cpu0 = cpu_seconds()
    uvloop.install()
    n = asyncio.run(main(a))
    cpu = cpu_seconds() - cpu0
    print(f"messages {n} cpu_seconds {cpu:.3f} messages_per_cpu_second {n / max(cpu, 1e-9):.0f}")
