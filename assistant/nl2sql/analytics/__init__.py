"""Analytic questions (measures by dimensions, time buckets and windows, top-N) — see `interpreter`."""

from .interpreter import Unsure, interpret

__all__ = ["Unsure", "interpret"]
