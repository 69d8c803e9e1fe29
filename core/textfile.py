"""Input files as the importer reads them: unpacked, decoded to UTF-8, rows counted.

- `unpack` turns `orders.csv.gz` or a `.zip` holding one data file into that file.
- `choose_encoding` reads the whole file once: plain ASCII and plausible UTF-8 are taken
  as UTF-8 without more work; otherwise a bounded sample of the non-ASCII lines goes to
  charset-normalizer (restricted to the encodings shops' exports come in) and the
  answer is checked on every byte by `to_utf8`. A file that mixes encodings (one GBK row
  in a UTF-8 file) is refused naming the row, never guessed.
- `to_utf8` writes the UTF-8 copy DuckDB reads (also for old-Mac CR-only line ends).
- `record_row` and `blank_records` count rows as a spreadsheet does: header = row 1, a
  quoted value spanning lines stays in one row, an empty line is a row.

Errors are `Unreadable(reason, row)`; the importer turns them into its own message.
"""

from __future__ import annotations

import codecs
import gzip
import re
import shutil
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 24
SAMPLE_BYTES = 1 << 18  # non-ASCII lines given to the detector
DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")
COMPRESSED_SUFFIXES = (".gz", ".zip")

# What charset-normalizer may answer: the encodings shops' exports come in. GB18030 is
# GBK's superset; cp1252 is what Windows writes for "Latin-1"; latin_1 decodes anything,
# so it wins only when nothing else reads the file plausibly.
CANDIDATES = ("utf_8", "gb18030", "big5", "cp1252", "latin_1")
NAMES = {  # codec name -> what messages and the summary call it
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "gb18030": "GBK (GB18030)",
    "big5": "Big5",
    "cp1252": "Windows-1252 (Latin-1)",
    "latin_1": "Latin-1 (ISO-8859-1)",
    "iso8859_1": "Latin-1 (ISO-8859-1)",
    "utf_16_le": "UTF-16 LE",
    "utf_16_be": "UTF-16 BE",
}
ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030"}  # read as the superset
ENCODING_EXAMPLES = "utf-8, gbk, gb18030, big5, latin-1, cp1252, utf-16"

# Non-ASCII text a real file holds: Latin letters (Western and Central European,
# Romanian, Vietnamese), Greek, Cyrillic, punctuation, currency and other common signs,
# CJK, kana, Hangul, fullwidth forms, emoji. Text decoded in the wrong encoding shows
# other characters (IPA, Latin Extended-B, C1 controls: GBK `食品` read as UTF-8 is `ʳƷ`).
_PLAUSIBLE = re.compile(
    "[\x00-\x7f\u00a0-\u017f\u0218-\u021b\u01a0\u01a1\u01af\u01b0\u0370-\u03ff"
    "\u0400-\u04ff\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf\u2100-\u218f\u2190-\u21ff"
    "\u2460-\u24ff\u2500-\u27bf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\ufe30-\ufe4f\ufeff\uff00-\uffef\U0001f300-\U0001faff]*"
)
# What only a wrong decoding shows in valid UTF-8: C1 controls, Latin Extended-B (but the
# Romanian and Vietnamese letters), IPA and modifier letters, private use. Text in any
# real script (Arabic, Thai, Devanagari, ...) passes; GBK `食品` read as UTF-8 (`ʳƷ`) does not.
_SUSPICIOUS = re.compile(
    "[\x80-\x9f\u0180-\u019f\u01a2-\u01ae\u01b1-\u0217\u021c-\u02ff\u03d0-\u03ff"
    "\u0460-\u048f\ue000-\uf8ff]"
)
_NON_ASCII_LINE = re.compile(rb"[^\n\r]*[\x80-\xff][^\n\r]*")


class Unreadable(Exception):
    """The file cannot be read as it is: `reason`, and the `row` when one is to blame."""

    def __init__(self, reason: str, row: int | None = None):
        self.reason, self.row = reason, row
        super().__init__(reason)


def encoding_name(codec: str) -> str:
    """What to call a codec in messages: 'gb18030' -> 'GBK (GB18030)'."""
    name = codecs.lookup(codec).name.replace("-", "_")
    return NAMES.get(name, name.upper())


def declared_codec(name: str) -> str:
    """The codec for an encoding the user names; ValueError naming known ones if unknown."""
    key = name.strip().lower().replace("_", "-")
    try:
        codec = codecs.lookup(ALIASES.get(key, key))
    except LookupError:
        raise ValueError(
            f"unknown encoding {name!r}: use a name such as {ENCODING_EXAMPLES}"
        ) from None
    if not codec._is_text_encoding:  # e.g. 'base64', 'zlib'
        raise ValueError(f"{name!r} is not a text encoding: use e.g. {ENCODING_EXAMPLES}")
    return codec.name.replace("-", "_")


# --------------------------------------------------------------------------- unpacking


def data_stem(path: Path) -> str:
    """The file's name without its type: 'orders.csv.gz' -> 'orders', 'shop.zip' -> 'shop'."""
    name = path.name
    for suffix in COMPRESSED_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return Path(name).stem


def unpack(path: Path, tmp: Path, member: str | None = None) -> Path:
    """The data file to read: `path` itself, or its content unpacked into `tmp`.

    `.gz`: the inner type comes from the name without `.gz`. `.zip`: its one data file
    (CSV, Excel or Parquet; folders and macOS `__MACOSX` entries ignored), or `member`.
    """
    suffix = path.suffix.lower()
    if suffix == ".gz":
        out = tmp / path.name[: -len(".gz")]
        if not Path(out.name).suffix:
            raise Unreadable(f"{path.name} has no file type inside: name it e.g. orders.csv.gz")
        try:
            with gzip.open(path, "rb") as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK_BYTES)
        except (OSError, EOFError, zlib.error) as e:
            raise Unreadable(f"not a readable gzip file: {e}") from None
        return out
    if suffix == ".zip":
        return _unzip(path, tmp, member)
    if member is not None:
        raise Unreadable(f"a file inside was named ({member!r}) but {path.name} is not a .zip")
    return path


def _unzip(path: Path, tmp: Path, member: str | None) -> Path:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise Unreadable(f"not a readable zip file: {e}") from None
    with archive:
        files = [
            i
            for i in archive.infolist()
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            if not Path(i.filename).name.startswith(".")
        ]
        data = [i for i in files if Path(i.filename).suffix.lower() in DATA_SUFFIXES]
        if member is not None:
            chosen = [i for i in files if member in (i.filename, Path(i.filename).name)]
            if not chosen:
                listed = ", ".join(i.filename for i in files) or "nothing"
                raise Unreadable(f"{path.name} holds no file {member!r}; it holds {listed}")
        else:
            chosen = data
            if not data:
                listed = ", ".join(i.filename for i in files) or "nothing"
                raise Unreadable(
                    f"{path.name} holds no CSV, Excel or Parquet file (it holds {listed})"
                )
            if len(data) > 1:
                listed = ", ".join(i.filename for i in data)
                raise Unreadable(
                    f"{path.name} holds several data files ({listed}): say which one to "
                    "import (--member NAME)"
                )
        info = chosen[0]
        out = tmp / Path(info.filename).name
        try:
            with archive.open(info) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK_BYTES)
        except RuntimeError as e:  # encrypted
            raise Unreadable(f"cannot unpack {info.filename} from {path.name}: {e}") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
            raise Unreadable(f"{path.name} is damaged: {e}") from None
        return out


# --------------------------------------------------------------------------- encodings


@dataclass
class Scan:
    """What one pass over the bytes found."""

    ascii: bool = True
    utf8_error: int | None = None  # byte offset of the first invalid UTF-8
    nul: int | None = None  # byte offset of the first NUL byte
    valid_sample: bytes = b""  # non-ASCII lines that are valid UTF-8
    invalid_sample: bytes = b""  # lines that are not
    cr_only: bool = False  # old Mac line ends


def scan(path: Path) -> Scan:
    """One pass: ASCII or not, first invalid UTF-8, first NUL, a sample of non-ASCII lines."""
    found = Scan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    valid: list[bytes] = []
    invalid: list[bytes] = []
    sampled = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            if done == 0:
                head = chunk[:65536]
                found.cr_only = b"\r" in head and b"\n" not in head
                chunk_view = chunk[3:] if chunk.startswith(codecs.BOM_UTF8) else chunk
            else:
                chunk_view = chunk
            if found.nul is None and b"\x00" in chunk:
                found.nul = done + chunk.index(b"\x00")
            if not chunk_view.isascii():
                found.ascii = False
                if found.utf8_error is None:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as e:
                        found.utf8_error = done + e.start
                        line = _line_at(chunk, e.start)
                        invalid.append(line)
                        sampled += len(line)
                if sampled < SAMPLE_BYTES:
                    for m in _NON_ASCII_LINE.finditer(chunk):
                        cut = m.end() == len(chunk) == CHUNK_BYTES  # more follows
                        if (m.start() == 0 and done) or cut:
                            continue  # a line cut by the chunk's edges
                        line = m.group()
                        (valid if _is_utf8(line) else invalid).append(line)
                        sampled += len(line)
                        if sampled >= SAMPLE_BYTES:
                            break
            done += len(chunk)
    if found.utf8_error is None and not found.ascii:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            found.utf8_error = max(done - 1, 0)
    found.valid_sample = b"\n".join(valid)
    found.invalid_sample = b"\n".join(invalid)
    return found


def _line_at(chunk: bytes, at: int) -> bytes:
    start = max(chunk.rfind(b"\n", 0, at), chunk.rfind(b"\r", 0, at)) + 1
    ends = [i for i in (chunk.find(b"\n", at), chunk.find(b"\r", at)) if i >= 0]
    return chunk[start : min(ends) if ends else len(chunk)]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def plausible(text: str) -> bool:
    """Whether every character is one real text holds (see _PLAUSIBLE)."""
    return _PLAUSIBLE.fullmatch(text) is not None


def suspicious_utf8(text: str) -> bool:
    """Whether text decoded as UTF-8 holds characters only a wrong decoding gives."""
    return _SUSPICIOUS.search(text) is not None


def _decodes(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _ranked(sample: bytes, candidates: tuple[str, ...]) -> list[str]:
    """charset-normalizer's readings of `sample` among `candidates`, least chaos first (a
    tie goes to the earlier candidate)."""
    from charset_normalizer import from_bytes  # here: only non-UTF-8 files pay for it

    ranked = sorted(
        (round(match.chaos, 2), candidates.index(match.encoding), match.encoding)
        for match in from_bytes(sample, cp_isolation=list(candidates))
        if match.encoding in candidates
    )
    return [codec for _, _, codec in ranked]


def _not_a_word_letter(c: str) -> bool:
    """A symbol, or kana: Chinese text read as Big5 shows kana (Big5's extension rows),
    read as GBK it does not."""
    return not unicodedata.category(c).startswith("L") or "\u3040" <= c <= "\u30ff"


def _detect(sample: bytes, candidates: tuple[str, ...]) -> str | None:
    """The candidate that reads `sample` best, or None when none reads it plausibly.

    Best = least charset-normalizer mess (its measure of how garbled a text looks) plus the
    share of non-ASCII characters that are not letters (GBK names read as Windows-1252 are
    `¶Å¾²`); a tie goes to the earlier candidate (GBK before Big5: tiny samples cannot tell
    them apart, and `--encoding big5` can).
    """
    from charset_normalizer.md import mess_ratio  # here: only non-UTF-8 files pay for it

    scored = []
    for index, codec in enumerate(candidates):
        text = _decodes(sample, codec)
        if text is None or not plausible(text):
            continue
        wide = [c for c in text if ord(c) > 127]
        symbols = sum(_not_a_word_letter(c) for c in wide)
        score = mess_ratio(text) + symbols / max(len(wide), 1)
        scored.append((round(score, 2), index, codec))
    return min(scored)[2] if scored else None


def choose_encoding(path: Path, found: Scan) -> str:
    """The codec that reads the whole file, or Unreadable naming the row that no single
    encoding reads (a file mixing UTF-8 and GBK rows)."""
    if found.ascii:
        return "utf_8"
    if found.utf8_error is None:
        if not suspicious_utf8(found.valid_sample.decode("utf-8")):
            return "utf_8"
        return _detect(found.valid_sample, CANDIDATES) or "utf_8"
    row = record_row(path, found.utf8_error, b"\r" if found.cr_only else b"\n")
    with path.open("rb") as f:
        bom = f.read(3) == codecs.BOM_UTF8
    utf8_rows = found.valid_sample and not suspicious_utf8(found.valid_sample.decode("utf-8"))
    if bom or (utf8_rows and _ranked(found.valid_sample, CANDIDATES)[:1] == ["utf_8"]):
        raise Unreadable(
            "the text is not UTF-8 on this row while the rest of the file is: the file "
            "mixes encodings (a row pasted from a GBK or Latin-1 file?); save the whole "
            "file as UTF-8, or give the encoding (--encoding)",
            row,
        )
    sample = found.valid_sample + b"\n" + found.invalid_sample
    codec = _detect(sample, CANDIDATES[1:])
    if codec is None:
        raise Unreadable(
            "the text is neither UTF-8 nor an encoding StarTier recognises on this row; "
            f"give the encoding (--encoding, e.g. {ENCODING_EXAMPLES})",
            row,
        )
    return codec


def line_ends(head: bytes) -> str | None:
    """'cr' for old-Mac CR-only line ends, 'mixed' for CRLF and LF in one file (DuckDB
    reads neither), else None."""
    if b"\r" in head and b"\n" not in head:
        return "cr"
    if b"\r\n" in head and re.search(rb"(?<!\r)\n", head):
        return "mixed"
    return None


def to_utf8(path: Path, codec: str, out: Path, ends: str | None = None) -> Path:
    """`path` decoded with `codec` into a UTF-8 file `out` (no BOM; `ends` 'cr' or 'mixed'
    (see `line_ends`) are made LF, inside quoted values too).

    Unreadable naming the row where `codec` fails or where a NUL character is.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    done = 0  # bytes of `path` read
    written = 0  # bytes of `out` written
    newline = b"\r" if ends == "cr" else b"\n"
    held = ""  # a CR at a chunk's end, when its LF may begin the next one
    with path.open("rb") as src, out.open("wb") as dst:
        while True:
            chunk = src.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                if codec.startswith("utf_16"):
                    dst.close()
                    row = record_row(out, written)
                else:
                    row = record_row(path, done + e.start, newline)
                raise Unreadable(
                    f"the text on this row is not {encoding_name(codec)}: the file mixes "
                    "encodings, or give the right one (--encoding)",
                    row,
                ) from None
            if written == 0:
                text = text.lstrip("\ufeff")
            if ends == "cr":
                text = text.replace("\r", "\n")
            elif ends == "mixed":
                text = (held + text).replace("\r\n", "\n")
                held = "\r" if chunk and text.endswith("\r") else ""
                text = text[: len(text) - len(held)]
            data = text.encode("utf-8")
            if "\x00" in text:
                dst.write(data[: data.index(b"\x00")])
                dst.close()
                raise Unreadable(nul_reason(), record_row(out, written + data.index(b"\x00")))
            dst.write(data)
            written += len(data)
            if not chunk:
                return out
            done += len(chunk)


def nul_reason() -> str:
    return (
        "this row holds a NUL byte (binary data in a text file, or a damaged export): "
        "remove it or export the file again"
    )


# --------------------------------------------------------------------------- rows


_EVENT = {b"\n": re.compile(rb'["\n]'), b"\r": re.compile(rb'["\r]')}


def record_row(path: Path, offset: int, newline: bytes = b"\n") -> int:
    """The spreadsheet row (header = 1) of the record holding byte `offset`.

    Newlines inside double quotes do not end a record. Works on any encoding in which
    `"` and the newline are single ASCII bytes (UTF-8, GBK, Big5, Latin-1).
    """
    row, quoted, done = 1, False, 0
    event = _EVENT[newline]
    with path.open("rb") as f:
        while done < offset:
            chunk = f.read(min(CHUNK_BYTES, offset - done))
            if not chunk:
                break
            if not quoted and b'"' not in chunk:
                row += chunk.count(newline)
            else:
                for m in event.finditer(chunk):
                    if m.group() == b'"':
                        quoted = not quoted
                    elif not quoted:
                        row += 1
            done += len(chunk)
    return row


_NEXT_EMPTY = re.compile(rb"\n(?=\r?\n)")


def _ends_empty(chunk: bytes, p: int, since: int, before: bytes) -> bool:
    """Whether the newline at chunk offset p ends an empty record (or one of only CR);
    `since` is the chunk's start minus the offset of the previous record's newline."""
    gap = since + p
    prev = chunk[p - 1 : p] if p else before
    return gap == 1 or (gap == 2 and prev == b"\r")


def blank_records(path: Path) -> list[int]:
    """Rows (header = 1) of the empty records of a UTF-8 file (DuckDB skips but counts them).

    An empty line inside a quoted value is part of that value, not an empty row. Chunks
    without quotes are scanned with a compiled pattern; only run when rows are needed.
    """
    found: list[int] = []
    row = 1  # the row the next record-ending newline ends
    quoted = False
    last_end = -1  # offset of the last record-ending newline (the header is not empty)
    before = b""  # the byte before the current chunk
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            if not quoted and b'"' not in chunk:
                first = chunk.find(b"\n")
                if first < 0:
                    pass
                else:
                    if _ends_empty(chunk, first, done - last_end, before):
                        found.append(row)
                    seen, at = row, first
                    for m in _NEXT_EMPTY.finditer(chunk, first):
                        seen += chunk.count(b"\n", at, m.start())
                        at = m.start()
                        found.append(seen + 1)
                    row += chunk.count(b"\n")
                    last_end = done + chunk.rfind(b"\n")
            else:
                for m in _EVENT[b"\n"].finditer(chunk):
                    if m.group() == b'"':
                        quoted = not quoted
                    elif not quoted:
                        if _ends_empty(chunk, m.start(), done - last_end, before):
                            found.append(row)
                        row += 1
                        last_end = done + m.start()
            before = chunk[-1:]
            done += len(chunk)
    return found
