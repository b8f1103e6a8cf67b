"""Excel reports: the round report, per-unit feedback and the raw ballot export.

Builders write to a path or a binary file object and take the scope (unit groups) as an
argument, so the browser downloads and the management commands produce the same files.
"""
