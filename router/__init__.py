"""docroute's intake and routing service: the HTTP API, the outbox relay and the router consumer."""
