"""Persons and cases from a spreadsheet (批量导入): the template's columns (``columns``), reading XLSX and CSV
safely (``reading``), and turning each row into checked domain values with a Chinese message per cell
(``rows``).  Writing is the action ``backend.people.actions.imports.import_rows``."""
