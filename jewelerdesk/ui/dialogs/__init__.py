"""JewelerDesk ui/dialogs."""
