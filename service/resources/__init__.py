"""The REST resources: one flask-smorest Blueprint per resource, holding its filters and docstrings."""
