"""The decoders' layout as the gateway relies on it: every protocol module imports nothing but the standard
library and its own kind (no Django, no backend, no sessions), and the JT/T 808 and GT06 packages show
their codec's own functions through their ``__init__``."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import gps_gateway.protocols
from gps_gateway.protocols import gt06, jt808
from gps_gateway.protocols.gt06 import codec as gt06_codec
from gps_gateway.protocols.jt808 import codec as jt808_codec

PURITY_PROBE = """
import pkgutil, sys
import gps_gateway.protocols as protocols
for module in pkgutil.walk_packages(protocols.__path__, protocols.__name__ + "."):
    __import__(module.name)
outside = sorted(
    name for name in sys.modules
    if name.split(".")[0] in {"django", "backend", "notifications"}
    or (name.startswith("gps_gateway.") and not name.startswith("gps_gateway.protocols"))
)
print("\\n".join(outside))
"""


def protocol_modules() -> list[str]:
    prefix = gps_gateway.protocols.__name__ + "."
    return [module.name for module in pkgutil.walk_packages(gps_gateway.protocols.__path__, prefix)]


def test_every_protocol_module_imports_nothing_of_django_the_backend_or_the_rest_of_the_gateway() -> None:
    # A fresh interpreter: this one has Django and the whole product loaded already.
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", PURITY_PROBE], cwd=root, capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == []
    assert "gps_gateway.protocols.jt808.frames" in protocol_modules()
    assert "gps_gateway.protocols.gt06.frames" in protocol_modules()


def test_the_jt808_package_shows_its_codec_functions_and_nothing_else() -> None:
    assert jt808.__all__ == jt808_codec.__all__
    for name in jt808.__all__:
        assert getattr(jt808, name) is getattr(jt808_codec, name), name


def test_the_gt06_package_shows_its_codec_functions_and_nothing_else() -> None:
    assert gt06.__all__ == gt06_codec.__all__
    for name in gt06.__all__:
        assert getattr(gt06, name) is getattr(gt06_codec, name), name
