"""The HQ node: national customer registry, catalog master, mirror of provinces' public events."""
