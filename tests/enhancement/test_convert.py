"""Converted official checkpoints reproduce a PyTorch reference network."""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.cli import main

pytestmark = pytest.mark.extra("torch")


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


@pytest.fixture(scope="module")
def torch_reference():
    from tests.enhancement import torch_reference

    return torch_reference


def torch_output(model, image):
    import torch

    with torch.no_grad():
        out = model(torch.from_numpy(image.transpose(0, 3, 1, 2)))
    return out.numpy().transpose(0, 2, 3, 1)


def keras_output(model, image):
    return keras.ops.convert_to_numpy(model(image))


@pytest.mark.parametrize(
    "scale, naming, wrapper",
    [
        (4, "official", None),
        (4, "basicsr", "params_ema"),
        (2, "basicsr", "params_ema"),
        (1, "basicsr", "params"),
    ],
)
def test_converted_outputs_match(
    torch, torch_reference, tmp_path, scale, naming, wrapper
):
    reference = torch_reference.randomize(
        torch_reference.RRDBNet(nf=16, nb=2, gc=8, scale=scale), seed=scale
    ).eval()
    state = reference.state_dict()
    if naming == "basicsr":
        state = torch_reference.basicsr_names(state)
    if wrapper:
        decoy = {k: torch.zeros_like(v) for k, v in state.items()}
        state = {
            wrapper: state,
            **({"params": decoy} if wrapper == "params_ema" else {}),
        }
    path = tmp_path / "net.pth"
    torch.save(state, path)
    model = kp.models.RRDBNet.from_torch_checkpoint(str(path))
    assert (model.scale, model.num_blocks, model.filters, model.growth) == (
        scale,
        2,
        16,
        8,
    )
    image = np.random.default_rng(0).random((2, 12, 16, 3), dtype=np.float32)
    expected = torch_output(reference, image)
    assert expected.shape == (2, 12 * scale, 16 * scale, 3)
    np.testing.assert_allclose(keras_output(model, image), expected, atol=1e-4, rtol=0)


def test_numpy_state_dict_and_key_choice(torch_reference):
    reference = torch_reference.randomize(
        torch_reference.RRDBNet(nf=8, nb=1, gc=4), seed=7
    )
    arrays = {k: v.numpy() for k, v in reference.state_dict().items()}
    model = kp.models.RRDBNet.from_torch_checkpoint(arrays)
    image = np.random.default_rng(1).random((1, 6, 5, 3), dtype=np.float32)
    np.testing.assert_allclose(
        keras_output(model, image), torch_output(reference, image), atol=1e-4
    )
    wrapped = {"params": {k: v * 0 for k, v in arrays.items()}, "params_ema": arrays}
    chosen = kp.models.RRDBNet.from_torch_checkpoint(wrapped, key="params")
    assert np.all(keras.ops.convert_to_numpy(chosen(image)) == 0.0)
    with pytest.raises(ValueError, match="key"):
        kp.models.RRDBNet.from_torch_checkpoint(wrapped, key="weights")


def test_mismatched_checkpoints_list_the_keys(torch_reference):
    reference = torch_reference.RRDBNet(nf=8, nb=2, gc=4)
    state = {k: v.numpy() for k, v in reference.state_dict().items()}
    del state["RRDB_trunk.1.RDB2.conv3.bias"]
    state["extra.weight"] = np.zeros(3, np.float32)
    state["HRconv.weight"] = np.zeros((8, 8, 1, 1), np.float32)
    with pytest.raises(ValueError) as info:
        kp.models.RRDBNet.from_torch_checkpoint(state)
    message = str(info.value)
    assert "body.1.rdb2.conv3.bias" in message and "extra.weight" in message
    assert "conv_hr.weight: (8, 8, 1, 1) != (8, 8, 3, 3)" in message
    with pytest.raises(ValueError, match="conv_first"):
        kp.models.RRDBNet.from_torch_checkpoint({"x.weight": np.zeros(1)})


def test_unshuffle_permutation_matches_pytorch(torch):
    from keras_patterns.enhancement.convert import unshuffle_permutation

    x = np.random.default_rng(2).random((1, 8, 6, 3), dtype=np.float32)
    ours = np.asarray(kp.layers.PixelUnshuffle(2)(x))
    theirs = (
        torch.nn.functional.pixel_unshuffle(
            torch.from_numpy(x.transpose(0, 3, 1, 2)), 2
        )
        .numpy()
        .transpose(0, 2, 3, 1)
    )
    np.testing.assert_array_equal(ours, theirs[..., unshuffle_permutation(3, 2)])


def test_convert_command(torch, torch_reference, tmp_path):
    import keras

    reference = torch_reference.RRDBNet(nf=8, nb=1, gc=4)
    torch.save(reference.state_dict(), tmp_path / "in.pth")
    out = tmp_path / "out.keras"
    assert main(["convert-esrgan", str(tmp_path / "in.pth"), str(out)]) == 0
    restored = keras.saving.load_model(out, safe_mode=True)
    image = np.random.default_rng(3).random((1, 5, 4, 3), dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(image)),
        torch_output(reference, image),
        atol=1e-4,
    )
