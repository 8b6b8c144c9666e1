"""The general parser (a package: state and linking in `base`, shape and condition passes, assembly)."""

from .base import Interpretation, Refusal, Slot
from .interpreter import Interpreter

__all__ = ["Interpretation", "Interpreter", "Refusal", "Slot"]
