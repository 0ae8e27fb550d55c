"""ArtStore query module: catalog, search, download."""

__version__ = "0.1.0"
