#!/usr/bin/env python3
"""OPC UA checks with asyncua against `robocell serve tests/network/net_cell.ron --opcua URL`:
browse the tree, call Start, read axes that change, subscribe at 10 Hz, write an input and
see the program react, and get the Bad status codes for bad writes and calls.
Usage: opcua_client.py URL. Exit 0 when every check passed."""
import asyncio
import sys
import time

from asyncua import Client, ua

NS = "urn:robocell:cell"


async def until(what, check, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def bad_status(coro):
    try:
        await coro
    except ua.UaStatusCodeError as e:
        return ua.StatusCode(e.code).name
    raise AssertionError("expected a Bad status code, the call succeeded")


class Counter:
    def __init__(self):
        self.values = []

    def datachange_notification(self, node, val, data):
        self.values.append(val)


async def main(url):
    async with Client(url=url, timeout=10) as c:
        ns = await c.get_namespace_index(NS)
        node = lambda path: c.get_node(ua.NodeId(path, ns))

        # Browse: the cell's object under Objects, and the OPC 40010 shape below it.
        cell = await c.nodes.objects.get_child([f"{ns}:Cell"])
        names = {(await n.read_browse_name()).Name for n in await cell.get_children()}
        for want in ["MotionDeviceSystem", "IO", "Equipment", "Production", "Orders"]:
            assert want in names, f"{want} not under Cell: {sorted(names)}"
        axes = await cell.get_child([f"{ns}:MotionDeviceSystem", f"{ns}:MotionDevices", f"{ns}:KR 6 R900 sixx", f"{ns}:Axes"])
        axis_names = sorted([(await n.read_browse_name()).Name for n in await axes.get_children()])
        assert axis_names == ["A1", "A2", "A3", "A4", "A5", "A6"], axis_names
        print("browse: Cell/MotionDeviceSystem/MotionDevices/KR 6 R900 sixx/Axes/A1..A6")

        state = node("Controller.ProgramState")
        assert await state.read_value() == "Ready", await state.read_value()
        krc = node("Controller")

        # Bad calls and writes come back as Bad status codes; the server goes on.
        a1 = node("Robot.Axes.A1.ActualPosition")
        code = await bad_status(a1.write_value(ua.DataValue(ua.Variant(5.0, ua.VariantType.Double))))
        assert code in ("BadNotWritable", "BadUserAccessDenied"), code
        in20 = node("IO.IN_20")
        code = await bad_status(in20.write_value(ua.DataValue(ua.Variant(3, ua.VariantType.Int32))))
        assert code == "BadTypeMismatch", code
        in1 = node("IO.IN_1")
        code = await bad_status(in1.write_value(ua.DataValue(ua.Variant(True, ua.VariantType.Boolean))))
        assert code in ("BadNotWritable", "BadUserAccessDenied"), code
        code = await bad_status(krc.call_method(ua.NodeId("Controller.SetOverride", ns), ua.Variant("fast", ua.VariantType.String)))
        assert code == "BadTypeMismatch", code
        code = await bad_status(krc.call_method(ua.NodeId("Controller.SetOverride", ns), ua.Variant(150.0, ua.VariantType.Double)))
        assert code == "BadOutOfRange", code
        code = await bad_status(krc.call_method(ua.NodeId("Controller.SetOverride", ns)))
        assert code == "BadArgumentsMissing", code
        print("bad writes and calls: BadNotWritable/BadUserAccessDenied, BadTypeMismatch, BadOutOfRange, BadArgumentsMissing")

        # Start, and the axes move.
        await krc.call_method(ua.NodeId("Controller.Start", ns))
        await until("ProgramState Running", lambda: state_is(state, "Running"))
        first = await a1.read_value()
        await until("A1 to change", lambda: changed(a1, first))
        print(f"Start: running; A1 moved from {first:.2f}")

        # Subscriptions at 10 Hz: the server grants a 100 ms publishing interval and 100 ms
        # sampling (the rate itself is measured by `robocell bench`, not here: machines are noisy).
        params = ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=100, RequestedLifetimeCount=300, RequestedMaxKeepAliveCount=10,
            MaxNotificationsPerPublish=0, PublishingEnabled=True, Priority=0,
        )
        granted = await c.uaclient.create_subscription(params, callback=lambda _: None)
        assert granted.RevisedPublishingInterval <= 100, granted
        item = ua.MonitoredItemCreateRequest()
        item.ItemToMonitor = ua.ReadValueId(NodeId_=a1.nodeid, AttributeId=ua.AttributeIds.Value)
        item.MonitoringMode = ua.MonitoringMode.Reporting
        item.RequestedParameters = ua.MonitoringParameters(ClientHandle=1, SamplingInterval=100, QueueSize=1, DiscardOldest=True)
        made = await c.uaclient.create_monitored_items(
            ua.CreateMonitoredItemsParameters(SubscriptionId=granted.SubscriptionId, ItemsToCreate=[item], TimestampsToReturn_=ua.TimestampsToReturn.Both)
        )
        assert made[0].StatusCode.is_good() and made[0].RevisedSamplingInterval <= 100, made
        await c.uaclient.delete_subscriptions([granted.SubscriptionId])
        # And notifications come: the simulated time changes on every snapshot, A1 while it moves.
        clock, axis = Counter(), Counter()
        sub = await c.create_subscription(100, clock)
        await sub.subscribe_data_change(node("Cell.Time"))
        sub_a1 = await c.create_subscription(100, axis)
        await sub_a1.subscribe_data_change(a1)
        await asyncio.sleep(3.0)
        await sub.delete()
        await sub_a1.delete()
        assert len(clock.values) >= 5 and clock.values == sorted(clock.values), f"time notifications: {clock.values}"
        assert len(set(axis.values)) >= 2, f"A1 notifications: {axis.values}"
        print(f"subscription: 100 ms granted; {len(clock.values)} notifications of the time and {len(axis.values)} of A1 in 3 s")

        # The override, by method.
        await krc.call_method(ua.NodeId("Controller.SetOverride", ns), ua.Variant(50.0, ua.VariantType.Double))
        await until("Override 50", lambda: value_is(node("Controller.Override"), 50.0))
        print("SetOverride(50): Override reads 50")

        # An input from outside, and the program reacts on $OUT[7] and $OUT[8].
        await in20.write_value(ua.DataValue(ua.Variant(True, ua.VariantType.Boolean)))
        await until("IN_20 TRUE", lambda: value_is(in20, True))
        await until("OUT_7 TRUE (the program copies $IN[20])", lambda: value_is(node("IO.OUT_7"), True), timeout=20)
        await node("IO.ANIN_1").write_value(ua.DataValue(ua.Variant(0.75, ua.VariantType.Double)))
        await until("OUT_8 TRUE ($ANIN[1] > 0.5)", lambda: value_is(node("IO.OUT_8"), True), timeout=20)
        code = await bad_status(node("IO.ANIN_1").write_value(ua.DataValue(ua.Variant(2.0, ua.VariantType.Double))))
        assert code == "BadOutOfRange", code
        out = await node("IO.OUT").read_value()
        assert len(out) == 4096 and out[6] is True, "OUT array: $OUT[7] is element 6"
        print("IN_20 := TRUE -> OUT_7 TRUE; ANIN_1 := 0.75 -> OUT_8 TRUE; ANIN_1 := 2.0 -> BadOutOfRange")

        # Stop and the state follows.
        await krc.call_method(ua.NodeId("Controller.Stop", ns))
        await until("ProgramState Stopped", lambda: state_is(state, "Stopped"))
        print("Stop: stopped")


async def state_is(node, want):
    return await node.read_value() == want


async def value_is(node, want):
    return await node.read_value() == want


async def changed(node, first):
    return abs(await node.read_value() - first) > 0.01


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
    print("opcua: all checks passed")
