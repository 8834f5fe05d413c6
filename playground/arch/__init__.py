"""Architecture explorer, network builder and concept views (issue 6).

Modules: ``zoo`` (registry, meta-device models), ``table`` (per-layer table at any input size),
``course`` (the course's three tables with notes), ``compare`` (parameters vs MACs chart),
``builder`` (the network builder on the arithmetic core), ``concepts`` (small exact views),
``shapes`` (input-shape parsing), ``render`` (HTML for the tab).
"""
