"""The shared foundation every part of the service builds on: settings, the data model, the
database and its migrations, the hash-chained history, the outbox, the broker and its relay,
receipts, tokens and working-time deadlines. It imports nothing above it (no `router`,
`consumers`, `audit` or `docroute`)."""
