"""Dataset versions: every export of a run is a version (v1, v2, ...) kept under
``runs/<name>/versions/``, so versions can be compared (``curate diff``) and an earlier one
re-created (``curate versions RUN --recreate N``)."""
