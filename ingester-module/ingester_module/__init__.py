"""ArtStore ingester: the streaming write entry point."""

__version__ = "0.1.0"
