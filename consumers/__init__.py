"""Delivery consumers: take one planned delivery off the queue and hand it to the agency's channel."""
