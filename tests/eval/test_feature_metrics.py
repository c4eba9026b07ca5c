"""MS-SSIM, FID/KID maths, the LPIPS / Inception weight loading, metric availability."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from fitroom.errors import FitroomError
from fitroom.eval.feature_metrics import (
    LPIPS,
    InceptionFeatures,
    MetricWeightsError,
    fid_from_features,
    frechet_distance,
    kid_from_features,
    metric_availability,
    ms_ssim,
)
from fitroom.eval.metrics import ssim


def _img(seed: int = 0, shape=(64, 48, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth(seed: int, shape=(192, 176, 3)) -> np.ndarray:
    """A smooth image (low-frequency content), so that noise lowers MS-SSIM monotonically."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (shape[0] // 16 + 1, shape[1] // 16 + 1, 3))
    big = np.kron(small, np.ones((16, 16, 1)))[: shape[0], : shape[1]]
    return np.clip(big, 0, 255).astype(np.uint8)


def _noisy(x: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    return np.clip(x + np.random.default_rng(seed).normal(0, sigma, x.shape), 0, 255).astype(np.uint8)


# --- MS-SSIM -------------------------------------------------------------------------------
def test_ms_ssim_identity_and_noise_ordering():
    x = _smooth(0)  # 192 x 176: all five scales fit
    assert ms_ssim(x, x) == pytest.approx(1.0)
    small, large = ms_ssim(x, _noisy(x, 5)), ms_ssim(x, _noisy(x, 40))
    assert 1.0 > small > large > 0.0
    assert ms_ssim(_noisy(x, 40), x) == pytest.approx(large)  # symmetric


def test_ms_ssim_single_scale_is_skimage_ssim():
    x, y = _smooth(1, (20, 18, 3)), _noisy(_smooth(1, (20, 18, 3)), 20)  # 20 px: one scale fits
    ref = structural_similarity(x, y, channel_axis=2, data_range=255, gaussian_weights=True,
                                sigma=1.5, use_sample_covariance=False)
    assert ms_ssim(x, y) == pytest.approx(ref, abs=1e-9)
    # forced single scale on a larger image
    a = _noisy(_smooth(2, (64, 48, 3)), 10)
    b = _noisy(_smooth(2, (64, 48, 3)), 10, seed=5)
    assert ms_ssim(a, b, scales=1) == pytest.approx(ssim(a, b), abs=1e-9)


def test_ms_ssim_small_images_renormalise_weights():
    x = _smooth(3, (48, 48, 3))  # 48 // 4 = 12 >= 11, 48 // 8 = 6 < 11 -> three scales
    y = _noisy(x, 15)
    assert ms_ssim(x, y) == pytest.approx(ms_ssim(x, y, scales=3))
    assert ms_ssim(x, y) != pytest.approx(ms_ssim(x, y, scales=2))
    with pytest.raises(ValueError, match="4 scales"):
        ms_ssim(x, y, scales=4)


def test_ms_ssim_errors():
    x = _img()
    with pytest.raises(ValueError, match="uint8"):
        ms_ssim(x.astype(np.float32), x)
    with pytest.raises(ValueError, match="shape"):
        ms_ssim(x, x[:-1])
    with pytest.raises(ValueError, match="11x11"):
        ms_ssim(x[:10], x[:10])


# --- Fréchet distance / FID / KID --------------------------------------------------------
def test_frechet_distance_1d_and_diagonal_closed_form():
    # 1-D: (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2)
    assert frechet_distance(1.0, 4.0, 3.0, 9.0) == pytest.approx(4 + 4 + 9 - 2 * 6)
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 0.5, 0.5])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)
    assert frechet_distance(mu1, np.diag(s1), mu1, np.diag(s1)) == pytest.approx(0.0, abs=1e-9)


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def test_frechet_distance_full_covariance_matches_eigen_computation():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    # independent: Tr (s1 s2)^1/2 = Tr (s1^1/2 s2 s1^1/2)^1/2, via symmetric eigendecompositions
    r = _psd_sqrt(s1)
    tr_covmean = np.trace(_psd_sqrt(r @ s2 @ r))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_covmean
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_singular_covariances_and_errors():
    s = np.zeros((3, 3))
    s[0, 0] = 1.0  # rank 1: sqrtm of the product is singular
    assert frechet_distance(np.zeros(3), s, np.zeros(3), s) == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ValueError, match="covariances"):
        frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))


def test_fid_of_a_set_with_itself_and_a_shift():
    f = np.random.default_rng(0).normal(size=(200, 8))
    assert fid_from_features(f, f) == pytest.approx(0.0, abs=1e-6)
    assert fid_from_features(f, f + 1.0) == pytest.approx(8.0, rel=1e-6)  # ||shift||^2, same cov
    with pytest.raises(ValueError, match="feature sizes"):
        fid_from_features(f, f[:, :4])
    with pytest.raises(ValueError, match="N >= 2"):
        fid_from_features(f[:1], f[:1])


def test_kid_identical_vs_shifted_and_formula():
    rng = np.random.default_rng(0)
    f1, f2 = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    same_mean, same_std = kid_from_features(f1, f2, subsets=20, subset_size=100)
    shift_mean, _ = kid_from_features(f1, f2 + 1.0, subsets=20, subset_size=100)
    assert abs(same_mean) < 0.01 and same_std >= 0
    assert shift_mean > 0.1 > abs(same_mean)
    assert kid_from_features(f1, f2, subsets=5, subset_size=50, seed=3) == kid_from_features(
        f1, f2, subsets=5, subset_size=50, seed=3)  # seeded

    # one subset holding every row: the unbiased MMD^2 of the full sets, written out directly
    x, y = f1[:40], f2[:40] + 0.5
    m, d = len(x), x.shape[1]
    k = lambda p, q: (p @ q.T / d + 1) ** 3  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    off = ~np.eye(m, dtype=bool)
    expected = kxx[off].mean() + kyy[off].mean() - 2 * kxy.mean()
    mean, std = kid_from_features(x, y, subsets=1, subset_size=1000)  # clamped to 40
    assert mean == pytest.approx(expected, rel=1e-9) and std == 0.0


# --- weight files: Inception ---------------------------------------------------------------
def _conv_keys(prefix: str, cin: int, cout: int, kh: int, kw: int) -> dict[str, tuple]:
    return {f"{prefix}.conv.weight": (cout, cin, kh, kw), f"{prefix}.bn.weight": (cout,), f"{prefix}.bn.bias": (cout,),
            f"{prefix}.bn.running_mean": (cout,), f"{prefix}.bn.running_var": (cout,)}


def _inception_spec() -> dict[str, tuple]:
    """Key -> shape of pytorch-fid's fid_inception_v3() state dict (torchvision Inception3,
    aux_logits=False, num_classes=1008), written out from torchvision's inception.py."""
    spec: dict[str, tuple] = {}

    def add(block, convs):
        for name, cin, cout, kh, kw in convs:
            spec.update(_conv_keys(f"{block}.{name}" if name else block, cin, cout, kh, kw))

    for name, cin, cout, k in (("Conv2d_1a_3x3", 3, 32, 3), ("Conv2d_2a_3x3", 32, 32, 3), ("Conv2d_2b_3x3", 32, 64, 3),
                               ("Conv2d_3b_1x1", 64, 80, 1), ("Conv2d_4a_3x3", 80, 192, 3)):
        add(name, [(None, cin, cout, k, k)])
    for blk, cin, pf in (("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)):
        add(blk, [("branch1x1", cin, 64, 1, 1), ("branch5x5_1", cin, 48, 1, 1), ("branch5x5_2", 48, 64, 5, 5),
                  ("branch3x3dbl_1", cin, 64, 1, 1), ("branch3x3dbl_2", 64, 96, 3, 3),
                  ("branch3x3dbl_3", 96, 96, 3, 3), ("branch_pool", cin, pf, 1, 1)])
    add("Mixed_6a", [("branch3x3", 288, 384, 3, 3), ("branch3x3dbl_1", 288, 64, 1, 1),
                     ("branch3x3dbl_2", 64, 96, 3, 3), ("branch3x3dbl_3", 96, 96, 3, 3)])
    for blk, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        add(blk, [("branch1x1", 768, 192, 1, 1), ("branch7x7_1", 768, c7, 1, 1), ("branch7x7_2", c7, c7, 1, 7),
                  ("branch7x7_3", c7, 192, 7, 1), ("branch7x7dbl_1", 768, c7, 1, 1), ("branch7x7dbl_2", c7, c7, 7, 1),
                  ("branch7x7dbl_3", c7, c7, 1, 7), ("branch7x7dbl_4", c7, c7, 7, 1),
                  ("branch7x7dbl_5", c7, 192, 1, 7), ("branch_pool", 768, 192, 1, 1)])
    add("Mixed_7a", [("branch3x3_1", 768, 192, 1, 1), ("branch3x3_2", 192, 320, 3, 3),
                     ("branch7x7x3_1", 768, 192, 1, 1), ("branch7x7x3_2", 192, 192, 1, 7),
                     ("branch7x7x3_3", 192, 192, 7, 1), ("branch7x7x3_4", 192, 192, 3, 3)])
    for blk, cin in (("Mixed_7b", 1280), ("Mixed_7c", 2048)):
        add(blk, [("branch1x1", cin, 320, 1, 1), ("branch3x3_1", cin, 384, 1, 1), ("branch3x3_2a", 384, 384, 1, 3),
                  ("branch3x3_2b", 384, 384, 3, 1), ("branch3x3dbl_1", cin, 448, 1, 1),
                  ("branch3x3dbl_2", 448, 384, 3, 3), ("branch3x3dbl_3a", 384, 384, 1, 3),
                  ("branch3x3dbl_3b", 384, 384, 3, 1), ("branch_pool", cin, 192, 1, 1)])
    spec["fc.weight"], spec["fc.bias"] = (1008, 2048), (1008,)
    return spec


def _random_state_dict(spec: dict[str, tuple], seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for k, shape in spec.items():
        if k.endswith("running_var") or k.endswith("bn.weight"):
            sd[k] = 0.5 + torch.rand(shape, generator=g)
        elif len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            sd[k] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
        else:
            sd[k] = 0.1 * torch.randn(shape, generator=g)
    return sd


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(_random_state_dict(_inception_spec()), path)
    return path


def test_inception_loads_pytorch_fid_layout_and_extracts_2048_features(inception_file):
    spec = _inception_spec()
    assert len([k for k in spec if k.endswith("conv.weight")]) == 94
    net = InceptionFeatures(inception_file)
    own = {k: tuple(v.shape) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert own == {k: v for k, v in spec.items() if not k.startswith("fc.")}  # exactly the file's layout
    assert torch.equal(net.Mixed_7c.branch_pool.conv.weight, torch.load(inception_file)["Mixed_7c.branch_pool.conv.weight"])
    # sizes differ in the list, so each image is its own batch of one (two forward passes)
    f = net.features([_img(1, (40, 30, 3)), _img(2, (50, 50, 3))])
    assert f.shape == (2, 2048) and f.dtype == np.float64
    assert np.isfinite(f).all() and (f >= 0).all()  # average pool of ReLU outputs
    assert not np.allclose(f[0], f[1])


def test_inception_weight_errors(tmp_path, inception_file):
    with pytest.raises(MetricWeightsError, match="pt_inception-2015-12-05-6726825d.pth.*never downloads") as e:
        InceptionFeatures(tmp_path / "missing.pth")
    assert isinstance(e.value, FitroomError)
    with pytest.raises(MetricWeightsError, match="no path was given"):
        InceptionFeatures(None)
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, wrong)
    with pytest.raises(MetricWeightsError, match="lacks.*Conv2d_1a_3x3"):
        InceptionFeatures(wrong)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(MetricWeightsError, match="could not be read"):
        InceptionFeatures(garbage)
    sd = torch.load(inception_file)
    sd["Mixed_5b.branch1x1.conv.weight"] = torch.zeros(1, 1, 1, 1)
    bad_shape = tmp_path / "bad_shape.pth"
    torch.save(sd, bad_shape)
    with pytest.raises(MetricWeightsError, match="shapes"):
        InceptionFeatures(bad_shape)


# --- weight files: LPIPS ---------------------------------------------------------------------
_ALEX_CONVS = {0: (64, 3, 11), 3: (192, 64, 5), 6: (384, 192, 3), 8: (256, 384, 3), 10: (256, 256, 3)}
_VGG16_CONVS = dict(zip((0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
                        ((64, 3), (64, 64), (128, 64), (128, 128), (256, 128), (256, 256), (256, 256),
                         (512, 256), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512))))


def _lpips_backbone_spec(net: str) -> dict[str, tuple]:
    """torchvision alexnet / vgg16 ``features.N`` keys (as in alexnet-owt-7be5be79.pth, vgg16-397923af.pth)."""
    convs = _ALEX_CONVS if net == "alex" else {i: (o, c, 3) for i, (o, c) in _VGG16_CONVS.items()}
    spec = {}
    for i, (cout, cin, k) in convs.items():
        spec[f"features.{i}.weight"], spec[f"features.{i}.bias"] = (cout, cin, k, k), (cout,)
    return spec


def _lpips_lin_spec(net: str) -> dict[str, tuple]:
    """The lpips package's weights/v0.1/{alex,vgg}.pth: lin0.model.1.weight .. lin4.model.1.weight."""
    chns = (64, 192, 384, 256, 256) if net == "alex" else (64, 128, 256, 512, 512)
    return {f"lin{k}.model.1.weight": (1, c, 1, 1) for k, c in enumerate(chns)}


def _lin_sd(net: str) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {k: torch.rand(s, generator=g) for k, s in _lpips_lin_spec(net).items()}  # lin weights are >= 0


def test_lpips_single_file_matches_direct_computation(tmp_path):
    sd = {**_random_state_dict(_lpips_backbone_spec("alex")), **_lin_sd("alex")}
    path = tmp_path / "lpips_alex_full.pth"
    torch.save(sd, path)
    m = LPIPS(path, net="alex")
    assert set(m.state_dict()) == set(sd)

    # independent forward from the raw state dict: alexnet features, lpips ScalingLayer and maths
    def feats(x):
        x = (x - torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)) / torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
        out = []
        x = F.relu(F.conv2d(x, sd["features.0.weight"], sd["features.0.bias"], stride=4, padding=2)); out.append(x)
        x = F.max_pool2d(x, 3, 2)
        x = F.relu(F.conv2d(x, sd["features.3.weight"], sd["features.3.bias"], padding=2)); out.append(x)
        x = F.max_pool2d(x, 3, 2)
        for i in (6, 8, 10):
            x = F.relu(F.conv2d(x, sd[f"features.{i}.weight"], sd[f"features.{i}.bias"], padding=1)); out.append(x)
        return out

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 64, 64))).float()
    y = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 64, 64))).float()
    expected = 0
    for k, (a, b) in enumerate(zip(feats(x), feats(y))):
        a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        expected = expected + ((a - b) ** 2 * sd[f"lin{k}.model.1.weight"]).sum(1).mean(dim=(1, 2))
    torch.testing.assert_close(m(x, y), expected, rtol=1e-4, atol=1e-6)

    img = _img(4, (64, 64, 3))
    assert m.distance(img, img) == pytest.approx(0.0, abs=1e-7)
    near, far = m.distance(img, _noisy(img, 5)), m.distance(img, _img(5, (64, 64, 3)))
    assert 0 < near < far


def test_lpips_vgg_two_files_and_lpips_package_keys(tmp_path):
    backbone = tmp_path / "vgg16-397923af.pth"
    bsd = _random_state_dict(_lpips_backbone_spec("vgg"))
    torch.save({**bsd, "classifier.0.weight": torch.zeros(2, 2)}, backbone)
    lin = tmp_path / "vgg.pth"
    torch.save(_lin_sd("vgg"), lin)
    m = LPIPS(lin, net="vgg", backbone_path=backbone)
    torch.testing.assert_close(m.features[28].weight, bsd["features.28.weight"])
    img = _img(6, (32, 32, 3))
    d = m.distance(img, _img(7, (32, 32, 3)))
    assert d > 0 and m.distance(img, img) == pytest.approx(0.0, abs=1e-7)

    # the official lpips module's full state dict (net.sliceK.N.*) loads to the same metric
    slices = (0, 4, 9, 16, 23, 30)
    full = {}
    for k, v in bsd.items():
        i = int(k.split(".")[1])
        s = next(j for j in range(5) if slices[j] <= i < slices[j + 1])
        full[f"net.slice{s + 1}.{i}.{k.split('.')[2]}"] = v
    full.update(_lin_sd("vgg"))
    torch.save(full, tmp_path / "lpips_module.pth")
    assert LPIPS(tmp_path / "lpips_module.pth", net="vgg").distance(img, _img(7, (32, 32, 3))) == pytest.approx(d, rel=1e-5)


def test_lpips_weight_errors(tmp_path):
    with pytest.raises(MetricWeightsError, match="LPIPS.*never downloads"):
        LPIPS(tmp_path / "nope.pth")
    lin_only = tmp_path / "alex.pth"
    torch.save(_lin_sd("alex"), lin_only)
    with pytest.raises(MetricWeightsError, match="lacks.*features.0.weight"):
        LPIPS(lin_only, net="alex")  # the lin file alone has no backbone
    wrong = tmp_path / "wrong.pth"
    torch.save({"foo": torch.zeros(1)}, wrong)
    with pytest.raises(MetricWeightsError, match="lacks"):
        LPIPS(wrong)
    with pytest.raises(MetricWeightsError, match="alexnet-owt"):
        LPIPS(lin_only, backbone_path=tmp_path / "missing_backbone.pth")
    with pytest.raises(ValueError, match="unknown backbone"):
        LPIPS(lin_only, net="squeeze")


# --- availability ------------------------------------------------------------------------------
def test_metric_availability(tmp_path):
    none = metric_availability()
    assert none == {
        "LPIPS": "not computed: no weights (give --lpips-weights PATH)",
        "FID": "not computed: no weights (give --inception-weights PATH)",
        "KID": "not computed: no weights (give --inception-weights PATH)",
    }
    f = tmp_path / "w.pth"
    f.write_bytes(b"x")
    both = metric_availability(lpips_weights=f, inception_weights=str(f))
    assert both == {"LPIPS": "computed", "FID": "computed", "KID": "computed"}
    gone = metric_availability(lpips_weights=tmp_path / "gone.pth")
    assert gone["LPIPS"].startswith("not computed: no weights file at") and "--lpips-weights" in gone["LPIPS"]


@pytest.mark.slow
def test_evaluate_reports_lpips_fid_kid_when_weights_are_given(tmp_path, inception_file):
    """The evaluation wiring: with weight files the numbers are computed, without them the
    report says why (random weights here: the numbers only have to exist and be finite)."""
    from fitroom.data.synth.writer import synthesize
    from fitroom.eval.evaluate import evaluate

    lp = tmp_path / "lpips_alex.pth"
    torch.save({**_random_state_dict(_lpips_backbone_spec("alex")), **_lin_sd("alex")}, lp)
    data = tmp_path / "syn"
    synthesize(data, 30, (256, 192), seed=2, workers=1)  # 3 test pairs
    rep = evaluate(data, tmp_path / "with", split="test", lpips_weights=lp, inception_weights=inception_file)
    s = rep["subsets"]["all"]
    assert np.isfinite(s["lpips"]) and np.isfinite(s["fid"]) and len(s["kid"]) == 2
    assert 0 < s["ms_ssim"] <= 1
    rep = evaluate(data, tmp_path / "without", split="test")
    assert rep["subsets"]["all"]["fid"].startswith("not computed: no weights")
    assert rep["subsets"]["all"]["lpips"].startswith("not computed: no weights")
