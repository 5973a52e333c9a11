#!/usr/bin/env python3
"""The JSON API against its own OpenAPI document, checked by Schemathesis (property-based:
generated valid and invalid requests to every operation, with a real access token), against
the release binary on loopback with a fresh database. Checks: no 5xx, every status and
content type declared, every response body valid against its schema. Any finding fails.

Schemathesis comes from PyPI into a virtual environment of its own under target/ (made on the
first run). The last line is `api-conformance: passed` or `api-conformance: failed`.
"""

import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import BINARY, ROOT, Http, Server, sign_up  # noqa: E402

SCHEMATHESIS = "schemathesis==4.32.5"
VENV = ROOT / "target" / "schemathesis-venv"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis():
    st = VENV / "bin" / "st"
    if not st.exists():
        print(f"==> installing {SCHEMATHESIS} into {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", SCHEMATHESIS], check=True)
    return st


def main():
    st = schemathesis()
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: build the release binary first (scripts/lib.sh build_release)")
    with tempfile.TemporaryDirectory(prefix="seamless-schemathesis-") as data:
        server = Server(data)
        server.start()
        try:
            _, token = sign_up(server, "schema@example.com")
            # A few tasks, so that listing has pages and bodies to check.
            http = Http(server.base)
            for n in range(3):
                http.request("POST", "/api/v1/todos", {"title": f"Task {n}"},
                             {"Authorization": f"Bearer {token}"})
            command = [
                str(st), "--no-color", "run", f"{server.base}/api/v1/openapi.json",
                "--checks", CHECKS,
                "--header", f"Authorization: Bearer {token}",
                "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "40"),
                "--max-time", os.environ.get("SCHEMATHESIS_SECONDS", "90"),
                # One worker: with two, Hypothesis parses lambdas' source (ast.parse) in both
                # threads at once, and CPython 3.11.7's ast module keeps its recursion depth
                # per interpreter, not per thread: "SystemError: AST constructor recursion depth
                # mismatch" failed a CI run (CPython gh-106905).
                "--workers", "1",
                "--seed", os.environ.get("SCHEMATHESIS_SEED", "20261207"),
            ]
            result = subprocess.run(command, cwd=data, env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
            panics = [line for line in server.log().splitlines() if "panicked" in line]
            ok = result.returncode == 0 and not panics
            for line in panics[:5]:
                print(f"server log: {line}")
        finally:
            server.stop()
    print(f"api-conformance: {'passed' if ok else 'failed'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
