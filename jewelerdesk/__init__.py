"""JewelerDesk: the shop's offline record of what each piece is made of and where it came from."""

__version__ = "0.1.0"
APP_NAME = "JewelerDesk"

#: The command-line subcommands; anything else (or nothing) opens the app. Here, so that
#: opening the app does not import the command line.
COMMANDS = (
    "staff",
    "demo",
    "items",
    "attach",
    "gaps",
    "custody",
    "lists",
    "sell",
    "certificate",
    "verify",
    "keys",
    "export",
    "import",
    "backup",
    "restore",
    "check",
)
