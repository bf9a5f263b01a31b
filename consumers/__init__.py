"""Delivery consumers: hand each planned delivery to its agency by inbox, webhook or e-mail."""
