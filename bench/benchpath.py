"""Imported first by every benchmark: the repository on sys.path, and this folder moved to its end.

Run as `python bench/<name>.py`, this folder comes first on sys.path, and bench/email.py would then
shadow the standard library's `email` package (which nats-py, aiosmtpd and the stdlib itself import).
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
while _HERE in sys.path:
    sys.path.remove(_HERE)
sys.path.append(_HERE)  # still importable: `measure`
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
