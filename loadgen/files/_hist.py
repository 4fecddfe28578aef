"""HDR histograms of latency in microseconds, and the standard HdrHistogram interval log.

Histograms track 1 µs to 10 min with 3 significant digits; a larger value is recorded as
10 min and counted in ``clamped`` (never dropped). The interval log (``.hlog``) is written
here, not with the ``hdrhistogram`` package's writer, whose base time and zero start are
mishandled; the format is HdrHistogram's log format version 1.3, which the reference Java
``HistogramLogProcessor`` reads (a test runs it). Values are microseconds; the
``Interval_Max`` column is in milliseconds (max value / 1000).

The reader also takes the histogram encodings that older tools wrote, as HdrHistogram's
Java source defines them (a 4-byte big-endian cookie whose bits 4-7 hold the counts' word
size; a compressed form is cookie, length, then a zlib stream of the plain form):

- V2 (HdrHistogram 2.1.x, today's default): ZigZag LEB128 counts; decoded by ``hdrh``;
- V1 (jHiccup 2.0.6, YCSB): 40-byte header (cookie, payload length, normalizing index
  offset, significant digits, lowest, highest, integer-to-double ratio), then the counts as
  plain big-endian words of 2, 4 or 8 bytes;
- V0 (jHiccup 2.0.1): 32-byte header (cookie, significant digits, lowest, highest, total
  count), then plain words to the end of the stream.

Anything else (a DoubleHistogram, a shifted histogram) is refused with a message naming it.
"""

from __future__ import annotations

import base64
import binascii
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hdrh.codec import (
    V2_COMPRESSION_COOKIE_BASE,
    V2_ENCODING_COOKIE_BASE,
    HdrCookieException,
    HdrHistogramSettingsException,
    HdrLengthException,
)
from hdrh.histogram import HdrHistogram

from resultfiles import LatencyFigures

from .._errors import ResultsError

__all__ = [
    "HIGHEST_US",
    "LOWEST_US",
    "EncodingError",
    "Interval",
    "IntervalLogWriter",
    "LatencyHistogram",
    "decode_histogram",
    "read_interval_log",
]

LOWEST_US = 1
HIGHEST_US = 600_000_000
SIGNIFICANT_DIGITS = 3
#: Interval_Max column = max value / this (µs → ms).
MAX_VALUE_UNIT_RATIO = 1000.0
LOG_FORMAT_VERSION = "1.3"
LEGEND = '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"'


def new_hdr() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


_REFERENCE = new_hdr()


def prepare(value_us: int) -> tuple[int, int]:
    """The value a histogram records (clamped to 1 µs..10 min) and its counts index.

    Every histogram here has the same layout, so the index is computed once per request
    and shared by the overall, stage, warm/cold and per-second histograms.
    """
    recorded = HIGHEST_US if value_us > HIGHEST_US else max(value_us, 0)
    return recorded, _REFERENCE._counts_index_for(recorded)


class LatencyHistogram:
    """An HDR histogram of microseconds with exact count, sum, min and max beside it."""

    __slots__ = ("clamped", "count", "hdr", "max_us", "min_us", "sum_us")

    def __init__(self, hdr: HdrHistogram | None = None) -> None:
        self.hdr = hdr if hdr is not None else new_hdr()
        self.count = 0
        self.sum_us = 0
        self.min_us = 0
        self.max_us = 0
        self.clamped = 0

    def record(self, value_us: int) -> None:
        recorded, index = prepare(value_us)
        self.record_prepared(recorded, index, value_us > HIGHEST_US)

    def record_prepared(self, recorded: int, index: int, clamped: bool) -> None:
        """Record a value already passed through :func:`prepare` (one index, many histograms)."""
        hdr = self.hdr
        hdr.counts[index] += 1
        hdr.total_count += 1
        # Plain comparisons: cheaper than min()/max() calls on the per-request path.
        if recorded < hdr.min_value:  # noqa: PLR1730
            hdr.min_value = recorded
        if recorded > hdr.max_value:  # noqa: PLR1730
            hdr.max_value = recorded
        if self.count == 0 or recorded < self.min_us:
            self.min_us = recorded
        if recorded > self.max_us:  # noqa: PLR1730
            self.max_us = recorded
        self.count += 1
        self.sum_us += recorded
        if clamped:
            self.clamped += 1

    def add_hdr(self, other: HdrHistogram) -> None:
        """Add an encoded-and-decoded interval: counts only (its exact sum is not known)."""
        total = other.get_total_count()
        if total:
            self.hdr.add(other)
            low = other.get_min_value()
            high = other.get_max_value()
            self.min_us = low if self.count == 0 else min(self.min_us, low)
            self.max_us = max(self.max_us, high)
            self.count += total
            self.sum_us += round(other.get_mean_value() * total)

    def percentiles_us(self, levels: Iterable[float]) -> dict[float, int]:
        levels = list(levels)
        if self.count == 0:
            return {level: 0 for level in levels}
        found = self.hdr.get_percentile_to_value_dict(levels)
        return {level: int(found.get(level, self.max_us)) for level in levels}

    def summary_ms(self) -> LatencyFigures:
        """count, mean, min, p50, p90, p99, p99_9, max in milliseconds (None when empty)."""
        if self.count == 0:
            return LatencyFigures()
        pct = self.percentiles_us((50.0, 90.0, 99.0, 99.9))
        return LatencyFigures(
            count=self.count,
            mean=round(self.sum_us / self.count / 1000.0, 3),
            min=self.min_us / 1000.0,
            p50=pct[50.0] / 1000.0,
            p90=pct[90.0] / 1000.0,
            p99=pct[99.0] / 1000.0,
            p99_9=pct[99.9] / 1000.0,
            max=self.max_us / 1000.0,
        )


def _format_seconds(value: float) -> str:
    return f"{value:.3f}"


class TextSink(Protocol):
    """Where the log goes: a text file, or anything else that takes text."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class IntervalLogWriter:
    """Writes an HdrHistogram interval log, one line per interval, as the run goes."""

    def __init__(
        self, stream: TextSink, *, start_epoch_s: float, comment: str | None = None
    ) -> None:
        self._stream = stream
        self.start_epoch_s = start_epoch_s
        when = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(start_epoch_s))
        lines = [f"#[Histogram log format version {LOG_FORMAT_VERSION}]"]
        if comment:
            lines.extend(f"#{line}" for line in comment.splitlines())
        # StartTime and BaseTime both at the run's start: interval timestamps are relative.
        # Microsecond digits (readers parse any decimal) keep merged runs aligned exactly.
        lines.append(f"#[StartTime: {start_epoch_s:.6f} (seconds since epoch), {when}]")
        lines.append(f"#[BaseTime: {start_epoch_s:.6f} (seconds since epoch)]")
        lines.append(LEGEND)
        stream.write("\n".join(lines) + "\n")

    def write_interval(
        self, hdr: HdrHistogram, *, start_s: float, length_s: float, tag: str | None = None
    ) -> None:
        """One interval; ``start_s`` is seconds since the log's start."""
        payload = hdr.encode()
        if isinstance(payload, bytes):
            payload = payload.decode("ascii")
        max_ms = hdr.get_max_value() / MAX_VALUE_UNIT_RATIO if hdr.get_total_count() else 0.0
        prefix = f"Tag={tag}," if tag else ""
        self._stream.write(
            f"{prefix}{_format_seconds(start_s)},{_format_seconds(length_s)},{max_ms:.3f},{payload}\n"
        )

    def flush(self) -> None:
        self._stream.flush()


@dataclass(frozen=True, slots=True)
class Interval:
    tag: str | None
    #: Absolute start, seconds since the epoch.
    start_epoch_s: float
    length_s: float
    hdr: HdrHistogram


_V0_PLAIN = 0x1C849308
_V0_COMPRESSED = 0x1C849309
_V1_PLAIN = 0x1C849301
_V1_COMPRESSED = 0x1C849302
_DOUBLE_COOKIES = {0x0C72124E, 0x0C72124F}
_COMPRESSED = {_V0_COMPRESSED: "V0", _V1_COMPRESSED: "V1", V2_COMPRESSION_COOKIE_BASE: "V2"}
_PLAIN = {_V0_PLAIN: "V0", _V1_PLAIN: "V1", V2_ENCODING_COOKIE_BASE: "V2"}
_WORD_FORMATS = {2: "h", 4: "i", 8: "q"}


class EncodingError(ValueError):
    """A histogram payload that cannot be decoded; the message names what was found."""


def _cookie(data: bytes, what: str) -> int:
    if len(data) < 4:
        raise EncodingError(f"{what} is {len(data)} bytes, too short for a histogram cookie")
    return int.from_bytes(data[:4], "big")


def _plain_counts_histogram(data: bytes, version: str, cookie: int) -> HdrHistogram:
    word_size = (cookie & 0xF0) >> 4
    word_format = _WORD_FORMATS.get(word_size)
    if word_format is None:
        raise EncodingError(
            f"{version} histogram with a word size of {word_size} bytes (2, 4 or 8 expected)"
        )
    if version == "V1":
        if len(data) < 40:
            raise EncodingError(f"V1 histogram header is {len(data)} bytes, 40 expected")
        payload_len, offset, digits, lowest, highest, _ratio = struct.unpack(">iiiqqd", data[4:40])
        if offset != 0:
            raise EncodingError(
                f"V1 histogram with a normalizing index offset of {offset} (a "
                "shifted histogram) is not supported"
            )
        payload = data[40 : 40 + max(payload_len, 0)]
    else:
        if len(data) < 32:
            raise EncodingError(f"V0 histogram header is {len(data)} bytes, 32 expected")
        digits, lowest, highest, _total = struct.unpack(">iqqq", data[4:32])
        payload = data[32:]
    try:
        hist = HdrHistogram(lowest, highest, digits)
    except (ValueError, TypeError, HdrHistogramSettingsException) as exc:
        raise EncodingError(
            f"{version} histogram with lowest {lowest}, highest {highest} and "
            f"{digits} significant digits cannot be built: "
            f"{exc or type(exc).__name__}"
        ) from exc
    words = len(payload) // word_size
    if words > hist.counts_len:
        # Trailing zero words beyond the layout are harmless (V0 wrote the whole array).
        extra = payload[hist.counts_len * word_size : words * word_size]
        if extra.strip(b"\0"):
            raise EncodingError(
                f"{version} histogram has {words} counts, more than its layout's {hist.counts_len}"
            )
        words = hist.counts_len
    counts = struct.unpack(f">{words}{word_format}", payload[: words * word_size])
    total = 0
    min_index = max_index = -1
    for index, count in enumerate(counts):
        if count < 0:
            raise EncodingError(
                f"{version} histogram has a negative count ({count}) at index {index}"
            )
        if count:
            hist.counts[index] = count
            total += count
            max_index = index
            if min_index < 0 and index:
                min_index = index
    hist.set_internal_tacking_values(min_index, max_index, total)
    return hist


def decode_histogram(text: str) -> HdrHistogram:
    """One base64 histogram of an interval log, in the V0, V1 or V2 encoding.

    Raises EncodingError naming the encoding found when it cannot be read.
    """
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EncodingError(f"the histogram is not base64 ({exc})") from exc
    cookie = _cookie(data, "the histogram")
    base = cookie & ~0xF0
    if cookie in _DOUBLE_COOKIES:
        raise EncodingError(
            "a DoubleHistogram (floating-point values) is not supported: "
            "only integer-value histograms are read"
        )
    version = _COMPRESSED.get(base)
    if version == "V2":
        try:
            return HdrHistogram.decode(text)
        except (
            ValueError,
            TypeError,
            zlib.error,
            HdrCookieException,
            HdrLengthException,
            HdrHistogramSettingsException,
        ) as exc:
            raise EncodingError(
                f"V2 compressed histogram cannot be decoded: {exc or type(exc).__name__}"
            ) from exc
    if version is not None:
        if len(data) < 8:
            raise EncodingError(f"{version} compressed histogram is {len(data)} bytes, too short")
        length = int.from_bytes(data[4:8], "big")
        try:
            data = zlib.decompressobj().decompress(data[8 : 8 + length])
        except zlib.error as exc:
            raise EncodingError(
                f"{version} compressed histogram: its zlib stream is damaged ({exc})"
            ) from exc
        cookie = _cookie(data, f"the {version} compressed histogram's contents")
        base = cookie & ~0xF0
        if _PLAIN.get(base) != version:
            raise EncodingError(
                f"{version} compressed histogram holds cookie 0x{cookie:08x}, "
                f"not a {version} histogram"
            )
    elif base not in _PLAIN:
        raise EncodingError(
            f"unknown histogram cookie 0x{cookie:08x} (neither HdrHistogram's V0, V1 nor V2)"
        )
    version = _PLAIN[base]
    if version == "V2":
        raise EncodingError(
            "an uncompressed V2 histogram is not supported (interval logs hold compressed ones)"
        )
    return _plain_counts_histogram(data, version, cookie)


def read_interval_log(
    path: Path, *, on_torn: Callable[[int], None] | None = None
) -> Iterator[Interval]:
    """The intervals of an interval log, with absolute start times.

    Follows the format's rules: ``#[StartTime:`` and ``#[BaseTime:`` comments; without a
    base time, timestamps more than a year before the start time are taken as relative.

    With ``on_torn``, an unterminated last line that does not read as an interval (what a run
    killed mid-write leaves) is skipped and its number given to ``on_torn``, as the readers of
    ``requests.jsonl`` and ``timeline.csv`` skip theirs; without it, that line is an error.
    """
    start_s: float | None = None
    base_s: float | None = None
    try:
        with path.open(encoding="ascii") as stream:
            for number, raw in enumerate(stream, start=1):
                line = raw.strip()
                if not line or line.startswith('"StartTimestamp"'):
                    continue
                if line.startswith("#"):
                    if line.startswith("#[StartTime: "):
                        start_s = float(line[len("#[StartTime: ") :].split()[0])
                    elif line.startswith("#[BaseTime: "):
                        base_s = float(line[len("#[BaseTime: ") :].split()[0])
                    continue
                try:
                    tag, stamp_s, length_s, hdr = _interval_line(line, raw, number, path)
                except ResultsError:
                    if on_torn is not None and not raw.endswith("\n"):
                        on_torn(number)
                        return
                    raise
                if start_s is None:
                    start_s = stamp_s
                if base_s is None:
                    base_s = start_s if stamp_s < start_s - 365 * 24 * 3600.0 else 0.0
                yield Interval(tag, stamp_s + base_s, length_s, hdr)
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ResultsError(
            f"{path} is not an HdrHistogram interval log: it is not ASCII text (byte {exc.start})"
        ) from None
    except ValueError as exc:
        # A #[StartTime: or #[BaseTime: comment whose number does not parse.
        raise ResultsError(
            f"{path}: a StartTime or BaseTime comment has no number: {exc or type(exc).__name__}"
        ) from None


def _interval_line(
    line: str, raw: str, number: int, path: Path
) -> tuple[str | None, float, float, HdrHistogram]:
    """One interval line's tag, start, length and histogram (ResultsError naming file:line)."""
    tag = None
    if line.startswith("Tag="):
        tag, _, line = line[4:].partition(",")
    fields = line.split(",")
    if len(fields) != 4:
        raise ResultsError(f"{path}:{number}: not an interval line: {raw.strip()[:60]!r}")
    try:
        stamp_s, length_s = float(fields[0]), float(fields[1])
    except ValueError:
        raise ResultsError(
            f"{path}:{number}: the start and length are not numbers: {raw.strip()[:60]!r}"
        ) from None
    try:
        hdr = decode_histogram(fields[3])
    except EncodingError as exc:
        raise ResultsError(f"{path}:{number}: {exc}") from None
    return tag, stamp_s, length_s, hdr
