"""Spreadsheets in and out: the one reader and the one writer every import and export uses.

- `sheets.reader.read_table(upload, columns, sheet=None)` reads an uploaded .xlsx safely
  (any file, any size up to the limits in `sheets.limits`) into typed rows and errors.
- `sheets.writer` writes workbooks in the house style: text is never a formula, numbers and
  dates are typed, every sheet prints readably.
- `sheets.held` keeps an upload between an import's preview and its confirmation.

docs/spreadsheets.md describes the limits and the rules.
"""
