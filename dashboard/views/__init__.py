"""Dashboard pages, one module each; pages only compose toolkit functions."""
