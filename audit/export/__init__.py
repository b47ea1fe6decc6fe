"""Export of the whole filtered result as CSV, Excel (xlsx), Parquet or JSON Lines, exactly
the rows counted, written chunk by chunk so memory stays flat however many rows match.

- :mod:`~audit.export.rows`: which rows, from one snapshot, and the refusal over a limit;
- :mod:`~audit.export.cells`: a row's values and spreadsheet cells, formula-injection safe;
- :mod:`~audit.export.formats`: the file formats and their writers;
- :mod:`~audit.export.write`: :func:`write_export`, one export from database to file;
- :mod:`~audit.export.filename`, :mod:`~audit.export.log`: the file's name, the export log;
- ``python -m audit.export`` (:mod:`audit.export.__main__`): large exports straight to disk.
"""

from audit.export.cells import COLUMNS
from audit.export.filename import export_filename
from audit.export.formats import FORMATS
from audit.export.rows import (
    ExportRefused,
    TooLargeForBrowser,
    check_browser_export,
    check_export,
    command_line_export,
)
from audit.export.write import write_export

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ExportRefused",
    "TooLargeForBrowser",
    "check_browser_export",
    "check_export",
    "command_line_export",
    "export_filename",
    "write_export",
]
