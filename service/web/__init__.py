"""HTTP plumbing shared by every resource: the Api (problem+json errors), pages, lookups, the docs page's assets."""
