"""Layer Lab core: pure functions behind the Layer Lab tab (no Gradio except ``callbacks``).

- :mod:`~playground.layerlab.controls`: raw control values → arith spec → shape/formula/counts/code;
- :mod:`~playground.layerlab.kernels`: presets, safe custom-kernel parsing, random kernels;
- :mod:`~playground.layerlab.features`: feature maps of a picture with real ``F.conv2d``;
- :mod:`~playground.layerlab.sliding`: sliding-window steps (conv, pooling, transposed conv);
- :mod:`~playground.layerlab.transposed`: transposed conv as zero insertion + pad + flipped conv;
- :mod:`~playground.layerlab.volume`: the multi-channel "how kernels work" demo;
- :mod:`~playground.layerlab.separable`: separable kernels and their MAC savings;
- :mod:`~playground.layerlab.examples`: the course's worked examples, computed with torch;
- :mod:`~playground.layerlab.views`: HTML of the step-by-step views;
- :mod:`~playground.layerlab.callbacks`: the tab's thin Gradio callbacks.
"""
