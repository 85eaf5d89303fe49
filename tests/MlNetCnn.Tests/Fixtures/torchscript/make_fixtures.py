#!/usr/bin/env python3
"""Makes the TorchScript fixtures of the "bring your own network" tests (the tests never run Python).

Run with Debian's PyTorch (python3-torch 1.13): /usr/bin/python3 make_fixtures.py
Writes, in this folder:
  small_net.pt     a user's network as PyTorch writes it: [N, 1, H, W] -> [N, 1] logits, any H, W >= 4
  two_outputs.pt   the same body ending in two logits ([N, 2]): refused (the question's argmax bug, other way round)
  no_parameters.pt a module without parameters (mean brightness minus a half): refused, nothing to train
Channel counts are multiples of 16 (see SyntheticImages.SmallNetwork: oneDNN's AVX-512 gradients).
"""
import torch
from torch import nn


class SmallNet(nn.Module):
    def __init__(self, outputs: int = 1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(16, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class NoParameters(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(1, 2, 3)) - 0.5


def main():
    torch.manual_seed(0)
    torch.jit.script(SmallNet()).save("small_net.pt")
    torch.manual_seed(0)
    torch.jit.script(SmallNet(outputs=2)).save("two_outputs.pt")
    torch.jit.script(NoParameters()).save("no_parameters.pt")


if __name__ == "__main__":
    main()
