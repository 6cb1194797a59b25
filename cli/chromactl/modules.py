"""The Terraform stack module a scaffolded env pins, and what changed between versions.

`chromactl init` writes an env whose root calls the stack module by a versioned
source: `<repository>//terraform/stack?ref=v<version>`, where the version is this
package's and the repository is ours unless `--module-source` or
CHROMACTL_MODULE_SOURCE names a fork or an internal mirror. Terraform's module
source syntax (a git URL, `//` for a subdirectory, `?ref=` for a tag) is
documented at https://developer.hashicorp.com/terraform/language/modules/sources#generic-git-repository
and #modules-in-package-sub-directories.

Later, `doctor` (and `plan`) compare the env's pinned ref with this tool's
version and quote the changelog entries in between, instead of letting an old
module fail inside Terraform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chromactl import __version__, settings
from chromactl.errors import ConfigError
from chromactl.resources import CHANGELOG, bundled

# Where the modules are published: [project.urls] Repository in pyproject.toml, the one place a release
# is tagged (docs/release.md); a fork or mirror sets CHROMACTL_MODULE_SOURCE or --module-source.
PROJECT_REPOSITORY = "https://github.com/chromactl/chromactl"
DEFAULT_MODULE_REPOSITORY = f"git::{PROJECT_REPOSITORY}.git"
STACK_SUBDIR = "terraform/stack"
MODULE_SOURCE_ENV = "CHROMACTL_MODULE_SOURCE"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_SOURCE_LINE = re.compile(r'^\s*source\s*=\s*"([^"]+)"', re.MULTILINE)
_MODULE_STACK = re.compile(r'module\s+"stack"\s*\{(?P<body>.*?)\n\}', re.DOTALL)
_CHANGELOG_HEADING = re.compile(r"^## \[?v?(\d+\.\d+\.\d+)\]?.*$", re.MULTILINE)


def module_ref(version: str | None = None) -> str:
    """The git tag the modules of `version` (default: this chromactl's) are published under."""
    return f"v{version or __version__}"


def module_repository() -> str:
    return settings.current().module_source or DEFAULT_MODULE_REPOSITORY


# scp-like `user@host:path` (git's own short form for SSH), which Terraform reads as git only for github.com
_SCP_LIKE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>[^\s]+)$")
_GIT_SCHEMES = ("https://", "ssh://", "file://")
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def git_repository(given: str, version: str | None = None) -> str:
    """`given` as a Terraform git source (`git::` + https://, ssh:// or file:// URL), or a ConfigError.

    Only a git source pins anything with `?ref=`: Terraform reads a bare `https://` address as an
    HTTP archive to download (the ref then goes to the web server), a path as a local directory
    (no version at all), and an scp-like `git@host:path` as git only for github.com
    (https://developer.hashicorp.com/terraform/language/modules/sources, "Generic Git Repository",
    "HTTP URLs" and "Local Paths"). So a bare https:// or ssh:// URL gets the `git::` prefix, an
    scp-like address becomes `git::ssh://user@host/path`, and anything else is refused.
    """
    repo = given.strip()
    example = f"for example {DEFAULT_MODULE_REPOSITORY}, git::ssh://git@git.example.internal/platform/chromactl.git or git::file:///srv/mirrors/chromactl"
    hint = f"Give a git repository: {example}; chromactl adds //{STACK_SUBDIR}?ref={module_ref(version)}."
    if not repo or any(ch.isspace() for ch in repo):
        raise ConfigError(f"Module repository {given!r} is empty or holds whitespace.", hint)
    bare = repo.removeprefix("git::")
    if bare.endswith(_ARCHIVES):
        raise ConfigError(f"Module repository {given!r} is an archive, not a git repository: ?ref= would pin nothing.", hint)
    if bare.startswith(_GIT_SCHEMES):
        if len(bare.split("://", 1)[1].strip("/")) == 0:
            raise ConfigError(f"Module repository {given!r} names no repository.", hint)
        return "git::" + bare
    scp = _SCP_LIKE.match(bare)
    if scp:
        return f"git::ssh://{scp.group('user')}@{scp.group('host')}/{scp.group('path')}"
    if bare.startswith("http://"):
        raise ConfigError(f"Module repository {given!r} is plain HTTP: Terraform would fetch the modules unencrypted.", hint)
    if bare.startswith(("/", "./", "../", "~")) or "://" not in bare:
        raise ConfigError(
            f"Module repository {given!r} is not a git URL: Terraform would read it as a local path or an archive, "
            "and ?ref= would pin nothing.", hint)
    raise ConfigError(f"Module repository {given!r} is not a git URL Terraform can clone (https://, ssh:// or file://).", hint)


def stack_source(repository: str | None = None, version: str | None = None) -> str:
    """The stack module's source for a scaffolded root: git repository, subdirectory, pinned ref."""
    repo = (repository if repository is not None else module_repository()).rstrip("/")
    if "?" in repo or "//" in repo.split("::", 1)[-1].split("://", 1)[-1]:
        raise ConfigError(
            f"Module repository {repo!r} already names a subdirectory or a ref.",
            f"Give the repository alone (for example {DEFAULT_MODULE_REPOSITORY}); chromactl adds //{STACK_SUBDIR}?ref={module_ref(version)}.",
        )
    return f"{git_repository(repo, version)}//{STACK_SUBDIR}?ref={module_ref(version)}"


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(text.strip())
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


@dataclass(frozen=True)
class Pin:
    """What an env root says about the stack module it calls."""

    source: str
    ref: str | None  # the ?ref= value, None for a local path (a checkout's own envs)

    @property
    def version(self) -> tuple[int, int, int] | None:
        return parse_version(self.ref) if self.ref else None


def env_pin(env_dir: Path) -> Pin | None:
    """The stack module's source in env_dir/main.tf, or None if the root calls no module "stack"."""
    main = Path(env_dir) / "main.tf"
    try:
        text = main.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    block = _MODULE_STACK.search(text)
    if not block:
        return None
    src = _SOURCE_LINE.search(block.group("body"))
    if not src:
        return None
    source = src.group(1)
    ref = source.split("?ref=", 1)[1].split("&", 1)[0] if "?ref=" in source else None
    return Pin(source, ref)


@dataclass(frozen=True)
class PinStatus:
    state: str  # "local", "current", "older", "newer", "unversioned"
    message: str
    changes: tuple[str, ...] = ()


def changelog_between(text: str, older: tuple[int, int, int], newer: tuple[int, int, int]) -> list[str]:
    """The changelog sections for versions in (older, newer], newest first, as 'version: first line' strings."""
    out: list[str] = []
    heads = list(_CHANGELOG_HEADING.finditer(text))
    for i, head in enumerate(heads):
        v = parse_version(head.group(1))
        if v is None or not (older < v <= newer):
            continue
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        bullets = [ln.strip()[2:].strip() for ln in text[head.end():end].splitlines() if ln.strip().startswith("- ")]
        out.append(f"{head.group(1)}: " + ("; ".join(bullets) if bullets else "(no notes)"))
    return out


def pin_status(env_dir: Path, changelog: str | None = None) -> PinStatus | None:
    """How env_dir's pinned stack module compares with this chromactl; None when it calls none."""
    pin = env_pin(env_dir)
    if pin is None:
        return None
    if pin.ref is None:
        return PinStatus("local", f"stack module from {pin.source} (a local path, not pinned)")
    have = pin.version
    tool = parse_version(__version__)
    assert tool is not None
    if have is None:
        return PinStatus("unversioned", f"stack module pinned at ref {pin.ref!r}, not a version chromactl can compare")
    if have == tool:
        return PinStatus("current", f"stack module {pin.ref} matches chromactl {__version__}")
    if have > tool:
        return PinStatus(
            "newer",
            f"the env pins stack module {pin.ref}, newer than this chromactl {__version__}: upgrade chromactl "
            "(uv tool upgrade chromactl / pipx upgrade chromactl)",
        )
    if changelog is None:
        try:
            changelog = bundled(CHANGELOG).read_text(encoding="utf-8")
        except Exception:  # noqa: BLE001 - the notes are a courtesy; the comparison stands without them
            changelog = ""
    changes = tuple(changelog_between(changelog, have, tool))
    return PinStatus(
        "older",
        f"the env pins stack module {pin.ref}, older than chromactl {__version__}: set ?ref={module_ref()} in "
        f"{Path(env_dir) / 'main.tf'} and plan to see what changes",
        changes,
    )


def pin_warning(env_dir: Path) -> str | None:
    """One warning for plan/up when the env pins another module version than this chromactl, else None."""
    status = pin_status(env_dir)
    if status is None or status.state not in ("older", "newer"):
        return None
    if status.changes:
        return status.message + ". Changed since: " + " | ".join(status.changes)
    return status.message


# What `terraform init` prints when it cannot fetch a module's source (Terraform's
# internal/initwd/module_install.go: "Failed to download module", "Module not found",
# "Unreadable module directory"; go-getter's git errors name the source).
_FETCH_FAILED = re.compile(r"Failed to download module|Module not found|Unreadable module directory|Could not download module")


def module_fetch_error(env_dir: Path, text: str, detail: str | None = None) -> ConfigError | None:
    """A sentence and a hint when `terraform init` failed fetching the env's stack module, else None."""
    if not _FETCH_FAILED.search(text):
        return None
    pin = env_pin(env_dir)
    source = pin.source if pin else "its module source"
    published = pin is not None and pin.source.startswith(DEFAULT_MODULE_REPOSITORY + "//")
    why = (f"the modules of chromactl {pin.ref} are not published there yet (or this machine cannot reach it)"
           if published and pin is not None else "the repository, the subdirectory or the ref is not there, or not reachable from here")
    return ConfigError(
        f"terraform init could not fetch the stack module from {source}: {why}.",
        f"Point the env at a repository that holds terraform/stack tagged {module_ref()} (a fork or internal mirror): "
        f"edit the source in {Path(env_dir) / 'main.tf'}, or scaffold with --module-source REPO / {MODULE_SOURCE_ENV}=REPO.",
        detail=detail,
    )
