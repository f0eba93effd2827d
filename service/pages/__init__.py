"""HTML pages for people: the evidence view of each article, and a page per fact (templates/, static/)."""
