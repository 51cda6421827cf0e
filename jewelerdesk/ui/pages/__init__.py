"""JewelerDesk ui/pages."""
