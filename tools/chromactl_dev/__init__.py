"""Test and benchmark machinery for chromactl, kept out of the wheel (issue 15).

- bench: the measurements behind the checks' claims (scripts/bench_checks.py, tests/checks);
- benchinfo: the header and footer every benchmark prints (date, machine, load average);
- live: the live suite's orchestration (tests/live, `make test-live`).

Importable from `tools/` on the path, as pytest (pyproject's `pythonpath`) and the scripts set it;
tests/scaffold/test_wheel_contents.py checks that the built wheel carries none of it.
"""
