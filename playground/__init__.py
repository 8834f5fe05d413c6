"""CNN Playground: the core package (calculators, models, rendering, training, UI)."""

__version__ = "0.1.0"
