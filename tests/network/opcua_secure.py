#!/usr/bin/env python3
"""OPC UA security with asyncua against `robocell serve ... --opcua URL --opcua-user NAME:PASS`:
the endpoints offered, a Basic256Sha256 SignAndEncrypt session with the user's name and
password that reads a value, and a wrong password refused.
Usage: opcua_secure.py URL NAME PASSWORD WORKDIR. Exit 0 when every check passed."""
import asyncio
import socket
import sys
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

URL, USER, PASSWORD, WORK = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
NS = "urn:robocell:cell"


async def main():
    cert, key = WORK / "client-cert.der", WORK / "client-key.pem"
    await setup_self_signed_certificate(
        key, cert, "urn:robocell:test-client", socket.gethostname(), [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": "robocell test client"}
    )
    # What the server offers on loopback: None, and Basic256Sha256 Sign and SignAndEncrypt.
    probe = Client(url=URL, timeout=10)
    endpoints = await probe.connect_and_get_server_endpoints()
    offered = sorted({(e.SecurityPolicyUri.split("#")[-1], e.SecurityMode.name) for e in endpoints})
    assert ("Basic256Sha256", "SignAndEncrypt") in offered and ("Basic256Sha256", "Sign") in offered and ("None", "None_") in offered, offered
    print(f"endpoints: {offered}")

    c = Client(url=URL, timeout=10)
    c.application_uri = "urn:robocell:test-client"
    c.set_user(USER)
    c.set_password(PASSWORD)
    await c.set_security(SecurityPolicyBasic256Sha256, str(cert), str(key), mode=ua.MessageSecurityMode.SignAndEncrypt)
    async with c:
        ns = await c.get_namespace_index(NS)
        state = await c.get_node(ua.NodeId("Controller.ProgramState", ns)).read_value()
        assert state == "Ready", state
    print(f"Basic256Sha256 SignAndEncrypt as {USER}: ProgramState {state}")

    bad = Client(url=URL, timeout=10)
    bad.application_uri = "urn:robocell:test-client"
    bad.set_user(USER)
    bad.set_password(PASSWORD + "x")
    await bad.set_security(SecurityPolicyBasic256Sha256, str(cert), str(key), mode=ua.MessageSecurityMode.SignAndEncrypt)
    try:
        await bad.connect()
    except Exception as e:  # the server refuses the session: BadUserAccessDenied or BadIdentityTokenRejected
        print(f"wrong password refused: {type(e).__name__}")
    else:
        await bad.disconnect()
        raise AssertionError("a wrong password was accepted")


if __name__ == "__main__":
    asyncio.run(main())
    print("opcua security: all checks passed")
