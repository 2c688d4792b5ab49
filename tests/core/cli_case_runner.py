"""Runs many command lines in one process, for the hostile-input tests' mutants.

    python tests/core/cli_case_runner.py CASES.json

CASES.json holds a list of argument lists for ``wholebody_core.cli.main``. For each
case the runner prints ``{"started": i}`` and then ``{"case": i, "exit_code": ..,
"stderr": ..}`` on stdout (one JSON object per line), with file descriptor 2
redirected per case so that the decoders' own messages are seen too. Running the
cases in one child process keeps them fast (one import, no process per case) while a
crash or a hang of a decoder stays out of pytest: the parent sees which case was
started last.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile


def run_case(main, argv: list[str]) -> tuple[int, str]:
    """``main(argv)`` with stderr (Python's and the C libraries') captured."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            try:
                code = main(argv)
            except SystemExit as exit_request:
                code = exit_request.code
            sys.stderr.flush()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        return code, capture.read().decode("utf-8", "replace")


def main() -> None:
    import faulthandler
    import logging

    from wholebody_core import cli

    faulthandler.enable(file=sys.__stdout__)   # a segfault's Python stack reaches the parent
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with open(sys.argv[1], encoding="utf-8") as file:
        cases = json.load(file)
    for index, argv in enumerate(cases):
        print(json.dumps({"started": index}), flush=True)
        code, stderr = run_case(cli.main, argv)
        print(json.dumps({"case": index, "exit_code": code, "stderr": stderr}), flush=True)


if __name__ == "__main__":
    main()
