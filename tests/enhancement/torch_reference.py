"""A PyTorch RRDBNet written from the ESRGAN paper, with the official key names.

Used only as a reference in tests: random weights are saved as `.pth`
files in ESRGAN's naming (`RRDB_trunk.N.RDB1.conv1`, `trunk_conv`,
`upconv1`, `upconv2`, `HRconv`) or renamed to BasicSR's (`body.N.rdb1.conv1`,
`conv_body`, `conv_up1`, `conv_up2`, `conv_hr`).
"""

import re

from tests.extras import require

torch = require("torch")  # a test that imports this helper skips without PyTorch
from torch import nn  # noqa: E402
from torch.nn import functional  # noqa: E402


class ResidualDenseBlock5C(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        for i in range(1, 6):
            out = gc if i < 5 else nf
            setattr(self, f"conv{i}", nn.Conv2d(nf + (i - 1) * gc, out, 3, 1, 1))

    def forward(self, x):
        features = [x]
        for i in range(1, 5):
            y = getattr(self, f"conv{i}")(torch.cat(features, 1))
            features.append(functional.leaky_relu(y, 0.2))
        return x + self.conv5(torch.cat(features, 1)) * 0.2


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.RDB1 = ResidualDenseBlock5C(nf, gc)
        self.RDB2 = ResidualDenseBlock5C(nf, gc)
        self.RDB3 = ResidualDenseBlock5C(nf, gc)

    def forward(self, x):
        return x + self.RDB3(self.RDB2(self.RDB1(x))) * 0.2


class RRDBNet(nn.Module):
    """ESRGAN's generator; `scale` 2 or 1 put pixel-unshuffle in front."""

    def __init__(self, in_nc=3, out_nc=3, nf=64, nb=23, gc=32, scale=4):
        super().__init__()
        self.unshuffle = 4 // scale
        self.conv_first = nn.Conv2d(in_nc * self.unshuffle**2, nf, 3, 1, 1)
        self.RRDB_trunk = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.HRconv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, out_nc, 3, 1, 1)

    def forward(self, x):
        if self.unshuffle > 1:
            x = functional.pixel_unshuffle(x, self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.trunk_conv(self.RRDB_trunk(feat))
        for conv in (self.upconv1, self.upconv2):
            feat = functional.interpolate(feat, scale_factor=2, mode="nearest")
            feat = functional.leaky_relu(conv(feat), 0.2)
        return self.conv_last(functional.leaky_relu(self.HRconv(feat), 0.2))


def randomize(model, seed):
    """Weights large enough that a wrong permutation shows in the output."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return model


def basicsr_names(state):
    """Renames ESRGAN's keys to BasicSR / Real-ESRGAN's."""
    renamed = {}
    for key, value in state.items():
        key = re.sub(r"^RRDB_trunk\.(\d+)\.RDB(\d)", r"body.\1.rdb\2", key)
        for old, new in [
            ("trunk_conv", "conv_body"),
            ("upconv1", "conv_up1"),
            ("upconv2", "conv_up2"),
            ("HRconv", "conv_hr"),
        ]:
            key = key.replace(old, new)
        renamed[key] = value
    return renamed


class VGGStyleDiscriminator(nn.Module):
    """BasicSR's VGG-style discriminator for 128x128 inputs, from its description."""

    def __init__(self, num_in_ch=3, num_feat=64):
        super().__init__()
        widths = [num_feat, num_feat * 2, num_feat * 4, num_feat * 8, num_feat * 8]
        layers, previous = [], num_in_ch
        for stage, width in enumerate(widths):
            layers += [nn.Conv2d(previous, width, 3, 1, 1, bias=stage == 0)]
            if stage:
                layers += [nn.BatchNorm2d(width, affine=True)]
            layers += [
                nn.LeakyReLU(0.2),
                nn.Conv2d(width, width, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width, affine=True),
                nn.LeakyReLU(0.2),
            ]
            previous = width
        self.features = nn.Sequential(*layers)
        self.linear1 = nn.Linear(num_feat * 8 * 4 * 4, 100)
        self.linear2 = nn.Linear(100, 1)

    def forward(self, x):
        x = self.features(x).flatten(1)
        return self.linear2(functional.leaky_relu(self.linear1(x), 0.2))
