"""Fixture plugins shared by every test folder (each module owns one kind of server)."""

import os

# Tests never read the developer's Terraform CLI config; they set their own.
os.environ.setdefault("CHECKPOINT_DISABLE", "1")

pytest_plugins = [
    "tests.fixtures.moto_server",
    "tests.fixtures.terraform",
    "tests.fixtures.chroma_server",
    "tests.fixtures.nginx_proxy",
    "tests.fixtures.freeze_proxy",
    "tests.fixtures.longest_first",
]
