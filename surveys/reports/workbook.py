"""What the survey reports add to sheets.writer (the one writer, docs/spreadsheets.md).

Every report sheet is written with `sheets.writer.write_table` / `write_notes`: text is
always text, numbers and dates are typed, the house style and the print layout (nothing
below about 70%; wide sheets flow over pages with the unit columns repeated) come from there.
This module only says how a survey figure becomes a cell value:

- `rate(x)` / `score(x)`: a rate (or a five-level score) cut toward zero at what its format
  shows (0.1%, or 0.1), so neither our value nor Excel's rounding can show 80.0% beside a
  level decided on the exact Fraction (scoring.truncate, as on the dashboards);
- `level(x)`: a Level or FinalClass as its label, filled with its level's colour.
"""

from sheets.writer import Column, Styled
from surveys import scoring

# Light tints of the dashboard colours (static/css/app.css), readable in black and on paper.
LEVEL_FILLS = {
    "satisfied": "C6EFCE",
    "basic": "DDEBF7",
    "below": "FFEB9C",
    "pending": "FFEB9C",
    "unsatisfied": "FFC7CE",
    "no_data": "D9D9D9",
}
# Decimals kept of a percent (0.001 = 0.1%) and of a decimal (the 0-100 score): what the
# formats "0.0%" and "0.0" show, so the stored value is exactly what is read.
CUT_PLACES = {"percent": 3, "decimal": 1}
# The columns that name a unit in every per-unit sheet: 分组, 单位代码, 单位名称. Frozen, and
# repeated on every printed page when a sheet is wider than one page.
UNIT_KEY_COLUMNS = 3


def rate(value):
    """A rate as stored in a "0.0%" cell: cut toward zero at 0.1% (79.95% is stored as 0.799)."""
    return None if value is None else float(scoring.truncate(value, CUT_PLACES["percent"]))


def score(value):
    """A 0-100 score as stored in a "0.0" cell: cut toward zero at 0.1."""
    return None if value is None else float(scoring.truncate(value, CUT_PLACES["decimal"]))


def level(value):
    """A Level or FinalClass as its label on its level's fill; None stays empty."""
    if value is None:
        return None
    return Styled(value.label, fill=LEVEL_FILLS.get(value.value))


__all__ = ["Column", "LEVEL_FILLS", "CUT_PLACES", "UNIT_KEY_COLUMNS", "rate", "score", "level"]
