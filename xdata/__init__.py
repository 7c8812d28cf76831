"""xdata: versioned, provenance-tagged training data for low-resource languages."""

__version__ = "0.1.0"
