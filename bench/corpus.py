"""Build a benchmark corpus from the sample transcripts of ``examples/``, with varied figures.

Each generated file is one sample transcript of a new company (the sample's company renamed,
eight calls per company, as in a real corpus of many companies), whose amounts are all scaled
by one factor per company and written with the same format and number of decimals ("$192
million" may become "$253 million", "$1.91" "$2.52"): the figures vary from file to file but a
company's calls stay as consistent with each other as the sample's were, so the checks see the
findings the samples were written to have, not noise. Percentages, years, dates and counts are
left alone. The generator is seeded: the corpus is the same on every machine. Files go to
``<out>/corpus-<MB>mb/``; a corpus already built with the same parameters is reused.
"""

from __future__ import annotations

import json
import random
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VERSION = 3

# a figure: digits with thousands separators and decimals, after a currency sign or before a
# scale word / percent sign (the part that is varied is the ``num`` group)
NUMBER = r"(?:\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?)"
FIGURE = re.compile(
    rf"""(?P<pre>[$€£]\s?)(?P<num>{NUMBER})                                # $192, € 1,234.5
       | (?P<num2>{NUMBER})(?=\s?(?:%|percent|million|billion|cents))      # 12%, 2.8 million
    """, re.VERBOSE)


def _scale(num: str, factor: Decimal) -> str:
    """'1,234.5' times 1.37 -> '1,691.3': same decimals, same thousands separators."""
    plain = num.replace(",", "")
    places = len(plain.split(".")[1]) if "." in plain else 0
    value = (Decimal(plain) * factor).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    if value == 0:
        value = Decimal(1).scaleb(-places)
    return f"{value:,.{places}f}" if "," in num else f"{value:.{places}f}"


def varied(text: str, factor: Decimal) -> str:
    """Every amount of ``text`` (not percentages) scaled by ``factor``."""
    def sub(m: re.Match) -> str:
        if m.group("num") is not None:
            return m.group("pre") + _scale(m.group("num"), factor)
        after = text[m.end():m.end() + 9].lstrip()
        if after.startswith(("%", "percent")):
            return m.group("num2")
        return _scale(m.group("num2"), factor)
    return FIGURE.sub(sub, text)


CALLS_PER_COMPANY = 8  # a corpus of many companies with a few calls each, as in real use


def _suffix(n: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'ba' ...: letters, so that names stay names."""
    out = ""
    while True:
        out = chr(ord("a") + n % 26) + out
        n //= 26
        if not n:
            return out


def renamed(text: str, brand: str, company: int) -> str:
    """The sample's company renamed (Pellucid -> Pellucidqk): one company per few calls."""
    new = brand + _suffix(company)
    return (text.replace(brand.capitalize(), new.capitalize())
            .replace(brand.upper(), new.upper()).replace(brand, new))


def examples() -> list[tuple[str, str, str]]:
    """The sample transcripts: (stem, text, brand), the brand being the company's name as it
    is written in the file name (``ex01_pellucid_q3`` -> ``pellucid``)."""
    return [(p.stem, p.read_text(encoding="utf-8"), p.stem.split("_")[1])
            for p in sorted(EXAMPLES.glob("*.txt"))]


def build(out: Path, megabytes: int, seed: int = 20240611,
          samples: list[tuple[str, str, str]] | None = None, name: str = "corpus"
          ) -> tuple[Path, int, int]:
    """The folder of a corpus of at least ``megabytes`` MB built from ``samples`` ((stem,
    text, brand) triples, default :func:`examples`): (folder, files, bytes)."""
    folder = out / f"{name}-{megabytes}mb"
    marker = folder / "corpus.json"
    samples = samples if samples is not None else examples()
    params = {"version": VERSION, "megabytes": megabytes, "seed": seed,
              "samples": [stem for stem, _, _ in samples]}
    if marker.exists():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if info.get("params") == params:
            return folder, info["files"], info["bytes"]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    total = files = 0
    factor = Decimal(1)
    while total < target:
        stem, text, brand = samples[files % len(samples)]
        company = files // (CALLS_PER_COMPANY * len(samples))
        if files % (CALLS_PER_COMPANY * len(samples)) == 0:
            factor = Decimal(rng.randint(50, 200)) / 100
        data = varied(renamed(text, brand, company), factor).encode("utf-8")
        # spread over sub-folders: no folder holds tens of thousands of files
        sub = folder / f"{files // 1000:04d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{stem}_{files:07d}.txt").write_bytes(data)
        total += len(data)
        files += 1
    marker.write_text(json.dumps({"params": params, "files": files, "bytes": total}),
                      encoding="utf-8")
    return folder, files, total


def sample(folder: Path, megabytes: float) -> list[Path]:
    """The first files of a corpus (in name order) adding up to about ``megabytes`` MB."""
    out, total = [], 0
    for p in sorted(folder.rglob("*.txt")):
        out.append(p)
        total += p.stat().st_size
        if total >= megabytes * 1_000_000:
            break
    return out
