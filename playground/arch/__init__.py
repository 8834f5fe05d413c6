"""Architecture explorer, network builder and concept views (issue 6).

Modules: ``zoo`` (registry, meta-device models), ``trace`` (hooks + receptive-field tracking on
the meta device), ``table`` (per-layer table at any input size, blocks, cache), ``shapes``
(input-shape parsing), ``course`` (the course's three tables with notes), ``compare``
(parameters vs MACs chart, published accuracies), ``builder`` (the network builder on the
arithmetic core, presets, shareable links), ``concepts`` (small exact views), ``render`` (HTML),
``views`` (the tab's callbacks).
"""
