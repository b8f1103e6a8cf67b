"""Checks an uploaded file is a real .xlsx, and a harmless one, before openpyxl parses it.

In order: what kind of file it is (by its first bytes, not its name); the zip directory
(member count, declared uncompressed sizes, compression ratios, encryption); the parts a
workbook needs; then every XML part openpyxl will parse is streamed once through expat,
counting as it goes and stopping at the first limit passed. Only then does openpyxl open it.

Every refusal is a `SheetRefused` carrying plain Chinese sentences.
"""

import posixpath
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
import re
import struct
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from xml.parsers import expat

from openpyxl.utils import get_column_letter

from credibility.text import clauses

from .text import shorten

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384

SAVE_AS = gettext_lazy("请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再上传。")
COPY_TO_NEW = gettext_lazy("请把数据复制到一个新建的工作簿，保存后再上传。")

WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
OTHER_OFFICE_TYPES = {
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": gettext_lazy("Excel 二进制工作簿（.xlsb）"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": gettext_lazy("Word 文档（.docx）"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": gettext_lazy("PowerPoint 演示文稿（.pptx）"),
}
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS_SUFFIX = "/officeDocument"
WORKSHEET_REL = "/worksheet"


class SheetRefused(Exception):
    """A file, or a sheet in it, that is not read at all. `messages`: Chinese sentences."""

    def __init__(self, messages):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(clauses(self.messages))


@dataclass
class SheetInfo:
    name: str
    path: str  # the part inside the archive, e.g. xl/worksheets/sheet1.xml


@dataclass
class SheetScan:
    """What the expat pass over the chosen sheet saw."""

    rows: int = 0  # highest row number holding a cell with content
    cells: int = 0  # cell elements
    merged: list = field(default_factory=list)  # (min_col, min_row, max_col, max_row, "A1:B2")


# --- what kind of file is it -------------------------------------------------------------

_IMAGES = [
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _utf16(text):
    return text.encode("utf-16-le")


def sniff(data):
    """Refuse, naming it, anything that is not a zip archive."""
    if not data:
        raise SheetRefused(_("文件是空的（0 字节）。请重新选择要上传的 .xlsx 文件。"))
    head = data[:16]
    for magic, kind in _IMAGES:
        if head.startswith(magic):
            raise SheetRefused(_("这是一张图片（%(kind)s），不是 Excel 表格。请上传 .xlsx 格式的工作簿。") % {"kind": kind})
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP" or data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise SheetRefused(_("这是一张图片，不是 Excel 表格。请上传 .xlsx 格式的工作簿。"))
    if head.startswith(b"%PDF"):
        raise SheetRefused(_("这是 PDF 文件，不是 Excel 表格。请上传 .xlsx 格式的工作簿。"))
    if head.startswith(OLE_MAGIC):
        if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
            raise SheetRefused(
                _("文件设置了打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → "
                "用密码进行加密，清空密码），保存后再上传。")
            )
        if _utf16("WordDocument") in data:
            raise SheetRefused(_("这是旧版 Word 文档（.doc），不是 Excel 表格。"))
        raise SheetRefused(_("这是旧版 Excel 97-2003 文件（.xls）。%(save_as)s") % {"save_as": SAVE_AS})
    if head.startswith(ZIP_MAGIC):
        return
    if b"\x00" not in data[:4096]:
        text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text.startswith((b"<html", b"<!doctype html", b"<table", b"<head", b"<meta")):
            raise SheetRefused(_("这是网页（HTML）文件，只是扩展名像 Excel。%(save_as)s") % {"save_as": SAVE_AS})
        if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:8192]:
            raise SheetRefused(_("这是 Excel 2003 XML 表格，不是 .xlsx。%(save_as)s") % {"save_as": SAVE_AS})
        if _looks_like_text(data[:4096]):
            raise SheetRefused(_("这是 CSV 或文本文件，不是 Excel 工作簿。%(save_as)s") % {"save_as": SAVE_AS})
    raise SheetRefused(_("无法识别这个文件：它不是 .xlsx 工作簿（也许只是改了扩展名）。请上传 Excel 保存的 .xlsx 文件。"))


def _looks_like_text(sample):
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(sample) - 4:
                continue
        return True
    return False


# --- the zip directory -------------------------------------------------------------------

_EOCD = b"PK\x05\x06"


def _declared_member_count(data):
    """The entry count the end-of-directory record declares, read before zipfile lists them."""
    start = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if start < 0 or len(data) - start < 22:
        return None
    return struct.unpack("<H", data[start + 10 : start + 12])[0]


def open_zip(data, limits):
    """The archive, once its directory is within the limits."""
    declared = _declared_member_count(data)
    if declared is not None and declared > limits.max_members:
        raise SheetRefused(_("文件内部包含 %(declared)s 个部件，超过上限 %(max_members)s 个。%(copy_to_new)s") % {"declared": format(declared, ","), "max_members": format(limits.max_members, ","), "copy_to_new": COPY_TO_NEW})
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise SheetRefused(_("文件已损坏，或不是 .xlsx 工作簿（无法按 .xlsx 的压缩格式打开）。请重新保存后再上传。"))
    if len(members) > limits.max_members:
        raise SheetRefused(_("文件内部包含 %(members)s 个部件，超过上限 %(max_members)s 个。%(copy_to_new)s") % {"members": format(len(members), ","), "max_members": format(limits.max_members, ","), "copy_to_new": COPY_TO_NEW})
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise SheetRefused(_("文件内部经过加密，无法读取。请取消密码保护后另存再上传。"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SheetRefused(_("文件使用了 Excel 不用的压缩方式，无法读取。%(save_as)s") % {"save_as": SAVE_AS})
        total += info.file_size
        if info.file_size > limits.max_uncompressed or total > limits.max_uncompressed:
            raise SheetRefused(
                _("文件解压后超过 %(count)s MB 的上限（“%(name)s”一项就声明 %(count2)s MB）。这样的文件通常是异常或恶意构造的。%(copy_to_new)s") % {"count": limits.max_uncompressed // (1024 * 1024), "name": shorten(info.filename, 40), "count2": format(info.file_size / (1024 * 1024), ",.0f"), "copy_to_new": COPY_TO_NEW}
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise SheetRefused(
                _("文件的压缩比异常（“%(name)s”压缩了 %(ratio)s 倍，上限 %(max_ratio)s 倍）。这样的文件通常是异常或恶意构造的。%(copy_to_new)s") % {"name": shorten(info.filename, 40), "ratio": format(ratio, ",.0f"), "max_ratio": format(limits.max_ratio, ",.0f"), "copy_to_new": COPY_TO_NEW}
            )
    return archive


# --- XML parts ---------------------------------------------------------------------------


def _parser():
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse_dtd(*args):
        raise SheetRefused(_("文件内部含有 DTD 声明（<!DOCTYPE>），Excel 从不写入它；出于安全考虑不予读取。%(copy_to_new)s")
                           % {"copy_to_new": COPY_TO_NEW})

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def _feed(archive, name, parser):
    """Stream one member through a parser; a malformed part is a refusal."""
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(256 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError:
        raise SheetRefused(_("文件内部的“%(name)s”不是有效的 XML，文件可能已损坏。%(copy_to_new)s") % {"name": shorten(name, 40), "copy_to_new": COPY_TO_NEW})
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise SheetRefused(_("文件已损坏：“%(name)s”无法解压（校验不符）。请重新保存后再上传。") % {"name": shorten(name, 40)})


def _local(name):
    return name.rpartition(":")[2]


def scan_part(archive, name, limits):
    """Any XML part: no DTD, at most MAX_PART_ELEMENTS elements."""
    parser = _parser()
    count = 0

    def start(tag, attrs):
        nonlocal count
        count += 1
        if count > limits.max_part_elements:
            raise SheetRefused(
                _("文件内部的“%(name)s”过于庞大（超过 %(max_part_elements)s 个元素），常见于样式或名称异常堆积的工作簿。%(copy_to_new)s") % {"name": shorten(name, 40), "max_part_elements": format(limits.max_part_elements, ","), "copy_to_new": COPY_TO_NEW}
            )

    parser.StartElementHandler = start
    _feed(archive, name, parser)


def _read_small_xml(archive, name, limits, on_start):
    parser = _parser()
    count = 0

    def start(tag, attrs):
        nonlocal count
        count += 1
        if count > limits.max_part_elements:
            raise SheetRefused(_("文件内部的“%(name)s”过于庞大。%(copy_to_new)s") % {"name": shorten(name, 40), "copy_to_new": COPY_TO_NEW})
        on_start(_local(tag), attrs, tag)

    parser.StartElementHandler = start
    _feed(archive, name, parser)


def _rels_path(part):
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source_part, target):
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def workbook_sheets(archive, limits):
    """[SheetInfo] in workbook order, after checking this is a spreadsheet at all."""
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
            raise SheetRefused(_("这是 OpenDocument 文件（.ods/.odt），不是 .xlsx。%(save_as)s") % {"save_as": SAVE_AS})
        raise SheetRefused(_("这是一个普通的 zip 压缩包，不是 Excel 工作簿。请上传 .xlsx 文件。"))
    types, overrides = set(), {}

    def content_type(tag, attrs, _):
        types.add(attrs.get("ContentType", ""))
        if tag == "Override":
            overrides[attrs.get("PartName", "").lstrip("/")] = attrs.get("ContentType", "")

    _read_small_xml(archive, "[Content_Types].xml", limits, content_type)
    if not types & WORKBOOK_TYPES:
        for content_type, label in OTHER_OFFICE_TYPES.items():
            if content_type in types:
                raise SheetRefused(_("这是 %(label)s，不是 .xlsx 工作簿。%(save_as)s") % {"label": label, "save_as": SAVE_AS})
        raise SheetRefused(_("压缩包里没有 Excel 工作簿的内容（缺少 xl/workbook.xml 等部件），"
                           "可能是其他软件的文件改了扩展名。请上传 Excel 保存的 .xlsx 文件。"))

    main = None

    def package_rel(tag, attrs, _):
        nonlocal main
        if tag == "Relationship" and attrs.get("Type", "").endswith(REL_NS_SUFFIX) and main is None:
            main = _resolve("", attrs.get("Target", ""))

    if "_rels/.rels" in names:
        _read_small_xml(archive, "_rels/.rels", limits, package_rel)
    if main is None or main not in names:
        raise SheetRefused(_("工作簿缺少主体部件（xl/workbook.xml），文件可能已损坏。请重新保存后再上传。"))

    sheets, namespaces = [], set()

    def workbook_element(tag, attrs, raw):
        if tag == "workbook":
            namespaces.update(v for k, v in attrs.items() if k.startswith("xmlns"))
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            sheets.append((attrs.get("name", ""), rid))

    _read_small_xml(archive, main, limits, workbook_element)
    if STRICT_NS in namespaces:
        raise SheetRefused(_("这是“Strict Open XML 电子表格”格式，无法读取。%(save_as)s") % {"save_as": SAVE_AS})
    targets = {}

    def workbook_rel(tag, attrs, _):
        if tag == "Relationship" and attrs.get("Type", "").endswith(WORKSHEET_REL):
            targets[attrs.get("Id")] = _resolve(main, attrs.get("Target", ""))

    rels = _rels_path(main)
    if rels in names:
        _read_small_xml(archive, rels, limits, workbook_rel)
    found = [SheetInfo(name, targets[rid]) for name, rid in sheets if targets.get(rid) in names]
    if not found:
        raise SheetRefused(_("工作簿里没有工作表。"))
    # The other parts openpyxl parses when it opens the book (see reader._open_sheet).
    parsed = [(part, kind) for part, kind in overrides.items()
              if kind in (SHARED_STRINGS_TYPE, STYLES_TYPE) and part in names]
    return found, parsed


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _column_number(letters):
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _parse_ref(ref):
    match = _CELL_REF.match(ref or "")
    if not match:
        return None
    return _column_number(match.group(1)), int(match.group(2))


def scan_sheet(archive, sheet, limits):
    """Stream the chosen sheet once, refusing at the first limit passed.

    Counts rows by number and columns by position of cells with content, every cell element,
    the characters of each cell and the merged ranges; a formatted but empty row or cell far
    away costs nothing but its bytes. (Closures over plain variables: this runs per element.)
    """
    parser = _parser()
    scan = SheetScan()
    title = shorten(sheet.name, 20)
    max_cells, max_rows, max_columns, max_chars = (
        limits.max_cells, limits.max_rows, limits.max_columns, limits.max_cell_chars)
    row = col = cells = row_cells = chars = last_row = 0
    in_cell = valued = in_text = False

    def too_big(what):
        raise SheetRefused(_("工作表“%(title)s”%(what)s。%(split_hint)s。") % {"title": title, "what": what, "split_hint": _SPLIT_HINT})

    def start(tag, attrs):
        nonlocal row, col, cells, row_cells, chars, in_cell, valued, in_text
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            cells += 1
            row_cells += 1
            if cells > max_cells:
                too_big(_("的单元格（含只有格式的空单元格）超过 %(max_cells)s 个") % {"max_cells": format(max_cells, ",")})
            if row_cells > EXCEL_MAX_COLUMNS:
                raise SheetRefused(_("工作表“%(title)s”第 %(row)s 行的单元格数超出 Excel 的上限，文件是异常构造的。") % {"title": title, "row": row})
            ref = attrs.get("r")
            if ref:
                parsed = _parse_ref(ref)
                if parsed is None or parsed[0] > EXCEL_MAX_COLUMNS or parsed[1] > EXCEL_MAX_ROWS:
                    raise SheetRefused(_("工作表“%(title)s”含有无效的单元格位置“%(name)s”，文件可能已损坏。") % {"title": title, "name": shorten(ref, 12)})
                col = parsed[0]
            else:
                col += 1
            in_cell, valued, chars = True, False, 0
        elif in_cell:
            if tag == "v" or tag == "f":
                valued = in_text = True
            elif tag == "is":
                valued = True
            elif tag == "t":
                in_text = True
        elif tag == "row":
            number = attrs.get("r")
            if number:
                if not number.isdigit() or not 0 < int(number) <= EXCEL_MAX_ROWS:
                    raise SheetRefused(_("工作表“%(title)s”含有无效的行号“%(name)s”，文件可能已损坏。") % {"title": title, "name": shorten(number, 12)})
                row = int(number)
            else:
                row += 1
            col = row_cells = 0
        elif tag == "mergeCell":
            if len(scan.merged) >= limits.max_merged:
                too_big(_("的合并单元格超过 %(max_merged)s 处") % {"max_merged": format(limits.max_merged, ",")})
            ref = attrs.get("ref", "")
            first, _colon, last = ref.partition(":")
            a, b = _parse_ref(first), _parse_ref(last or first)
            if a and b:
                scan.merged.append((min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]), ref))

    def end(tag):
        nonlocal in_cell, in_text, last_row
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            if valued:
                if col > max_columns:
                    raise SheetRefused(
                        _("工作表“%(title)s”的 %(column)s%(row)s 单元格（第 %(col)s 列）有内容，表格最多 %(max_columns)s 列。请删除多余的列后再上传。") % {"title": title, "column": get_column_letter(col), "row": row, "col": format(col, ","), "max_columns": max_columns}
                    )
                if row > max_rows:
                    raise SheetRefused(
                        _("工作表“%(title)s”的第 %(row)s 行有内容，表格最多 %(max_rows)s 行（含表头）。请删除多余的行，或分成几个文件导入。") % {"title": title, "row": format(row, ","), "max_rows": format(max_rows, ",")}
                    )
                if row > last_row:
                    last_row = row
            in_cell = False
        elif in_text:
            in_text = False

    def text(data):
        nonlocal chars
        if in_text:
            chars += len(data)
            if chars > max_chars:
                raise SheetRefused(
                    _("工作表“%(title)s”第 %(row)s 行有一个单元格超过 %(max_chars)s 个字符（Excel 单元格的上限），文件是异常构造的。") % {"title": title, "row": format(row, ","), "max_chars": format(max_chars, ",")}
                )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _feed(archive, sheet.path, parser)
    scan.rows, scan.cells = last_row, cells
    return scan


_SPLIT_HINT = gettext_lazy("请删除多余的内容和格式，或分成几个文件导入")


def scan_shared_strings(archive, name, limits):
    """The shared strings table, which openpyxl reads whole: count strings and their length."""
    parser = _parser()
    state = {"count": 0, "chars": 0, "in_t": False}

    def start(tag, attrs):
        tag = _local(tag)
        if tag == "si":
            state["count"] += 1
            state["chars"] = 0
            if state["count"] > limits.max_cells:
                raise SheetRefused(_("文件中的文字条目超过 %(max_cells)s 个。%(split_hint)s。") % {"max_cells": format(limits.max_cells, ","), "split_hint": _SPLIT_HINT})
        elif tag == "t":
            state["in_t"] = True

    def end(tag):
        if _local(tag) == "t":
            state["in_t"] = False

    def text(data):
        if state["in_t"]:
            state["chars"] += len(data)
            if state["chars"] > limits.max_cell_chars:
                raise SheetRefused(_("文件中有文字超过 %(max_cell_chars)s 个字符（Excel 单元格的上限），文件是异常构造的。") % {"max_cell_chars": format(limits.max_cell_chars, ",")})

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _feed(archive, name, parser)


def check_archive(data, limits, sheet_name=None):
    """Everything before openpyxl: returns (the chosen SheetInfo, its SheetScan, all sheets).

    The sheet is the one named `sheet_name` if the workbook has it, else the first. Only the
    parts openpyxl will parse are read: the workbook, its relationships, the shared strings,
    the styles and the chosen sheet; other sheets, images and charts are never decompressed.
    """
    sniff(data)
    archive = open_zip(data, limits)
    with archive:
        sheets, parts = workbook_sheets(archive, limits)
        chosen = next((s for s in sheets if sheet_name and s.name == sheet_name), sheets[0])
        for part, kind in parts:
            (scan_shared_strings if kind == SHARED_STRINGS_TYPE else scan_part)(archive, part, limits)
        scan = scan_sheet(archive, chosen, limits)
    return chosen, scan, sheets
