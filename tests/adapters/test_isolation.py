"""`adapters/` stands alone: importing every module works with Flask and lti_tool unavailable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("flask", "lti_tool"):
            raise ImportError("adapters must not import " + name)
        return None

sys.meta_path.insert(0, Block())
import adapters, adapters.base, adapters.http, adapters.moodle, adapters.canvas
import adapters.local, adapters.factory
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "lti_tool"))
assert not loaded, loaded
print("ok")
"""


def test_adapters_import_without_flask_or_lti_tool() -> None:
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
