"""Value codecs on the hot path: what the datetime rule and JSON columns cost per value.

    python -m bench.codec_cost [--rounds 5] [--n 100000]

Per value, median ns (min-max over the rounds), of the expressions a
generated decoder or encoder runs for one column:

  datetime decode   before: `datetime.fromisoformat(text)` (naive or aware, as
                    stored); now: `decode_utc_datetime` (aware UTC always)
  datetime encode   before: `value.isoformat(sep=" ")` (any zone, as given);
                    now: `encode_utc_datetime` (canonical UTC text), for a UTC
                    value and for one in +05:30
  JSON decode       `json.loads` alone vs `decode_json`
  JSON encode       `json.dumps` alone vs `encode_json` (sorted keys, and the
                    read-back check that refuses what would not round-trip)
  JSON class        pydantic `model_dump_json` / `model_validate_json` alone vs
                    `encode_json_as` / `decode_json_as` (validate + read-back)

Tables without JSON or datetime columns run none of these: their generated
decoders and encoders are unchanged (`git diff main -- generated/_rows.py`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import timeit
from collections.abc import Callable, Sequence

from generated._runtime import convert

UTC = datetime.timezone.utc
INDIA = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
STORED = "2026-12-05 04:34:34"
AWARE = datetime.datetime(2026, 12, 5, 4, 34, 34, 650617, tzinfo=UTC)
LOCAL = AWARE.astimezone(INDIA)
DOC = {"kind": "signup", "user": {"name": "Ada", "tags": ["a", "b"]}, "n": 42, "ok": True}
DOC_TEXT = json.dumps(DOC)


def _cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    from pydantic import BaseModel

    class User(BaseModel):
        name: str
        tags: list[str]

    class Event(BaseModel):
        kind: str
        user: User
        n: int
        ok: bool

    event = Event.model_validate(DOC)
    event_text = convert.encode_json_as(Event, event, "t", "c", False)
    return [
        (
            "datetime decode",
            lambda: datetime.datetime.fromisoformat(STORED),
            lambda: convert.decode_utc_datetime(STORED, "t", "c"),
        ),
        (
            "datetime encode (UTC)",
            lambda: AWARE.isoformat(sep=" "),
            lambda: convert.encode_utc_datetime(AWARE, "t", "c"),
        ),
        (
            "datetime encode (+05:30)",
            lambda: LOCAL.isoformat(sep=" "),
            lambda: convert.encode_utc_datetime(LOCAL, "t", "c"),
        ),
        (
            "JSON decode",
            lambda: json.loads(DOC_TEXT),
            lambda: convert.decode_json(DOC_TEXT, "t", "c"),
        ),
        (
            "JSON encode",
            lambda: json.dumps(DOC),
            lambda: convert.encode_json(DOC, "t", "c", True),
        ),
        (
            "JSON class decode",
            lambda: Event.model_validate_json(event_text),
            lambda: convert.decode_json_as(Event, event_text, "t", "c"),
        ),
        (
            "JSON class encode",
            lambda: event.model_dump_json(),
            lambda: convert.encode_json_as(Event, event, "t", "c", False),
        ),
    ]


def _ns(call: Callable[[], object], n: int) -> float:
    return timeit.timeit(call, number=n) / n * 1e9


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args(argv)
    print("| value codec | plain (ns) | storegen (ns) | ratio |")
    print("|---|---|---|---|")
    for name, plain, ours in _cases():
        a, b = [], []
        for _ in range(args.rounds):  # alternate, so drift hits both alike
            a.append(_ns(plain, args.n))
            b.append(_ns(ours, args.n))
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f"| {name} | {ma:.0f} ({min(a):.0f}-{max(a):.0f}) "
            f"| {mb:.0f} ({min(b):.0f}-{max(b):.0f}) | {mb / ma:.2f}× |"
        )


if __name__ == "__main__":
    main()
