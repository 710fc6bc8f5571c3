"""Operator tools: ``/op`` chat commands, the audited actions behind them, ``crampbot admin``."""
