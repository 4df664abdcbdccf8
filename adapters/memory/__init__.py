"""In-memory persistence: the fake behind unit tests (no services needed)."""

from adapters.memory.store import MemoryOrderStore

__all__ = ["MemoryOrderStore"]
