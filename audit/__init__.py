"""Audit: reminders at the receipt deadline, missed-delivery reports, why / why-not, replay of
rule changes over past documents, and the check of the tamper-evident history of status events."""
