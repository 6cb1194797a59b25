"""One command, one read (issue 15): a verb loads its env's chromactl.toml once and runs `terraform
output` at most once, whatever layers it passes through. A spy replaces load_env in every chromactl
module that holds it and counts the Terraform commands, over real Terraform runs of a tiny project."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import Counter
from typing import Any

import pytest
from chromactl import config
from chromactl.terraform.runner import Runner

from tests.lifecycle.conftest import TinyProject, run_cli


def _spy(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], Counter[str]]:
    loads: Counter[str] = Counter()
    commands: Counter[str] = Counter()
    real_load, real_run = config.load_env, Runner.run

    def load(name: str, root: Any = None) -> Any:
        loads[name] += 1
        return real_load(name, root)

    def run(self: Runner, args: list[str], **kw: Any) -> Any:
        commands[args[0]] += 1
        return real_run(self, args, **kw)

    import chromactl

    for info in pkgutil.walk_packages(chromactl.__path__, "chromactl."):  # the verbs import theirs lazily
        importlib.import_module(info.name)
    monkeypatch.setattr(config, "load_env", load)
    for module in [m for name, m in sys.modules.items() if name.startswith("chromactl") and m is not None]:
        if getattr(module, "load_env", None) is real_load:
            monkeypatch.setattr(module, "load_env", load)
    monkeypatch.setattr(Runner, "run", run)
    return loads, commands


@pytest.mark.parametrize("verb", [
    ["plan"], ["up", "--auto-approve", "--skip-checks"], ["output"], ["apply", "--auto-approve"], ["destroy", "--yes"],
])
def test_a_verb_loads_its_env_once_and_reads_outputs_at_most_once(verb: list[str], tiny_project: TinyProject,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if verb[0] in ("output", "destroy", "apply"):
        assert run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks").code == 0
    if verb[0] == "apply":
        assert run_cli("plan", "--env", "tiny").code == 0
    loads, commands = _spy(monkeypatch)
    res = run_cli(verb[0], "--env", "tiny", *verb[1:])
    assert res.code == 0, (res.out, res.err[-2000:])
    assert loads == Counter({"tiny": 1}), loads
    assert commands["output"] <= 1, commands
    assert sum(commands.values()) >= 1  # the spy saw the Terraform run


@pytest.mark.parametrize("verb", [
    ["doctor"], ["smoke", "--timeout", "1"], ["latency", "--timeout", "1", "--queries", "1", "--token-env", "TINY_TOKEN"],
    ["manifest", "record"],
])
def test_verbs_past_the_env_lookup_do_not_read_it_again(verb: list[str], tiny_project: TinyProject,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """These verbs hand the env they loaded to the next layer (doctor, the check target): `doctor`,
    `latency` and `manifest record` each read chromactl.toml twice. The AWS parts are stubbed (no
    account here) and the endpoint is not there, so the verbs fail after the lookups; the count is what
    is held."""
    from chromactl.aws import preflight
    from chromactl.failover import manifest
    from chromactl.workflows import endpoint

    assert run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks").code == 0
    monkeypatch.setenv("TINY_TOKEN", "t")
    monkeypatch.setattr(preflight, "require_credentials", lambda factory: None)
    monkeypatch.setattr(endpoint, "read_current_token", lambda *a, **k: "t")
    monkeypatch.setattr(manifest, "record_manifest", lambda env, region, target, factory: {
        "collections": [], "total_records": 0, "recorded_at": "now"})
    loads, _ = _spy(monkeypatch)
    res = run_cli(*verb, "--env", "tiny")
    assert "Traceback" not in res.err
    assert loads == Counter({"tiny": 1}), (loads, res.err[-1500:])
