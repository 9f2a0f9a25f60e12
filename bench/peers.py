"""Time the peer extractors on a list of transcripts (run inside bench/.peers-venv).

Usage: ``python peers.py FILELIST`` (one path a line); prints one JSON object per peer:
name, version, seconds, bytes, mentions, or the reason it could not run.

How each peer is fed, so that it does its job on its intended input:

* quantulum3 ``parser.parse`` on each line (it returns every quantity with its unit);
* price-parser ``Price.fromstring`` on each sentence (it reads one price per string, the way
  it is meant for a price tag);
* Duckling (``pyduckling-native-phihos``, Haskell Duckling through a Rust binding)
  ``parse_text`` on each line, dimensions amount-of-money and number.
"""

from __future__ import annotations

import json
import re
import sys
import time
from importlib import metadata

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def _lines(texts: list[str]) -> list[str]:
    return [ln for t in texts for ln in t.splitlines() if ln.strip()]


def quantulum(texts: list[str]) -> int:
    from quantulum3 import parser

    return sum(len(parser.parse(ln)) for ln in _lines(texts))


def price_parser(texts: list[str]) -> int:
    from price_parser import Price

    n = 0
    for ln in _lines(texts):
        for s in SENTENCE.split(ln):
            if Price.fromstring(s).amount is not None:
                n += 1
    return n


def duckling(texts: list[str]) -> int:
    import duckling as d

    d.init()
    tz = d.load_time_zones("/usr/share/zoneinfo")
    ctx = d.Context(d.parse_ref_time(tz, "UTC", 1_700_000_000),
                    d.default_locale_lang(d.parse_lang("EN")))
    dims = d.parse_dimensions(["amount-of-money", "number"])
    return sum(len(json.loads(d.parse_text(ln, ctx, dims, False))) for ln in _lines(texts))


PEERS = [("quantulum3", "quantulum3", quantulum), ("price-parser", "price-parser", price_parser),
         ("duckling", "pyduckling-native-phihos", duckling)]


def main(filelist: str) -> None:
    with open(filelist, encoding="utf-8") as fh:
        paths = [ln.strip() for ln in fh if ln.strip()]
    texts = []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            texts.append(fh.read())
    size = sum(len(t.encode("utf-8")) for t in texts)
    warm = texts[:1]
    for name, dist, fn in PEERS:
        row = {"name": name, "package": dist, "version": _version(dist), "bytes": size}
        try:
            fn(warm)  # imports, models and caches loaded before timing
            t0 = time.perf_counter()
            row["mentions"] = fn(texts)
            row["seconds"] = time.perf_counter() - t0
        except Exception as exc:  # a peer that does not run is reported, not fatal
            row["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
