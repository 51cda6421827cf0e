"""Disclosure certificates: the canonical payload, its signed QR record, the PDF (ReportLab),
the embedded payload and the PAdES signature, and offline verification. Pure functions of
their inputs and files; no Qt, no SQL."""
