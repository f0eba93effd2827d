"""Storage: the database connection, the relational model, migrations and the search index."""
