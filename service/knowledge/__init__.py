"""The curated knowledge: read and verify the fixtures and seeds, load them, and turn rows into API records."""
