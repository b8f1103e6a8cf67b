"""What a printed sheet looks like, read back from the file: for tests of every export."""

from openpyxl.utils import get_column_letter

from sheets.writer import MIN_PRINT_SCALE, column_mm, printable_mm


def column_widths(ws):
    """Widths of the sheet's columns as the file stores them (XlsxWriter's, in characters)."""
    widths = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for index in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
                widths[index] = dim.width
    last = max(widths, default=0)
    return [widths.get(i, 8.43) for i in range(1, last + 1)]


def print_scale(ws):
    """The scale a sheet prints at on A4, estimated as sheets.writer.print_layout does.

    1.0 unless the sheet is fitted to the page width; a sheet that flows over pages prints
    at 100% with its title rows and columns repeated.
    """
    fitted = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    if not fitted:
        return 1.0
    # The stored width carries XlsxWriter's padding (about 0.71 character): take it off.
    total = sum(column_mm(max(w - 0.71, 0)) for w in column_widths(ws))
    return min(1.0, printable_mm(ws.page_setup.orientation or "portrait") / total)


def assert_prints_readably(ws, *, key_columns=None):
    """A4, the header row on every page, never below about 70%; a sheet too wide for one
    page at 70% flows over pages with its key columns repeated instead of shrinking."""
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
    assert ws.print_title_rows in ("$1:$1", "$2:$2"), (ws.title, ws.print_title_rows)
    assert print_scale(ws) >= MIN_PRINT_SCALE - 0.02, (ws.title, print_scale(ws))
    total = sum(column_mm(max(w - 0.71, 0)) for w in column_widths(ws))
    fitted = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    if not fitted and total > printable_mm(ws.page_setup.orientation or "portrait") + 1:
        assert ws.page_setup.orientation == "landscape", ws.title
        if key_columns:
            assert ws.print_title_cols == f"$A:${get_column_letter(key_columns)}", (ws.title, ws.print_title_cols)
            frozen = ws.freeze_panes.rstrip("0123456789")
            assert frozen == get_column_letter(key_columns + 1), (ws.title, ws.freeze_panes)
