"""The router consumer: reads a document's recipients with the rules engine and plans one
delivery per agency (its expansion into planned deliveries)."""
