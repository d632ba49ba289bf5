"""Earshot: a real-time assistant for call-center agents."""

__version__ = "0.1.0"
