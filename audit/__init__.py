"""Audit: receipt deadlines and reminders, missed-delivery reports, why / why-not, replay of rule
changes over past documents, and the tamper-evident history of status events."""
