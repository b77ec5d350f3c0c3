"""curate: turn support tickets, email threads and documentation into a reviewed,
PII-free, deduplicated and diverse fine-tuning dataset."""

__version__ = "0.1.0"
