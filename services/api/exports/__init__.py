"""CSV and XLSX exports of the shop API's reports (docs/exports.md).

One mechanism for every report: a report (report.py) is typed rows, a column definition
per value (columns.py: labels and format from the metric catalogue, or FIELD_LABELS for
other fields), streamed as read; negotiation.py picks the format (`?format=`, Accept) and
the header language and answers a file; csv_file.py and xlsx_file.py write it. Each
feature builds its report next to its endpoints (`<feature>/export.py`).
"""
