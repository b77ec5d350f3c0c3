"""The filter stage: records unfit for a reviewer's time or for training are dropped before
they are embedded, each by one small check that names its reason (``base.Check``);
other packages add checks through the ``curate.filters`` entry point group."""
