"""JewelerDesk reference."""
