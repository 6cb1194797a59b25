"""The version record on the local env: `up --env local` (a real `chroma run` and smoke) records the Chroma version
that opened the data dir; a chromadb older than that is refused before any server starts, the data untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromactl.config import load_env
from chromactl.day2 import version as V
from chromactl.errors import UsageError
from chromactl.local.server import _chroma_version, data_dir, local_destroy, local_status
from chromactl.output import Output
from chromactl.workflows.up import up

from tests.fixtures.servers import free_port

pytestmark = pytest.mark.timeout(300)


def snapshot(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.rglob("*")) if p.is_file()}


def test_up_records_the_version_and_refuses_an_older_chromadb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    (root / "envs" / "local").mkdir(parents=True)
    (root / "envs" / "local" / "chromactl.toml").write_text(
        f'[env]\nkind = "local"\n\n[local]\nhost = "127.0.0.1"\nport = {free_port()}\ndata_dir = ".chromactl/local"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    env = load_env("local", root)
    running = _chroma_version()
    try:
        res = up(env, None, Output(json=True))
        assert res.smoke is not None and res.smoke.ok and res.chroma_version_record == running
        rec = V.read_record(env)
        assert rec["highest"] == running and rec["history"][-1]["chroma_version"] == running
        assert (data_dir(env) / V.LOCAL_NAME).is_file()
        local_destroy(env, delete_data=False)
        before = snapshot(data_dir(env))
        assert "chroma.sqlite3" in before  # the data dir Chroma wrote
        older = f"{V.version_key(running)[0]}.{max(V.version_key(running)[1] - 1, 0)}.0"
        assert V.version_key(older) < V.version_key(running)
        monkeypatch.setattr("chromactl.local.server._chroma_version", lambda: older)
        with pytest.raises(UsageError) as exc:
            up(env, None, Output(json=True))
        assert exc.value.message.startswith(f"Refusing Chroma {older} on env 'local': its data was opened by Chroma {running}")
        assert exc.value.exit_code == 2 and "Nothing was changed" in (exc.value.hint or "")
        assert not local_status(env).get("running") and snapshot(data_dir(env)) == before
    finally:
        local_destroy(env, delete_data=True)


@pytest.mark.parametrize(("image", "words"), [
    ("chromadb/chroma:1.5.9", "is not pinned by tag and digest"),
    ("chromadb/chroma:latest@sha256:" + "a" * 64, "is not pinned by tag and digest"),
    ("nginx:1.27.0@sha256:" + "b" * 64, "'nginx' is not a Chroma image"),
    ("chromadb/chroma:nightly@sha256:" + "c" * 64, "is not a Chroma release version"),
])
def test_image_must_be_a_pinned_chroma_release(image: str, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        V.parse_image(image)
    assert words in exc.value.message and exc.value.exit_code == 2


def test_image_forms_accepted() -> None:
    for ref, repo in (("chromadb/chroma:1.5.9@sha256:" + "d" * 64, "chromadb/chroma"),
                      ("123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/chroma:1.6.0@sha256:" + "e" * 64,
                       "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/chroma"),
                      ("registry.example.com:5000/chroma:v1.5.10@sha256:" + "f" * 64, "registry.example.com:5000/chroma")):
        img = V.parse_image(ref)
        assert img.repo == repo and V.version_key(img.version) >= (1, 5, 9)


def test_highest_only_goes_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    root = tmp_path / "p"
    (root / "terraform").mkdir(parents=True)
    (root / "envs" / "local").mkdir(parents=True)
    (root / "envs" / "local" / "chromactl.toml").write_text('[env]\nkind = "local"\n')
    env = load_env("local", root)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    data_dir(env).mkdir(parents=True)
    V.record(env, "1.5.10", image=None, region=None)
    assert V.record(env, "1.5.9", image=None, region=None)["highest"] == "1.5.10"  # 10 > 9: compared as numbers
    V.refuse_downgrade(env, "1.5.10", V.read_record(env))
    V.refuse_downgrade(env, "1.6.0", V.read_record(env))
    with pytest.raises(UsageError, match="Refusing Chroma 1.5.9"):
        V.refuse_downgrade(env, "1.5.9", V.read_record(env))


@pytest.mark.parametrize("tag", ["1.6.0-rc1", "1.6.0.dev3", "v1.6.0-beta.2"])
def test_pre_release_tags_are_refused_not_ranked_as_the_release(tag: str) -> None:
    with pytest.raises(UsageError) as exc:
        V.parse_image(f"chromadb/chroma:{tag}@sha256:" + "ab" * 32)
    assert exc.value.exit_code == 2 and "is a pre-release or a build, not a Chroma release" in exc.value.message
    assert V.parse_image("chromadb/chroma:1.6.0@sha256:" + "ab" * 32).version == "1.6.0"


def test_the_local_downgrade_hint_names_what_works_on_local(project: Path) -> None:
    """`chromactl backup list` refuses the local env: its hint is the data directory's copy."""
    with pytest.raises(UsageError) as exc:
        V.refuse_downgrade(load_env("local", project), "1.5.0", {"highest": "1.6.0", "history": []})
    hint = exc.value.hint or ""
    assert "backup list" not in hint and "put back a copy of the data directory made before 1.6.0 opened it" in hint
    with pytest.raises(UsageError) as aws:
        V.refuse_downgrade(load_env("prod", project), "1.5.0", {"highest": "1.6.0", "history": []})
    assert "chromactl backup list --env prod" in (aws.value.hint or "")
