"""The HTTP API: intake of documents, agencies' inboxes and receipts, health."""
