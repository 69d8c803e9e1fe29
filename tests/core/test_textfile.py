"""core.textfile: rows counted as a spreadsheet does, across chunk boundaries."""

from __future__ import annotations

import csv
import io
import random

import pytest

from core import textfile


def reference_blank_rows(data: bytes) -> list[int]:
    """Rows (header = 1) of the empty records, by Python's csv module."""
    records = csv.reader(io.StringIO(data.decode(), newline=""))
    return [row for row, record in enumerate(records, start=1) if not record]


def reference_row(data: bytes, offset: int) -> int:
    """Row of the record holding byte `offset`: records that end before it, plus one."""
    row, quoted = 1, False
    for byte in data[:offset]:
        if byte == ord('"'):
            quoted = not quoted
        elif byte == ord("\n") and not quoted:
            row += 1
    return row


def random_csv(rng: random.Random) -> bytes:
    parts = ["id,text\r\n" if rng.random() < 0.5 else "id,text\n"]
    for i in range(rng.randint(1, 30)):
        end = rng.choice(["\n", "\r\n"])
        kind = rng.random()
        if kind < 0.25:
            parts.append(end)  # an empty row
        elif kind < 0.5:
            inner = rng.choice(["a\n\nb", "\n", "x\r\n\r\ny", 'say ""hi""\n\n'])
            parts.append(f'{i},"{inner}"{end}')
        else:
            parts.append(f"{i},plain{end}")
    return "".join(parts).encode()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 24])
def test_blank_records_and_rows_match_a_csv_reader_at_any_chunk_size(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(textfile, "CHUNK_BYTES", chunk)
    rng = random.Random(chunk)
    for attempt in range(40):
        data = random_csv(rng)
        path = tmp_path / f"f{attempt}.csv"
        path.write_bytes(data)
        assert textfile.blank_records(path) == reference_blank_rows(data), data
        for offset in range(0, len(data), 5):
            assert textfile.record_row(path, offset) == reference_row(data, offset), data


def test_data_stem():
    assert textfile.data_stem(textfile.Path("orders.csv.gz")) == "orders"
    assert textfile.data_stem(textfile.Path("shop.ZIP")) == "shop"
    assert textfile.data_stem(textfile.Path("sales.csv")) == "sales"


def test_a_known_encoding_name_and_an_unknown_one():
    assert textfile.declared_codec("GBK") == "gb18030"
    assert textfile.declared_codec("latin_1") == "iso8859_1"
    with pytest.raises(ValueError, match="unknown encoding 'nope'"):
        textfile.declared_codec("nope")


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 24])
def test_mixed_line_ends_become_lf_across_chunks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(textfile, "CHUNK_BYTES", chunk)
    data = b'a,b\n1,"x\r\n\r\ny"\r\n2,z\r\r\n3,w\n'
    assert textfile.line_ends(data) == "mixed"
    out = textfile.to_utf8(_write(tmp_path, data), "utf_8", tmp_path / "out.csv", "mixed")
    assert out.read_bytes() == b'a,b\n1,"x\n\ny"\n2,z\r\n3,w\n'


def test_line_ends():
    assert textfile.line_ends(b"a\rb\r") == "cr"
    assert textfile.line_ends(b"a\r\nb\r\n") is None
    assert textfile.line_ends(b"a\nb\n") is None


def _write(tmp_path, data: bytes):
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    return path
