"""The GPS gateway (asyncio): tracker protocols, device authentication, batched durable writer.

Built in the [Gateway] issue; see docs/architecture.md.
"""
