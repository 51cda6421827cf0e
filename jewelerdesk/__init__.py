"""JewelerDesk: the shop's offline record of what each piece is made of and where it came from."""

__version__ = "0.1.0"
APP_NAME = "JewelerDesk"
