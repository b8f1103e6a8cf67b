"""The corpus files are what they claim to be (so the guards they exercise are real), and
honest files near the limits still read in bounded memory.

The refusals themselves, with their messages, status and memory, are tested through the
unit import screen in tests/units/test_import_corpus.py.
"""

import tracemalloc
import zipfile
import zlib
from io import BytesIO

import pytest

from sheets import limits
from sheets.reader import Column, SheetRefused, read_table

from . import corpus

SHEET = "xl/worksheets/sheet1.xml"


def member(data, name=SHEET):
    return zipfile.ZipFile(BytesIO(data)).getinfo(name)


def actual_size(data, name=SHEET):
    """Inflate a member's raw bytes ourselves, counting, whatever its header declares."""
    info = member(data, name)
    name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    inflater = zlib.decompressobj(-15)  # raw deflate, as a zip member holds it
    total = len(inflater.decompress(data[start:start + info.compress_size], 1 << 20))
    while inflater.unconsumed_tail:
        total += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
    return total


def test_the_dimension_bomb_is_tiny_and_claims_the_whole_sheet():
    data = corpus.dimension_bomb()
    xml = zipfile.ZipFile(BytesIO(data)).read(SHEET).decode()
    assert len(data) < 5_000
    assert '<dimension ref="A1:XFD1048576"/>' in xml and '<row r="1048576">' in xml


def test_the_zip_bombs_declare_or_hide_their_size():
    bomb = corpus.zip_bomb()
    assert len(bomb) < 1024 * 1024
    assert member(bomb).file_size > limits.MAX_UNCOMPRESSED
    lying = corpus.lying_zip_bomb()
    assert member(lying).file_size == 4096
    assert actual_size(lying) > limits.MAX_UNCOMPRESSED  # what it really holds
    ratio = corpus.zip_bomb(megabytes=40)
    info = member(ratio)
    assert info.file_size < limits.MAX_UNCOMPRESSED and info.file_size / info.compress_size > limits.MAX_RATIO


def test_reading_stops_at_the_row_limit_not_at_the_declared_size():
    # Declared 3 MB (about 120,000 rows of this XML): the scan stops at row 30,001.
    with pytest.raises(SheetRefused) as exc:
        read_table(corpus.lying_zip_bomb(declared=3 * corpus.MB), [Column("单位代码")])
    assert "第 30,001 行有内容" in exc.value.messages[0]


def test_many_rows_and_many_cells_pass_the_size_and_ratio_checks():
    for data in (corpus.many_rows(), corpus.many_cells()):
        info = member(data)
        assert len(data) < limits.current().max_upload_bytes
        assert info.file_size < limits.MAX_UNCOMPRESSED
        assert info.file_size <= max(info.compress_size, 1) * limits.MAX_RATIO


def test_an_honest_file_of_1500_rows_reads_in_bounded_memory():
    rows = [[f"D{i}", f"某某单位{i}", "", "区县", f"分组{i % 7}", i, "是"] for i in range(1500)]
    data = corpus.workbook(rows)
    columns = [Column(h, required=False) if h in ("简称", "启用") else Column(h, kind="int" if h == "排序" else "text")
               for h in corpus.DEFAULT_HEADER]
    tracemalloc.start()
    try:
        table = read_table(data, columns)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(table.rows) == 1500 and table.ok
    assert peak < 10 * 1024 * 1024  # docs/spreadsheets.md: about 2 KB per row of 20 columns
