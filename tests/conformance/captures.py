"""Load tests/conformance/device-captures/*.tsv (a copy kept in the repository) and parse each row's expectation.

Rows come back in file order with their 1-based line number (the header is line 1, as in the README),
so a failing test names the exact line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The repository's own copy, so a clone runs alone; ANBANG_DEVICE_CAPTURES points at another set.
CAPTURES = Path(
    os.environ.get("ANBANG_DEVICE_CAPTURES") or Path(__file__).resolve().parent / "device-captures"
)


@dataclass(frozen=True)
class Expectation:
    kind: str  # null | not-null | position | positions | attributes | attribute | frame
    time: str | None = None
    valid: bool | None = None
    lat: float | None = None
    lon: float | None = None
    key: str | None = None
    value: Any = None
    frame_hex: str | None = None
    model: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class Capture:
    line: int
    kind: str  # binary-hex | text | http-request
    payload: str
    expectation: Expectation

    @property
    def raw(self) -> bytes:
        """The payload as bytes (hex decoded, or text with its escapes undone)."""
        if self.kind == "binary-hex":
            return bytes.fromhex(self.payload)
        return unescape_text(self.payload)

    def __str__(self) -> str:
        return f"line {self.line}: {self.payload[:80]}"


def unescape_text(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "rnt\\":
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[nxt]
                i += 2
                continue
            if nxt == "x":
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
        out += ch.encode("utf-8")
        i += 1
    return bytes(out)


_TRAILER = re.compile(r"\s*\[([^\]]*)\]\s*$")


def parse_expectation(text: str) -> Expectation:
    model = note = None
    match = _TRAILER.search(text)
    if match:
        inner, text = match.group(1), text[: match.start()]
        if inner.startswith("model="):
            model = inner[len("model=") :]
        else:
            note = inner  # a free-form remark about the Traccar test harness (e.g. media storage)
    text = text.strip()
    if text in {"null", "not-null", "positions", "attributes", "frame"}:
        return Expectation(kind=text, model=model)
    if text.startswith("frame="):
        return Expectation(kind="frame", frame_hex=text[len("frame=") :].lower(), model=model)
    if text.startswith("attribute "):
        key, _, value = text[len("attribute ") :].partition("=")
        return Expectation(
            kind="attribute",
            key=key,
            value=None if value == "null" else json.loads(value),
            model=model,
            note=note,
        )
    if text.startswith("position"):
        parts = dict(part.split("=", 1) for part in text[len("position") :].split())
        return Expectation(
            kind="position",
            time=parts.get("time"),
            valid={"true": True, "false": False}.get(parts.get("valid", "")),
            lat=float(parts["lat"]) if "lat" in parts else None,
            lon=float(parts["lon"]) if "lon" in parts else None,
            model=model,
            fields=parts,
        )
    raise ValueError(f"unknown expectation {text!r}")


def load(protocol: str) -> list[Capture]:
    """Every row of ``<protocol>.tsv`` with its model carried forward as the README describes."""
    rows = []
    model = None
    path = CAPTURES / f"{protocol}.tsv"
    if not path.exists():
        raise FileNotFoundError(
            f"device captures not found at {path} (tests/conformance/device-captures, or ANBANG_DEVICE_CAPTURES)"
        )
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines, start=1):
        if number == 1 or not line.strip():
            continue
        kind, payload, expectation = line.split("\t")
        parsed = parse_expectation(expectation)
        if parsed.model is not None:
            model = parsed.model or None
        rows.append(Capture(number, kind, payload, Expectation(**{**parsed.__dict__, "model": model})))
    return rows
