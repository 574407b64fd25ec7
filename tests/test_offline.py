"""Proof that ``nox -s offline`` really runs the suite with the network cut.

The session runs pytest in a new network namespace whose only interface is loopback, and sets
``PINLAB_OFFLINE=1``; elsewhere this test skips. It checks first, without sending anything, that
the kernel has no route to any non-loopback address; only then does it try a real connection,
which must fail. So even if it ran with the network up, no packet would leave the machine.
"""

from __future__ import annotations

import errno
import os
import socket

import pytest

pytestmark = pytest.mark.offline

# Documentation addresses (RFC 5737, RFC 3849): routed nowhere, owned by nobody.
ELSEWHERE = [(socket.AF_INET, "192.0.2.1"), (socket.AF_INET, "198.51.100.1"), (socket.AF_INET6, "2001:db8::1")]


@pytest.fixture(autouse=True)
def only_inside_the_namespace():
    if os.environ.get("PINLAB_OFFLINE") != "1":
        pytest.skip("run by `nox -s offline`, inside a network namespace with only loopback")


def has_route(family: int, address: str) -> bool:
    """Whether the kernel would send to *address*: connecting a UDP socket sends no packet."""
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 9))
        except OSError:
            return False
    return True


def test_only_loopback_is_up():
    assert [name for _index, name in socket.if_nameindex()] == ["lo"]


def test_no_route_leaves_the_machine():
    assert [address for family, address in ELSEWHERE if has_route(family, address)] == []


def test_a_connection_elsewhere_fails():
    assert not has_route(socket.AF_INET, "192.0.2.1")  # checked again: nothing is sent below otherwise
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        with pytest.raises(OSError) as error:
            client.connect(("192.0.2.1", 80))
    # Refused at once by the kernel, not timed out waiting for an answer.
    assert error.value.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


def test_loopback_works():
    # Jupyter kernels talk to nbval over 127.0.0.1: the namespace must have loopback up.
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            connection, _ = server.accept()
            with connection:
                client.sendall(b"ping")
                assert connection.recv(4) == b"ping"
