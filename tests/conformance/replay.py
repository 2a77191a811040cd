"""Replaying a capture file's decoder rows, and the checks every protocol's row tests share.

The rows are decoded once, in file order, through one SessionState (as Traccar feeds one decoder
instance); each row's test then checks what its replay produced.  A protocol with known-bad
checksum lines passes a lenient decoder: a row strict decoding refuses is retried with it, and the
refusal is kept as ``strict_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from gps_gateway.protocols.common import Decoded, FrameError, SessionState
from tests.conformance.captures import Capture


@dataclass
class Outcome:
    strict_error: FrameError | None = None
    decoded: Decoded | None = None
    error: BaseException | None = None  # anything the decoder should never raise


OutcomeT = TypeVar("OutcomeT", bound=Outcome)
Decode = Callable[[Capture, SessionState], Decoded]


def replay_rows(
    rows: list[Capture],
    decode: Decode,
    lenient: Decode | None = None,
    *,
    outcome: Callable[[], OutcomeT] = Outcome,  # type: ignore[assignment]
    after: Callable[[OutcomeT], None] | None = None,
) -> dict[int, OutcomeT]:
    """Each row's outcome by line; ``after`` runs on every outcome that decoded."""
    session = SessionState()
    outcomes: dict[int, OutcomeT] = {}
    for row in rows:
        result = outcomes[row.line] = outcome()
        try:
            result.decoded = decode(row, session)
        except FrameError as exc:
            if lenient is None:
                result.error = exc
                continue
            result.strict_error = exc
            try:
                result.decoded = lenient(row, session)
            except Exception as lenient_exc:  # recorded, so the row's own test names it
                result.error = lenient_exc
                continue
        except Exception as exc:  # recorded, so the row's own test names it
            result.error = exc
            continue
        if after is not None:
            after(result)
    return outcomes


def decoded_of(row: Capture, outcome: Outcome, known_bad: Collection[int] | None = None) -> Decoded:
    """What the row decoded to, once it raised nothing unexpected (and, given the known-bad lines,
    strict decoding refused it exactly when it is one of them)."""
    assert outcome.error is None, f"{row}: {outcome.error!r}"
    if known_bad is not None:
        if row.line in known_bad:
            assert outcome.strict_error is not None, f"{row}: a known-bad line passed strict decoding"
        else:
            assert outcome.strict_error is None, f"{row}: strict decoding refused it: {outcome.strict_error}"
    assert outcome.decoded is not None
    return outcome.decoded


def strictly_refused(outcomes: Mapping[int, Outcome]) -> set[int]:
    return {line for line, outcome in outcomes.items() if outcome.strict_error is not None}


def check_splitter_row(
    row: Capture, split_frames: Callable[[bytes], Any], unwrap: Callable[[bytes], bytes] = bytes
) -> Any:
    """A splitter row: its line splits to itself, or its first frame is the row's frame
    (``unwrap`` turns that into what our splitter hands on).  Returns the split."""
    split = split_frames(row.raw)
    assert split.frames, row
    if row.expectation.frame_hex is None:
        assert split.frames == [row.raw]
        assert (split.rest, split.junk) == (b"", 0)
    else:
        assert split.frames[0] == unwrap(bytes.fromhex(row.expectation.frame_hex))
    return split
