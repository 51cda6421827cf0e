"""Reference data shipped with the app (statements, risk lists) and their loaders."""
