from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.pipelines import TryOnPipeline
from fitroom.pipelines.debug import save_debug


def test_debug_dir_gets_one_image_per_stage(tmp_path):
    r = TryOnPipeline()(load_image(example_person()), load_image(example_garments()[0]))
    paths = save_debug(r, tmp_path / "dbg")
    names = sorted(p.stem for p in paths)
    assert names == ["1_pose", "2_parse", "3_removed_region", "4_garment_mask_landmarks", "5_warped_garment",
                     "6_result", "7_side_by_side"]
    for p in paths:
        img = load_image(p)
        assert img.shape[0] > 100
