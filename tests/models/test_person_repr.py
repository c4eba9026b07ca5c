from __future__ import annotations

import pytest
import torch

from fitroom.labels import Body25, Cihp
from fitroom.models import person_repr as pr


def test_heatmap_peaks_at_the_keypoint_and_missing_is_zero():
    kp = torch.zeros(2, 25, 3)
    kp[0, Body25.NOSE] = torch.tensor([10.0, 20.0, 0.9])
    kp[1, Body25.LEFT_WRIST] = torch.tensor([40.0, 5.0, 1.0])
    heat = pr.pose_heatmaps(kp, (64, 48))
    assert heat.shape == (2, 25, 64, 48)
    nose = heat[0, Body25.NOSE]
    assert nose.max() == pytest.approx(1.0)
    y, x = divmod(int(nose.argmax()), 48)
    assert (x, y) == (10, 20)
    assert heat[0, Body25.NECK].abs().sum() == 0  # missing
    assert heat[1, Body25.NOSE].abs().sum() == 0
    y, x = divmod(int(heat[1, Body25.LEFT_WRIST].argmax()), 48)
    assert (x, y) == (40, 5)


def test_heatmap_rescales_from_source_size():
    kp = torch.tensor([[[95.0, 191.0, 1.0]] + [[0.0, 0.0, 0.0]] * 24])  # in a 256x192 image
    heat = pr.pose_heatmaps(kp, (128, 96), src_size=(256, 192))
    y, x = divmod(int(heat[0, 0].argmax()), 96)
    assert (x, y) == (47, 95)  # (95 + .5) / 2 - .5 = 47.25


def test_heatmap_errors():
    with pytest.raises(ValueError, match="x, y, conf"):
        pr.pose_heatmaps(torch.zeros(1, 25, 2), (8, 8))
    with pytest.raises(ValueError, match="sigma"):
        pr.pose_heatmaps(torch.zeros(25, 3), (8, 8), sigma=0)


def test_parse_onehot_full_and_groups():
    parse = torch.tensor([[Cihp.BACKGROUND, Cihp.HAIR], [Cihp.LEFT_ARM, Cihp.GLOVE]])
    full = pr.parse_onehot(parse)
    assert full.shape == (20, 2, 2) and torch.equal(full.sum(0), torch.ones(2, 2))
    assert full[Cihp.LEFT_ARM, 1, 0] == 1
    red = pr.parse_onehot(parse, pr.REDUCED_GROUPS)
    assert red.shape == (len(pr.REDUCED_GROUPS), 2, 2)
    assert torch.equal(red.sum(0), torch.ones(2, 2))
    with pytest.raises(ValueError, match="ids must be in"):
        pr.parse_onehot(torch.tensor([[25]]))


def test_reduced_groups_partition_cihp():
    ids = sorted(int(i) for _, g in pr.REDUCED_GROUPS for i in g)
    assert ids == list(range(len(Cihp)))


def test_person_representation_channels():
    b, h, w = 2, 64, 48
    parse = torch.full((b, h, w), int(Cihp.BACKGROUND))
    parse[:, 10:20] = Cihp.FACE
    parse[:, 20:40, 10:38] = Cihp.UPPER_CLOTHES
    parse[:, 40:] = Cihp.PANTS
    person = torch.rand(b, 3, h, w) * 2 - 1
    kp = torch.zeros(b, 25, 3)
    kp[:, Body25.NECK] = torch.tensor([24.0, 20.0, 1.0])
    rep = pr.person_representation(kp, parse, person=person)
    assert rep.shape == (b, pr.PERSON_CHANNELS, h, w) and pr.PERSON_CHANNELS == 33
    agn = rep[:, :3]
    assert torch.all(agn[:, :, 30, 24] == 0)  # the garment is removed
    assert torch.equal(agn[:, :, 5, 5], person[:, :, 5, 5])
    kept = rep[:, 28:]
    names = [n for n, _ in pr.KEPT_GROUPS]
    assert kept[0, names.index("face"), 15, 24] == 1
    assert kept[0, names.index("lower_garment"), 50, 24] == 1
    assert kept[0, :, 30, 24].sum() == 0  # changing region: no kept channel
    assert rep[0, 3 + Body25.NECK, 20, 24] == pytest.approx(1.0)
    # a provided agnostic image is used as is
    agnostic = torch.zeros(b, 3, h, w)
    rep2 = pr.person_representation_from_batch({"keypoints": kp, "parse": parse, "agnostic": agnostic})
    assert torch.equal(rep2[:, :3], agnostic) and torch.equal(rep2[:, 3:], rep[:, 3:])
    with pytest.raises(ValueError, match="agnostic image or the person"):
        pr.person_representation(kp, parse)
