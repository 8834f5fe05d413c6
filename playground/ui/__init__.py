"""The UI: one module per tab, each with a ``build_<tab>()`` that lays out components and wires
events (every event has an ``api_name``) to plain functions in the core."""
