"""JewelerDesk ui/widgets."""
