"""Alerts: rules that look for trouble on a schedule and raise exceptions (deduplicated), and the
notification round that tells the right people (escalation, quiet hours, throttle).

- settings.py  the seller's thresholds and who hears (GET/PUT /api/v1/alerts/settings)
- rules.py     one function per rule; `evaluate` runs them all in one transaction
- notify.py    who_to_notify, escalation, and the listeners (web push, live updates) it calls
- jobs.py      the durable jobs that run them (server/jobs)
"""
