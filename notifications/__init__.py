"""Alert delivery: routing rules, the outbox, channels/<email|sms|webhook|inbox>, the sender loop.

Built in the [Notifications] issue; see docs/architecture.md.
"""
