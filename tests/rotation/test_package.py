"""The Lambda zip: same bytes every build, handler.py at the root, imports with stdlib + boto3 only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from chromactl.rotation.package import FIXED_TIME, base64_sha256, build_zip, main

ROOT = Path(__file__).resolve().parents[2]


def test_zip_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    a = build_zip(tmp_path / "a" / "token-rotation.zip")
    os.utime(ROOT / "functions" / "token_rotation" / "handler.py")  # a newer mtime must not matter
    b = build_zip(tmp_path / "b" / "token-rotation.zip")
    assert a.read_bytes() == b.read_bytes()
    assert base64_sha256(a) == base64_sha256(b)


def test_zip_layout_timestamps_and_modes(tmp_path: Path) -> None:
    out = build_zip(tmp_path / "token-rotation.zip")
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert "handler.py" in names and names == sorted(names)
        assert all("/" not in n for n in names), "everything sits at the zip's root"
        for info in infos:
            assert info.date_time == FIXED_TIME
            assert info.create_system == 3 and (info.external_attr >> 16) == 0o100644
        assert zf.read("handler.py") == (ROOT / "functions/token_rotation/handler.py").read_bytes()


def test_sources_with_crlf_build_the_same_bytes(tmp_path: Path) -> None:
    src_lf, src_crlf = tmp_path / "lf", tmp_path / "crlf"
    for d in (src_lf, src_crlf):
        d.mkdir()
    text = (ROOT / "functions/token_rotation/handler.py").read_bytes()
    (src_lf / "handler.py").write_bytes(text)
    (src_crlf / "handler.py").write_bytes(text.replace(b"\n", b"\r\n"))
    assert build_zip(tmp_path / "1.zip", src_lf).read_bytes() == build_zip(tmp_path / "2.zip", src_crlf).read_bytes()


# Run inside a fresh interpreter with only the zip on the path: import the handler
# (through zipimport, as a zip on sys.path) and list every top-level module loaded.
_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
import handler
assert callable(handler.lambda_handler)
loaded = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps({"file": handler.__file__, "loaded": loaded}))
"""
# boto3 and what it brings along in the Lambda runtime.
BOTO = {"boto3", "botocore", "jmespath", "dateutil", "urllib3", "s3transfer", "six", "certifi", "charset_normalizer", "idna"}


def test_handler_imports_with_stdlib_and_boto3_only(tmp_path: Path) -> None:
    out = build_zip(tmp_path / "token-rotation.zip")
    proc = subprocess.run([sys.executable, "-I", "-c", _PROBE, str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["file"].startswith(str(out))
    extra = [m for m in report["loaded"] if m not in sys.stdlib_module_names and m not in BOTO and m not in ("handler", "__mp_main__")]
    assert extra == [], f"the handler imports modules the Lambda runtime lacks: {extra}"


def test_cli_entry_writes_zip_and_prints_hash(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "build" / "token-rotation.zip"
    assert main([str(dest)]) == 0
    line = capsys.readouterr().out.strip()
    assert line == f"{dest} {base64_sha256(dest)}"
    assert main([]) == 2
    assert main(["--help"]) == 2


def test_module_runs_as_documented(tmp_path: Path) -> None:
    dest = tmp_path / "token-rotation.zip"
    proc = subprocess.run([sys.executable, "-m", "chromactl.rotation.package", str(dest)], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert zipfile.ZipFile(dest).namelist() == ["handler.py"]


def test_unwritable_destination_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main([str(blocker / "token-rotation.zip")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write") and "Traceback" not in err


def test_concurrent_builds_never_interleave(tmp_path: Path) -> None:
    import threading

    dest = tmp_path / "token-rotation.zip"
    expected = build_zip(tmp_path / "reference.zip").read_bytes()
    errors: list[BaseException] = []

    def build() -> None:
        try:
            for _ in range(5):
                build_zip(dest)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert dest.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.zip", "token-rotation.zip"], "a temporary file was left behind"
