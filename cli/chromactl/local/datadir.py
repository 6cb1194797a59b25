"""The local env's data directory: which paths chromactl may use, mark, chmod and delete.

`[local] data_dir` is the user's choice, so it is checked before anything touches it:
  - never `/`, the home directory, the project checkout, nor an ancestor of any of them
    (`data_dir = "."` would make `destroy --delete-data` delete the checkout, `"~"` the home);
  - the directory is chromactl's when it carries the marker file MARKER (written when chromactl
    created it, or adopted it empty); an existing directory with other files is refused, except a
    Chroma data directory of an older chromactl (chroma.sqlite3 and segment directories only),
    which is adopted and marked;
  - only the data directory itself is chmod-ed (0700) and only it is deleted; nothing above it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.errors import ConfigError, UsageError

MARKER = ".chromactl-data-dir"
_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CHROMA_FILES = {"chroma.sqlite3", "chroma.sqlite3-wal", "chroma.sqlite3-shm", "chroma.sqlite3-journal"}


def resolve(raw: str, root: Path) -> Path:
    """The configured data_dir as an absolute, symlink-free path (relative paths are under the project root)."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = root / path
    return Path(os.path.realpath(path))


def _protected(root: Path) -> dict[Path, str]:
    """Paths a data directory may never be, nor contain: each with what it is."""
    named: dict[Path, str] = {Path("/"): "the filesystem root"}
    home = Path(os.path.realpath(Path.home()))
    checkout = Path(os.path.realpath(root))
    named[home] = "your home directory"
    named[checkout] = "the chromactl checkout"
    return named


def check_path(path: Path, root: Path, config_path: Path) -> None:
    """Refuse `/`, the home directory, the checkout and their ancestors (ConfigError, exit 2)."""
    for protected, what in _protected(root).items():
        if path == protected or path in protected.parents:
            label = what if path == protected else f"a directory holding {what} ({protected})"
            raise ConfigError(
                f"{config_path}: local.data_dir {path} is {label}; chromactl will not use, chmod or delete it.",
                "Point data_dir at a directory of its own, e.g. data_dir = \".chromactl/local\".",
            )


def _looks_like_chroma(path: Path) -> bool:
    entries = list(path.iterdir())
    if not any(e.name == "chroma.sqlite3" for e in entries):
        return False
    return all((e.is_file() and e.name in _CHROMA_FILES) or (e.is_dir() and _SEGMENT_DIR.match(e.name)) for e in entries)


def is_marked(path: Path) -> bool:
    return (path / MARKER).is_file()


def _mark(path: Path, env_name: str) -> None:
    marker = path / MARKER
    marker.write_text(json.dumps({"created_by": "chromactl", "env": env_name,
                                  "marked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}) + "\n", encoding="utf-8")
    os.chmod(marker, 0o600)


def prepare(path: Path, root: Path, config_path: Path, env_name: str) -> None:
    """Make `path` chromactl's data directory (create, or adopt an empty one), mode 0700; refuse a foreign one."""
    check_path(path, root, config_path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{config_path}: local.data_dir {path} exists and is not a directory.", "Point data_dir at a directory.")
    if not path.exists():
        # Parents are created with the default mode: they may be shared (e.g. /tmp) and are never chmod-ed.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700)
        _mark(path, env_name)
    elif not is_marked(path):
        if any(path.iterdir()) and not _looks_like_chroma(path):
            raise ConfigError(
                f"{config_path}: local.data_dir {path} already holds files chromactl did not create.",
                f"Use an empty or new directory for data_dir; chromactl marks its own with {MARKER}.",
            )
        _mark(path, env_name)
    os.chmod(path, 0o700)


@dataclass(frozen=True)
class DataInfo:
    path: Path
    exists: bool
    marked: bool
    bytes: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "exists": self.exists, "marked": self.marked, "bytes": self.bytes, "files": self.files}

    def describe(self) -> str:
        return f"{self.path} ({_human(self.bytes)} in {self.files} files)"


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def inspect(path: Path) -> DataInfo:
    """What deleting `path` would delete: size and file count (bounded walk, no symlinks followed)."""
    if not path.is_dir():
        return DataInfo(path, False, False, 0, 0)
    total = files = 0
    for base, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                continue
            files += 1
    return DataInfo(path, True, is_marked(path), total, files)


def delete(path: Path, root: Path, config_path: Path) -> bool:
    """Delete the data directory itself, only when it is chromactl's (marked). True when something was deleted."""
    check_path(path, root, config_path)
    if not path.exists():
        return False
    if not path.is_dir() or path.is_symlink():
        raise UsageError(f"{path} is not a directory; chromactl deletes only its own data directory.", "Remove it by hand if you mean to.")
    if not is_marked(path):
        raise UsageError(
            f"{path} has no {MARKER} marker: chromactl did not create it and will not delete it.",
            "Delete it by hand if it is really the local env's data.",
        )
    shutil.rmtree(path)
    return True
