"""Adapters around the dialog core: chat platforms, stores, settings and the command line."""
