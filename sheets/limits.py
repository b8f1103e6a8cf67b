"""What an uploaded spreadsheet may hold. Each limit can be set in settings as SHEETS_<NAME>.

The limits are checked before and while reading, so that no file, however crafted, costs
more than they allow (docs/spreadsheets.md explains each one and what it bounds).
"""

from dataclasses import dataclass, fields

from django.conf import settings

MB = 1024 * 1024

# Upload size: the settings' IMPORT_MAX_BYTES (5 MB by default) unless SHEETS_MAX_UPLOAD_BYTES.
MAX_UPLOAD_BYTES = None
# Archive members (files inside the .xlsx zip). A real workbook has a dozen to a few hundred.
MAX_MEMBERS = 1000
# Uncompressed size the archive declares, over all members and for any one member.
MAX_UNCOMPRESSED = 64 * MB
# Compression ratio of any member larger than RATIO_FLOOR once uncompressed. Real sheet XML
# compresses 5-40 times; a bomb compresses a thousand times.
MAX_RATIO = 150
RATIO_FLOOR = 1 * MB
# Elements of any XML part that is not a worksheet (styles, workbook, shared strings…).
MAX_PART_ELEMENTS = 200_000
# The sheet read: rows (by row number, header and title rows included), columns (by
# position of a cell with content), cells (every cell element, formatted empty ones too),
# characters in one cell (Excel's own limit), merged ranges.
MAX_ROWS = 30_000
MAX_COLUMNS = 100
MAX_CELLS = 600_000
MAX_CELL_CHARS = 32_767
MAX_MERGED = 1_000
# Errors listed by an import; the rest are counted.
MAX_MESSAGES = 200


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_members: int
    max_uncompressed: int
    max_ratio: float
    ratio_floor: int
    max_part_elements: int
    max_rows: int
    max_columns: int
    max_cells: int
    max_cell_chars: int
    max_merged: int
    max_messages: int


def current():
    """The limits in force: the module's defaults, overridden by settings.SHEETS_<NAME>."""
    values = {}
    for field in fields(Limits):
        name = field.name.upper()
        default = globals()[name]
        if name == "MAX_UPLOAD_BYTES" and default is None:
            default = getattr(settings, "IMPORT_MAX_BYTES", 5 * MB)
        values[field.name] = getattr(settings, f"SHEETS_{name}", default)
    return Limits(**values)
