"""Bad (and good) spreadsheet files, made in code at test time: no binaries are committed.

Every builder returns bytes. `FILE_LEVEL` lists the files any import must refuse as a whole,
whatever its columns, with a fragment of the Chinese message that names the problem; the
paper-ballot import can reuse it with its own header (`header=` is the first row written
where a file needs a plausible one).

Hand-made packages (`package`) hold the minimum a workbook needs, so a test controls every
byte of the sheet XML: a lying <dimension>, a row at 1,048,576, a member whose declared size
is false.
"""

import struct
import zipfile
import zlib
from io import BytesIO
from xml.sax.saxutils import escape

from openpyxl import Workbook

MB = 1024 * 1024
DEFAULT_HEADER = ["单位代码", "单位名称", "简称", "单位类别", "分组", "排序", "启用"]
DEFAULT_ROW = ["D1", "渝中区", "渝中", "区县(自治县)", "主城区", 1, "是"]

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    "{sheets}"
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


# --- workbooks made with openpyxl --------------------------------------------------------


def workbook(rows, header=DEFAULT_HEADER, *, title="被测评单位", more_sheets=(), first=None, merge=None):
    """An ordinary workbook: `header`, then `rows`, on a sheet called `title`.

    more_sheets: (title, rows) written after it; first: (title, rows) written before it.
    merge: a range such as "D2:D3" to merge on the main sheet.
    """
    book = Workbook()
    book.remove(book.active)
    if first:
        extra = book.create_sheet(first[0])
        for row in first[1]:
            extra.append(row)
    sheet = book.create_sheet(title)
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    for name, extra_rows in more_sheets:
        extra = book.create_sheet(name)
        for row in extra_rows:
            extra.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- hand-made packages ------------------------------------------------------------------


def cell_xml(ref, value):
    if value is None:
        return ""  # an empty cell is no element at all
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def header_xml(header):
    from openpyxl.utils import get_column_letter

    cells = "".join(cell_xml(f"{get_column_letter(i)}1", h) for i, h in enumerate(header, start=1))
    return f'<row r="1">{cells}</row>'


def sheet_xml(rows_xml, dimension=None, tail=""):
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{NS}">{dim}<sheetData>{rows_xml}</sheetData>{tail}</worksheet>'


def package(sheets, *, compression=zipfile.ZIP_DEFLATED, main=XLSX_MAIN, extra=None, stream=None):
    """A minimal .xlsx: sheets is [(title, sheet XML text)].

    stream: {sheet index: iterable of byte chunks} written in place of that sheet's XML, for
    members too big to hold in memory while building them.
    """
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
            for i in range(1, len(sheets) + 1)
        )
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main, sheets=overrides))
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        entries = "".join(
            f'<sheet name="{escape(title)}" sheetId="{i}" r:id="rId{i}"/>' for i, (title, _) in enumerate(sheets, 1)
        )
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<workbook xmlns="{NS}" xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>')
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        zf.writestr("xl/styles.xml", STYLES)
        for i, (_, xml) in enumerate(sheets, 1):
            name = f"xl/worksheets/sheet{i}.xml"
            if stream and i - 1 in stream:
                with zf.open(name, "w", force_zip64=False) as member:
                    for chunk in stream[i - 1]:
                        member.write(chunk)
            else:
                zf.writestr(name, xml)
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return out.getvalue()


def set_declared_size(data, member, size):
    """Rewrite the uncompressed size that the zip directory declares for one member."""
    data = bytearray(data)
    name = member.encode()
    # Central directory entry: signature, then the uncompressed size at offset 24.
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:
        name_len = struct.unpack("<H", data[start + 28 : start + 30])[0]
        if bytes(data[start + 46 : start + 46 + name_len]) == name:
            data[start + 24 : start + 28] = struct.pack("<I", size)
            local = struct.unpack("<I", data[start + 42 : start + 46])[0]
            data[local + 22 : local + 26] = struct.pack("<I", size)
            return bytes(data)
        start += 4
    raise KeyError(member)


# --- the corpus --------------------------------------------------------------------------


def png():
    """A real 1x1 PNG image."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def csv(header=DEFAULT_HEADER, encoding="utf-8-sig"):
    lines = [",".join(header), ",".join(str(v) for v in DEFAULT_ROW)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def ole(stream_names=("Workbook",)):
    """An OLE2 compound file header followed by directory names, as an .xls holds them."""
    body = b"".join(name.encode("utf-16-le") + b"\x00\x00" for name in ("Root Entry", *stream_names))
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + body + b"\x00" * 1024


def empty_zip():
    out = BytesIO()
    zipfile.ZipFile(out, "w").close()
    return out.getvalue()


def plain_zip():
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("说明.txt", "不是工作簿")
    return out.getvalue()


def word_package():
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            main="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", sheets=""))
        zf.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def not_a_zip():
    return b"PK\x03\x04" + bytes(range(256)) * 8


def dimension_bomb(header=DEFAULT_HEADER):
    """The issue's 5 KB file: a sheet claiming A1:XFD1048576, one cell in the last row."""
    rows = header_xml(header) + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    return package([("被测评单位", sheet_xml(rows, dimension="A1:XFD1048576"))])


def lying_dimension(header=DEFAULT_HEADER, rows=(DEFAULT_ROW,)):
    """Good data under a dimension that claims the whole sheet: must read normally."""
    from openpyxl.utils import get_column_letter

    body = header_xml(header)
    for r, row in enumerate(rows, start=2):
        body += f'<row r="{r}">' + "".join(
            cell_xml(f"{get_column_letter(c)}{r}", v) for c, v in enumerate(row, 1)) + "</row>"
    return package([("被测评单位", sheet_xml(body, dimension="A1:XFD1048576"))])


def _row_stream(header, rows, row_xml):
    yield sheet_xml("", dimension=None).split("<sheetData>")[0].encode() + b"<sheetData>"
    yield header_xml(header).encode()
    batch = []
    for r in range(2, rows + 2):
        batch.append(row_xml(r))
        if len(batch) == 5000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def zip_bomb(header=DEFAULT_HEADER, megabytes=80):
    """Highly compressible sheet XML whose (honestly) declared size passes the limit."""
    row = "<row><c><v>1</v></c></row>"  # rows and cells numbered by position: compresses ~1000x
    stream = {0: _row_stream(header, megabytes * MB // len(row), lambda r: row)}
    return package([("被测评单位", "")], stream=stream)


def lying_zip_bomb(header=DEFAULT_HEADER, megabytes=80, declared=4096):
    """The same, but the directory declares the sheet `declared` bytes: reading must stop
    there (a checksum error), or at the row limit if that comes first."""
    data = zip_bomb(header, megabytes)
    return set_declared_size(data, "xl/worksheets/sheet1.xml", declared)


def many_cells(header=DEFAULT_HEADER, rows=10_000, columns=61):
    """Past the cell limit inside the row and column limits; varied digits keep the
    compression ratio ordinary."""
    import random

    rng = random.Random(14)
    line = lambda r: "<row>" + "".join(f"<c><v>{rng.randrange(10**6)}</v></c>" for _ in range(columns)) + "</row>"  # noqa: E731
    return package([("被测评单位", "")], stream={0: _row_stream(header, rows, line)})


def many_rows(header=DEFAULT_HEADER, rows=40_000):
    """Stored (uncompressed) rows past the row limit, within every size and ratio limit."""
    stream = {0: _row_stream(header, rows, lambda r: f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>D{r}</t></is></c></row>')}
    return package([("被测评单位", "")], stream=stream, compression=zipfile.ZIP_STORED)


def wide(header=DEFAULT_HEADER, columns=10_000):
    """A header row of 10,000 columns."""
    names = list(header) + [f"列{i}" for i in range(len(header) + 1, columns + 1)]
    return package([("被测评单位", sheet_xml(header_xml(names)))])


def doctype():
    """A sheet with an internal DTD (the billion-laughs shape, one level deep)."""
    xml = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
           f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>'
           "</sheetData></worksheet>")
    return package([("被测评单位", xml)])


def huge_cell(header=DEFAULT_HEADER):
    body = header_xml(header) + f'<row r="2">{cell_xml("A2", "x" * 40_000)}</row>'
    return package([("被测评单位", sheet_xml(body))])


def many_members(count=1500):
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(count):
            zf.writestr(f"xl/media/{i}.bin", b"")
    return out.getvalue()


# (name, builder, fragment of the message). Builders take no argument, or `header`.
FILE_LEVEL = [
    ("zero_bytes", lambda: b"", "文件是空的"),
    ("png_renamed", png, "图片（PNG）"),
    ("csv_renamed", csv, "CSV 或文本文件"),
    ("csv_gbk_renamed", lambda: csv(encoding="gb18030"), "CSV 或文本文件"),
    ("xls_ole", ole, "Excel 97-2003"),
    ("password_protected", lambda: ole(("EncryptionInfo", "EncryptedPackage")), "打开密码"),
    ("html_renamed", lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
    ("not_a_zip", not_a_zip, "文件已损坏"),
    ("empty_zip", empty_zip, "普通的 zip 压缩包"),
    ("zip_without_workbook", plain_zip, "普通的 zip 压缩包"),
    ("word_document", word_package, "Word 文档"),
    ("dimension_bomb", dimension_bomb, "第 1,048,576 行有内容"),
    ("zip_bomb", zip_bomb, "MB 的上限"),
    ("ratio_bomb", lambda: zip_bomb(megabytes=40), "压缩比异常"),
    ("lying_zip_bomb", lying_zip_bomb, "文件已损坏"),
    ("lying_zip_bomb_rows", lambda: lying_zip_bomb(declared=3 * MB), "表格最多 30,000 行"),
    ("cells_past_limit", many_cells, "超过 600,000 个"),
    ("rows_past_limit", many_rows, "表格最多 30,000 行"),
    ("ten_thousand_columns", wide, "表格最多 100 列"),
    ("doctype", doctype, "DTD"),
    ("huge_cell", huge_cell, "超过 32,767 个字符"),
    ("many_members", many_members, "个部件"),
]
