import pytest
import torch

from gen_core.latent import interpolate


@pytest.mark.parametrize("path", ["linear", "spherical"])
def test_paths_start_and_end_on_the_endpoints(path):
    a, b = torch.randn(8), torch.randn(8)
    z = interpolate(a, b, 7, path)
    assert z.shape == (7, 8)
    assert torch.allclose(z[0], a, atol=1e-5) and torch.allclose(z[-1], b, atol=1e-5)


def test_slerp_keeps_the_norm_where_lerp_shrinks_it():
    a = torch.tensor([1.0, 0.0])
    b = torch.tensor([0.0, 1.0])
    mid_s = interpolate(a, b, 3, "spherical")[1]
    mid_l = interpolate(a, b, 3, "linear")[1]
    assert float(mid_s.norm()) == pytest.approx(1.0)
    assert float(mid_l.norm()) == pytest.approx(2 ** -0.5)
    assert torch.allclose(mid_s, torch.tensor([2 ** -0.5, 2 ** -0.5]))


def test_bad_paths_are_refused():
    with pytest.raises(ValueError, match="unknown path"):
        interpolate(torch.ones(2), torch.zeros(2), 4, "zigzag")
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(torch.ones(2), torch.zeros(2), 1)
