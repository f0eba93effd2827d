"""The workbench: pages where curators and editors sign in and curate, through the same functions as the API."""
