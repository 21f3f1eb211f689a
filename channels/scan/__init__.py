"""Scanned letters and faxes: files (watched folder, upload, fax-to-email) read by OCR into a RawSubmission."""
