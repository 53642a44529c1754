"""Report sections, one module per analysis kind, built from stored tables only."""
