"""Use cases: every operation of DESIGN §3, as async calls on the ports."""

from core.usecases.management import OrderManagement, Outcome, Settings

__all__ = ["OrderManagement", "Outcome", "Settings"]
