"""Training studio core: presets, in-memory datasets, the training loop, results, augmentation
preview and transfer learning. Pure functions and small objects; the Gradio tab lives in
``playground/ui/studio.py``. Nothing is loaded or trained at import time."""
