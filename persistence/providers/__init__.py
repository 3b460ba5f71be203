"""Clients of services outside the process (the payment provider): adapters, like the stores."""
