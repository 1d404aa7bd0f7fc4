"""The till's pages (``till``, ``sales``) and the back office's quotations."""
