#!/usr/bin/env python3
"""Modbus TCP checks with pymodbus against `robocell serve tests/network/net_cell.ron --modbus
ADDR`: write a coil and see the program react on a discrete input, holding and input registers,
Modbus exceptions for out-of-range addresses, values and unknown functions, and a server that
lives on after garbage. Usage: modbus_client.py HOST PORT. Exit 0 when every check passed."""
import socket
import struct
import sys
import time

from pymodbus.client import ModbusTcpClient

HOST, PORT = sys.argv[1], int(sys.argv[2])


def until(what, check, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def raw(pdu, unit=1, tid=7):
    """Sends one Modbus TCP request with this PDU and returns the response PDU (or b'' when the
    server closed the connection)."""
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu)
        head = s.recv(7)
        if len(head) < 7:
            return b""
        _, _, length, _ = struct.unpack(">HHHB", head)
        return s.recv(length - 1)


c = ModbusTcpClient(HOST, port=PORT, timeout=5)
assert c.connect(), "no connection"

# Input registers: program state 0 = Ready, mode 3 = AUT.
rr = c.read_input_registers(0, count=4)
assert not rr.isError(), rr
assert rr.registers[0] == 0 and rr.registers[1] == 3, rr.registers
print("input registers 0..3: state Ready, mode AUT")

# Holding register 0: the override.
assert not c.write_register(0, 40).isError()
until("override 40", lambda: c.read_holding_registers(0, count=1).registers[0] == 40)
print("holding register 0 := 40 -> override 40 %")

# Holding register 2: the command word; 1 = Start.
assert not c.write_register(2, 1).isError()
until("state Running", lambda: c.read_input_registers(0, count=1).registers[0] == 1)
a1 = lambda: c.read_input_registers(4, count=1).registers[0]
first = a1()
until("A1 to move", lambda: a1() != first)
print(f"holding register 2 := 1 (Start) -> running; A1 register moved from {first}")

# Coil 19 = $IN[20]: the program copies it to $OUT[7] = discrete input 6.
assert not c.write_coil(19, True).isError()
until("coil 19 reads back TRUE", lambda: c.read_coils(19, count=1).bits[0])
until("discrete input 6 ($OUT[7]) TRUE", lambda: c.read_discrete_inputs(6, count=1).bits[0])
print("coil 19 ($IN[20]) := TRUE -> discrete input 6 ($OUT[7]) TRUE")

# $ANIN[1] = holding register 16, x 10000.
assert not c.write_register(16, 7500).isError()
until("discrete input 7 ($OUT[8]) TRUE", lambda: c.read_discrete_inputs(7, count=1).bits[0])
print("holding register 16 := 7500 ($ANIN[1] 0.75) -> $OUT[8] TRUE")

# The program number goes on $IN[24..27].
assert not c.write_register(1, 5).isError()
until("program number 5 on the inputs", lambda: c.read_coils(23, count=4).bits[:4] == [True, False, True, False])
rr = c.write_register(1, 16)
assert rr.isError() and rr.exception_code == 3, f"program number 16 in 4 bits: {rr}"
print("holding register 1 := 5 -> $IN[24], $IN[26] TRUE; 16 -> exception 3")

# Exceptions: a sensor's input is not the PLC's; addresses past the map; values out of range.
rr = c.write_coil(0, True)
assert rr.isError() and rr.exception_code == 2, f"coil 0 is a sensor's input: {rr}"
rr = c.read_coils(4090, count=10)
assert rr.isError() and rr.exception_code == 2, f"coils past 4096: {rr}"
rr = c.read_input_registers(200, count=1)
assert rr.isError() and rr.exception_code == 2, f"input register 200: {rr}"
rr = c.write_register(0, 101)
assert rr.isError() and rr.exception_code == 3, f"override 101: {rr}"
rr = c.write_register(2, 9)
assert rr.isError() and rr.exception_code == 3, f"command 9: {rr}"
print("exceptions: 2 for a sensor's coil and addresses past the map, 3 for override 101 and command 9")

# Raw frames: an unknown function code gets exception 1; a read of 0 coils exception 3.
resp = raw(bytes([0x41, 0x00]))
assert resp == bytes([0x41 | 0x80, 0x01]), f"function 0x41: {resp.hex()}"
resp = raw(struct.pack(">BHH", 0x01, 0, 0))
assert resp == bytes([0x81, 0x03]), f"read 0 coils: {resp.hex()}"
print("raw: function 0x41 -> exception 1; 0 coils -> exception 3")

# Garbage: that connection closes, the server lives on.
with socket.create_connection((HOST, PORT), timeout=5) as s:
    s.sendall(b"\xde\xad\xbe\xef" * 64)
    try:
        s.recv(16)
    except OSError:
        pass
c.close()
c = ModbusTcpClient(HOST, port=PORT, timeout=5)
assert c.connect(), "no connection after garbage"
assert not c.read_input_registers(0, count=1).isError()
print("garbage bytes: that connection dropped, the next one served")

# Stop: command 2.
assert not c.write_register(2, 2).isError()
until("state Stopped", lambda: c.read_input_registers(0, count=1).registers[0] == 2)
print("holding register 2 := 2 (Stop) -> stopped")
c.close()
print("modbus: all checks passed")
