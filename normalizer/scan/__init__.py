"""The normalizer step of scanned letters and faxes (channels post and fax)."""

from normalizer.scan.fields import Extraction, extract
from normalizer.scan.step import scan_letter

__all__ = ["Extraction", "extract", "scan_letter"]
