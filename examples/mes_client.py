#!/usr/bin/env python3
"""A small MES for robocell's cell: sends production orders over OPC UA and prints the
production figures until the orders are filled.

    robocell serve scenarios/mes_orders.ron --opcua
    python3 examples/mes_client.py --start --order "red cube=4,blue cylinder=2"

Needs `pip install asyncua`. Exit 0 when every order it sent was filled, 1 when the time ran out.
"""
import argparse
import asyncio
import json
import sys
import time

from asyncua import Client, ua

NS = "urn:robocell:cell"


def parse_order(text):
    """'red cube=4,blue cylinder=2' -> {'red cube': 4, 'blue cylinder': 2}"""
    parts = {}
    for item in text.split(","):
        name, _, count = item.partition("=")
        if not name.strip() or not count.strip().isdigit():
            raise argparse.ArgumentTypeError(f"an order is 'part type=count,...', not {text!r}")
        parts[name.strip()] = int(count)
    return parts


async def main(args):
    async with Client(url=args.url, timeout=10) as c:
        ns = await c.get_namespace_index(NS)
        node = lambda path: c.get_node(ua.NodeId(path, ns))
        orders = node("Orders")
        # Our orders are the ones with our parts received from now on (the cell numbers them).
        t0 = await node("Cell.Time").read_value()
        for parts in args.order:
            await orders.call_method(ua.NodeId("Orders.PlaceOrder", ns), ua.Variant(json.dumps(parts), ua.VariantType.String))
            print(f"sent order: {', '.join(f'{n} x {t}' for t, n in parts.items())}")
        if args.start:
            await node("Controller").call_method(ua.NodeId("Controller.Start", ns))
        end = time.monotonic() + args.wait
        while time.monotonic() < end:
            await asyncio.sleep(1.0)
            figures = {name: await node(f"Production.{name}").read_value() for name in ["Delivered", "Good", "WrongBin", "PartsPerHour", "MeanCycleTime", "Availability"]}
            book = json.loads(await node("Orders.Json").read_value())
            done = {o["id"] for o in book if o["done_s"] is not None}
            mine, wanted = set(), list(args.order)
            for o in book:
                if o["received_s"] >= t0 - 1e-6 and o["parts"] in wanted:
                    wanted.remove(o["parts"])
                    mine.add(o["id"])
            t = await node("Cell.Time").read_value()
            print(
                f"{t:7.1f} s  delivered {figures['Delivered']:3d} (good {figures['Good']}, wrong bin {figures['WrongBin']})"
                f"  {figures['PartsPerHour']:6.1f} parts/h  mean cycle {figures['MeanCycleTime']:5.1f} s"
                f"  availability {figures['Availability']:.2f}  orders done {len(done)}/{len(book)}",
                flush=True,
            )
            if not wanted and mine <= done:
                print("all orders sent were filled")
                return 0
        print("the time ran out before the orders were filled", file=sys.stderr)
        return 1


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="opc.tcp://127.0.0.1:4840/")
    p.add_argument("--order", type=parse_order, action="append", default=[], help="'part type=count,...' (repeat for more orders)")
    p.add_argument("--start", action="store_true", help="press Start")
    p.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the orders")
    sys.exit(asyncio.run(main(p.parse_args())))
