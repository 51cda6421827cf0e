"""Plain typed records, units, wording and rules. No Qt, no SQL."""
