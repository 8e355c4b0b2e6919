"""redactor: a declassification redaction workbench for diplomatic cables."""

__version__ = "0.1.0"
