"""Digits: LeNet-5 and an MLP baseline trained on real MNIST, MNIST-faithful preprocessing of drawn
digits, inference with per-layer activations (issue #3)."""
