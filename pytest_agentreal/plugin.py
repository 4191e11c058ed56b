"""pytest adapter (being built): options, collection, fixtures, summary."""
