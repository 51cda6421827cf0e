"""JewelerDesk ui/models."""
