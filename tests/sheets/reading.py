"""Reading a workbook the product wrote, as the tests check it: built into memory, opened
again with openpyxl, a sheet's table as its headers and data rows."""

import io

import openpyxl


def read_back(build, *args, **kw):
    """The workbook `build(*args, out, **kw)` writes, opened again with openpyxl."""
    out = io.BytesIO()
    build(*args, out, **kw)
    out.seek(0)
    return openpyxl.load_workbook(out)


def table(ws):
    """{header: column index} and the data rows (until the first empty row)."""
    rows = list(ws.iter_rows(values_only=True))
    headers = {h: i for i, h in enumerate(rows[0])}
    data = []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        data.append(row)
    return headers, data
