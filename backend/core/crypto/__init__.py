"""Field encryption (AES-256-GCM under versioned, wrapped data keys) and blind indexes."""
