"""Build the token-rotation Lambda's zip reproducibly.

Same sources in, same bytes out: entries sorted, every timestamp fixed at
1980-01-01 00:00:00 (the zip epoch), permissions fixed (0644, Unix), and no
compression (stored): deflate output may differ between zlib builds, stored
bytes cannot, and the function is a few kilobytes. Terraform's `filebase64sha256()` of the zip then only
changes when the function's code does, so a plan shows no spurious update.

    python -m chromactl.rotation.package build/token-rotation.zip
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from chromactl.errors import ChromactlError, ConfigError, OperationFailed
from chromactl.resources import ROTATION_FUNCTION, bundled

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def source_dir() -> Path:
    """The rotation function's source: the copy an installed wheel carries, else this checkout's
    functions/token_rotation (see chromactl.resources)."""
    found = bundled(ROTATION_FUNCTION)
    if not (found / "handler.py").is_file():
        raise ConfigError(
            f"The rotation function's source is missing ({found / 'handler.py'}).",
            "Reinstall chromactl (or restore functions/token_rotation in a checkout).",
        )
    return found


def sources(src: Path | None = None) -> list[Path]:
    """The files that go into the zip: the function's Python modules (no tests, no caches)."""
    base = src or source_dir()
    return sorted(p for p in base.glob("*.py") if p.is_file())


def build_zip(dest: Path, src: Path | None = None) -> Path:
    """Write the Lambda zip (handler.py at the root) to `dest`; the same sources give the same bytes."""
    dest = Path(dest)
    files = sources(src)
    if not any(p.name == "handler.py" for p in files):
        raise ConfigError("The rotation function has no handler.py.", "Restore functions/token_rotation/handler.py.")
    tmp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        # A private temporary file, renamed into place: concurrent builds never interleave
        # and a reader never sees a half-written zip.
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        with zipfile.ZipFile(tmp, "w") as zf:
            for path in files:
                info = zipfile.ZipInfo(path.name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3  # Unix, so external_attr means a mode
                info.external_attr = FILE_MODE << 16
                # Normalise line endings so a checkout on Windows builds the same bytes.
                data = path.read_bytes().replace(b"\r\n", b"\n")
                zf.writestr(info, data)
        os.chmod(tmp, 0o644)
        tmp.replace(dest)
        tmp = None
    except OSError as exc:
        raise OperationFailed(f"Cannot write {dest}: {exc.strerror or exc}.", "Check the folder exists and is writable.") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return dest


def base64_sha256(path: Path) -> str:
    """The hash Terraform's filebase64sha256() and Lambda's CodeSha256 report."""
    return base64.b64encode(hashlib.sha256(Path(path).read_bytes()).digest()).decode()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write("usage: python -m chromactl.rotation.package <dest.zip>\n")
        return 2
    try:
        out = build_zip(Path(args[0]))
    except ChromactlError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return exc.exit_code
    sys.stdout.write(f"{out} {base64_sha256(out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
