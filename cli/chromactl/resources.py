"""Files chromactl needs at run time that live outside the Python package in a checkout.

The rotation function's source (zipped for Lambda), the env root every AWS env
shares (scaffolded by `chromactl init`), the example tfvars and the changelog.
In a checkout (an editable install) they are read where they are; a built wheel
carries copies under `chromactl/_bundle/` (pyproject.toml's force-include), so an
installed tool (`uv tool install`, `pipx install`) needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

from chromactl.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_DIR = PACKAGE_DIR / "_bundle"
# cli/chromactl -> the checkout's root, when the package runs from a checkout.
CHECKOUT_DIR = PACKAGE_DIR.parents[1]

ROTATION_FUNCTION = "functions/token_rotation"
ENV_ROOT = "envs/_root"
CHANGELOG = "CHANGELOG.md"
EXAMPLE_TFVARS = {"sandbox": "envs/dev/terraform.tfvars", "production": "envs/prod/terraform.tfvars"}


def bundled(rel: str) -> Path:
    """The packaged copy of `rel` if this is an installed wheel, else the checkout's file."""
    for base in (BUNDLE_DIR, CHECKOUT_DIR):
        path = base / rel
        if path.exists():
            return path
    raise ConfigError(
        f"chromactl's own file {rel} is missing from this installation ({BUNDLE_DIR / rel}).",
        "Reinstall chromactl from a wheel built by `uv build` (or run it from a chromactl checkout).",
    )


def is_installed_wheel() -> bool:
    """True when running from a built wheel (the bundle exists), not from a checkout."""
    return BUNDLE_DIR.is_dir()
