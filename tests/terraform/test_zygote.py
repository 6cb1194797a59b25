"""The provider zygote (tools/tfoffline/zygote.py): forked providers serve Terraform exactly as
fresh ones do, a killed client takes its provider with it, and a dead zygote falls back to a
normal start."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from tfoffline import harness

from tests.fixtures.servers import children_of, hang_guard, wait_until

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Team = "db" }
  }
}
data "aws_region" "here" {}
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "zyg-${data.aws_region.here.region}" }
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.0.1.0/24"
}
"""


COOKIE = {
    "TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    "PLUGIN_PROTOCOL_VERSIONS": "6",
}


def _client_argv(sock: Path | str) -> list[str]:
    """What the launcher runs when TFOFFLINE_ZYGOTE names `sock`."""
    return [
        str(harness.provider_python()),
        "-I",
        "-S",
        str(harness.PKG_DIR / "zygote.py"),
        "connect",
        str(sock),
    ]


@pytest.fixture
def zygote():  # type: ignore[no-untyped-def]
    directory = Path(
        tempfile.mkdtemp(prefix="tfz-test-")
    )  # short: unix socket paths hold 108 bytes
    z = harness.start_zygote(directory)
    try:
        yield z
    finally:
        z.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _plan(tf_offline, tmp_path: Path, name: str, zygote_socket: str | None) -> dict:  # type: ignore[no-untyped-def]
    root = tf_offline.write_root(tmp_path / name, {"main.tf": MAIN_TF})
    env = {k: v for k, v in tf_offline.env.items() if k != "TFOFFLINE_ZYGOTE"}
    if zygote_socket:
        env["TFOFFLINE_ZYGOTE"] = zygote_socket
    plan = harness.plan_json(root, env=env)
    plan.pop("timestamp", None)
    return plan


def test_forked_provider_plans_exactly_like_a_fresh_one(tf_offline, zygote, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = children_of(zygote.proc.pid)
    forked = _plan(tf_offline, tmp_path, "forked", str(zygote.socket))
    fresh = _plan(tf_offline, tmp_path, "fresh", None)
    assert json.dumps(forked, sort_keys=True) == json.dumps(fresh, sort_keys=True)
    assert [c["address"] for c in forked["resource_changes"]] == ["aws_subnet.a", "aws_vpc.this"]
    log = (zygote.socket.parent / "zygote.log").read_text()
    assert f"in {tmp_path / 'forked'}" in log and f"in {tmp_path / 'fresh'}" not in log
    # every provider it forked has exited and been reaped
    wait_until(
        lambda: children_of(zygote.proc.pid) == before, timeout=10, what="forked providers gone"
    )


def test_killed_client_takes_its_provider_with_it(zygote, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = subprocess.Popen(
        _client_argv(zygote.socket),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **COOKIE},
        cwd=tmp_path,
    )
    try:
        assert client.stdout is not None
        handshake = client.stdout.readline().decode()
        assert handshake.startswith("1|6|unix|"), (
            handshake
        )  # the forked child answered on the client's stdout
        children = children_of(zygote.proc.pid)
        assert len(children) == 1
        client.send_signal(signal.SIGKILL)  # what Terraform does when a plugin does not stop
        client.wait(timeout=10)
        wait_until(
            lambda: not children_of(zygote.proc.pid), timeout=10, what="orphaned provider exits"
        )
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(timeout=10)


def test_without_a_zygote_the_client_starts_the_provider_itself(tmp_path: Path) -> None:
    dead = tmp_path / "no-zygote.sock"
    client = subprocess.Popen(
        _client_argv(dead),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **COOKIE},
        cwd=tmp_path,
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline().decode().startswith("1|6|unix|")
    finally:
        client.kill()
        client.wait(timeout=10)


def test_zygote_stops_cleanly(zygote) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    zygote.stop()
    assert zygote.proc.returncode == 0 and time.monotonic() - t0 < hang_guard(0.5)
    assert not zygote.socket.exists()


def test_killed_terraform_takes_client_and_provider_with_it(zygote, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Terraform (the client's parent) SIGKILLed: the client notices within its 0.5 s tick and the
    forked provider follows, as a fresh provider would on losing its parent."""
    fake_terraform = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.Popen(sys.argv[1:]).wait()",
            *_client_argv(zygote.socket),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **COOKIE},
        cwd=tmp_path,
    )
    try:
        assert fake_terraform.stdout is not None
        assert fake_terraform.stdout.readline().decode().startswith("1|6|unix|")
        assert len(children_of(zygote.proc.pid)) == 1
        fake_terraform.kill()
        fake_terraform.wait(timeout=10)
        wait_until(
            lambda: not children_of(zygote.proc.pid),
            timeout=10,
            what="provider gone with its Terraform",
        )
    finally:
        if fake_terraform.poll() is None:
            fake_terraform.kill()
            fake_terraform.wait(timeout=10)


def test_zygote_leaves_when_its_starter_dies(tmp_path: Path) -> None:
    directory = Path(tempfile.mkdtemp(prefix="tfz-orphan-"))
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\nfrom pathlib import Path\nsys.path.insert(0, sys.argv[1])\nfrom tfoffline import harness\n"
                "z = harness.start_zygote(Path(sys.argv[2]))\nprint(z.proc.pid, flush=True)\ntime.sleep(60)\n"
            ),
            str(harness.PKG_DIR.parent),
            str(directory),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline())
        starter.kill()  # no fixture teardown runs
        starter.wait(timeout=10)
        wait_until(
            lambda: (
                not Path(f"/proc/{pid}").exists()
                or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
            ),
            timeout=10,
            what="orphaned zygote exits",
        )
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def test_bad_request_closes_the_descriptors_and_the_zygote_keeps_serving(
    zygote, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import socket

    fds_before = len(list(Path(f"/proc/{zygote.proc.pid}/fd").iterdir()))
    for payload in (b"\x00\x00\x00\x05oops!", b"\x00\x00\x00\x02[]"):
        r, w = os.pipe()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(zygote.socket))
        socket.send_fds(s, [payload], [r, w, w])
        assert s.recv(16) == b""  # refused: closed without the "+" of a fork
        s.close()
        os.close(r)
        os.close(w)
    wait_until(
        lambda: len(list(Path(f"/proc/{zygote.proc.pid}/fd").iterdir())) <= fds_before,
        timeout=5,
        what="zygote closed the descriptors it was handed",
    )
    assert zygote.proc.poll() is None
    # a refused client starts the provider itself; a good one still gets a forked provider
    test_without_a_zygote_the_client_starts_the_provider_itself(tmp_path)
