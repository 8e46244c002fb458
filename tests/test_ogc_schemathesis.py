"""schemathesis against ``/ogc/api`` on the live test server: every operation, positive and
negative examples, all checks, no failure. Bounded and seeded so it runs in about a minute."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)
MAX_EXAMPLES = 25
# ``positive_data_acceptance`` is left out: it expects every schema-valid value to be a 2xx,
# but OpenAPI cannot state the rules between values (a bbox's minimum below its maximum and
# inside the range of ``bbox-crs``, a CQL2 filter's grammar, property names per collection).
# What it would find about ``f`` (a value offered but refused) test_every_offered_f_is_served
# in tests/test_ogc_openapi.py checks for every operation.


CHECKS = (
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "missing_required_header", "unsupported_method", "allow_header_conformance",
    "use_after_free", "ensure_resource_availability", "ignored_auth",
    "object_level_authorization",
)  # fmt: skip


def test_schemathesis_finds_nothing(
    live_server: str, ogc_layers: list[str], tmp_path: Path
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is part of the dev dependencies"
    args = [
        st, "run", f"{live_server}/ogc/api",
        # every check `--checks all` runs except two: positive_data_acceptance (inter-parameter
        # rules cannot be expressed in OpenAPI) and max_response_time, which `all` switches on
        # with a 10 s limit — a timing assertion, which tests here never make
        "--checks", ",".join(CHECKS),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers", "1",
        "--request-timeout", "30",
        "--phases", "examples,coverage,fuzzing",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=840
    )
    output = result.stdout + result.stderr
    print(output[-3000:])
    assert result.returncode == 0, output[-20000:]
