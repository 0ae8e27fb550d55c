"""The background text extraction: catalog rows → document text and its index."""
