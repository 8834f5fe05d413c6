"""U-Net: shapes for any input size, skip shapes, valid (paper) mode, layer table vs the module."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.seg.arch_table import layer_table
from playground.seg.unet import CONFIGS, UNet, UNetConfig, build_unet, conv_layer_count, valid_output_size
from playground.weights import param_count

torch.set_num_threads(1)


@pytest.mark.parametrize("h,w", [(127, 93), (128, 128), (1, 1), (17, 250), (64, 63)])
@pytest.mark.parametrize("depth", [1, 3, 4])
def test_padded_output_has_input_size(h: int, w: int, depth: int) -> None:
    model = UNet(UNetConfig(in_channels=3, num_classes=5, depth=depth, base=4)).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, h, w))
    assert out.shape == (2, 5, h, w)


def test_127x93_skips_match_and_features() -> None:
    cfg = UNetConfig(in_channels=1, num_classes=3, depth=4, base=4)
    model = UNet(cfg).eval()
    with torch.no_grad():
        out, f = model.forward_features(torch.randn(1, 1, 127, 93))
    assert out.shape == (1, 3, 127, 93)
    assert f.padded_size == (128, 96)
    assert [tuple(t.shape) for t in f.encoder] == [(1, 4 * 2**i, 128 // 2**i, 96 // 2**i) for i in range(4)]
    assert tuple(f.bottleneck.shape) == (1, 64, 8, 6)
    for up, skip, dec in zip(f.up, f.skips_used, f.decoder):
        assert skip.shape == up.shape  # the skip and the up-conv match exactly before the cat
        assert dec.shape == up.shape
    assert all(a is b for a, b in zip(f.skips_used[::-1], f.encoder))  # padded: skips go uncropped


def test_paper_config_is_the_paper() -> None:
    cfg = CONFIGS["paper"]
    assert conv_layer_count(cfg) == 23
    assert param_count(build_unet("paper")) == 31_030_658
    assert valid_output_size(572, 4) == 388


def test_valid_mode_crops_skips_like_the_paper() -> None:
    cfg = UNetConfig(in_channels=1, num_classes=2, depth=2, base=4, batch_norm=False, padding=False)
    model = UNet(cfg).eval()
    side = 60  # 60-4=56 -> 28-4=24 -> 12-4=8 -> 16-4=12 -> 24-4=20
    with torch.no_grad():
        out, f = model.forward_features(torch.randn(1, 1, side, side))
    assert out.shape[-1] == valid_output_size(side, 2) == 20
    assert f.encoder[0].shape[-1] == 56 and f.skips_used[-1].shape[-1] == f.up[-1].shape[-1] == 24
    with pytest.raises(ValueError, match="must be even"):
        valid_output_size(61, 2)
    with pytest.raises(ValueError):
        model(torch.randn(1, 1, 61, 61))


@pytest.mark.parametrize("name", ["lgg", "em", "digits"])
def test_configs_train_step_gives_every_parameter_a_gradient(name: str) -> None:
    model = build_unet(name)
    cfg = model.cfg
    out = model(torch.randn(2, cfg.in_channels, 33, 47))
    assert out.shape == (2, cfg.num_classes, 33, 47)
    assert torch.isfinite(out).all()
    out.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def _hook_shapes(model: UNet, x: torch.Tensor) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: shapes.append(tuple(o.shape[1:])))
             for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return shapes


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 70), w=st.integers(1, 70), depth=st.integers(1, 3), bn=st.booleans())
def test_layer_table_matches_module(h: int, w: int, depth: int, bn: bool) -> None:
    cfg = UNetConfig(in_channels=2, num_classes=3, depth=depth, base=2, batch_norm=bn)
    model = UNet(cfg)
    rows = layer_table(cfg, h, w)
    conv_rows = [r.out for r in rows if r.layer.startswith(("Conv2d", "ConvTranspose2d"))]
    assert conv_rows == _hook_shapes(model, torch.randn(1, 2, h, w))
    assert sum(r.params for r in rows) == param_count(model)
    assert rows[-1].out == (3, h, w)


def test_layer_table_valid_paper_shapes() -> None:
    rows = layer_table(CONFIGS["paper"], 572, 572)
    assert rows[-1].out == (2, 388, 388)
    assert sum(r.params for r in rows) == 31_030_658
    assert any("skip cropped 568x568->392x392" in r.layer for r in rows)


@pytest.mark.parametrize("kwargs,msg", [({"depth": 0}, "depth"), ({"base": 0}, "base"),
                                        ({"num_classes": 0}, "num_classes"), ({"depth": 9}, "depth")])
def test_bad_config_raises(kwargs: dict, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        UNetConfig(**kwargs)


def test_wrong_channels_message() -> None:
    with pytest.raises(ValueError, match=r"expects \(N, 3, H, W\)"):
        build_unet("lgg")(torch.randn(1, 1, 16, 16))


def test_input_norm_makes_the_lgg_unet_invariant_to_a_per_channel_gain() -> None:
    """A scan whose FLAIR is 3x darker (LGG patient HT_A61A) must look like the others."""
    from playground.seg.unet import normalize_intensity

    g = torch.Generator().manual_seed(0)
    x = 0.2 + 0.5 * torch.rand(2, 3, 40, 40, generator=g)
    x[:, :, :5] = 0  # background outside the head stays 0
    gain = torch.tensor([0.3, 1.0, 1.4]).view(1, 3, 1, 1)
    a, b = normalize_intensity(x), normalize_intensity(x * gain)
    assert torch.allclose(a, b, atol=1e-2)
    assert torch.all(a[:, :, :5] == 0)
    fg_mean = a[:, :, 5:].mean(dim=(2, 3))
    assert torch.allclose(fg_mean, torch.full_like(fg_mean, 0.5), atol=1e-2)
    m = UNet(replace(CONFIGS["lgg"], input_norm=True)).eval()
    with torch.no_grad():
        assert torch.allclose(m(x), m(x * gain), atol=1e-3)
    plain = UNet(CONFIGS["lgg"]).eval()
    with torch.no_grad():
        assert not torch.allclose(plain(x), plain(x * gain), atol=1e-3)
