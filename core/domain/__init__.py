"""Pure order-management domain: no I/O, no transport, no storage."""
