"""The window's views, one widget a file; each renders the slice of the state it is given."""
