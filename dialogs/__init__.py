"""The platform-free core of the cramp interview.

It imports only the standard library, ``transitions`` and PyYAML: chat
platforms live in ``bot/`` and talk to the core through the small frozen
types in :mod:`dialogs.types`.
"""
