"""The report's panels, one module each; every ``build(data)`` returns a Panel."""
