"""Fake platform servers for the real client libraries, on 127.0.0.1."""
