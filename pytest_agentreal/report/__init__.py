"""Reports: terminal text, JSON and self-contained HTML."""
