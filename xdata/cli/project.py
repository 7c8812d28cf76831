"""CLI verbs: filled in by the capability's issue."""
