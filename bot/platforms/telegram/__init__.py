"""The Telegram front end (python-telegram-bot 22): handlers and HTML rendering."""
