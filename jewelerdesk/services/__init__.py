"""Use cases the GUI and the command line both call. No Qt, no SQL."""
