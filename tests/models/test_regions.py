"""Face regions from dlib's 68 landmarks, and region shares of a heatmap (issue 11.2)."""
from __future__ import annotations

import numpy as np
import pytest

from models.faces import align, detect_faces, landmarks68
from models.regions import (
    OUTER_LIPS,
    REGIONS,
    chip_region_masks,
    occluded,
    polygon_mask,
    region_masks,
    region_shares,
)

SIZE = 224


@pytest.fixture(scope="module")
def face_chip(astronaut):
    """The astronaut's FairFace-style chip, its 68 landmarks in chip coordinates, its masks."""
    (face,) = detect_faces(astronaut)
    chip = align(astronaut, face, SIZE, 0.25)
    image_landmarks = landmarks68(astronaut, face)
    return chip, chip.to_chip(image_landmarks), chip_region_masks(chip, image_landmarks)


def _inside(polygon: np.ndarray, size: int) -> np.ndarray:
    """Pixel centres inside `polygon`, by matplotlib's rasteriser (not ours)."""
    from matplotlib.path import Path

    ys, xs = np.mgrid[0:size, 0:size]
    return Path(polygon).contains_points(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(size, size)


def test_polygon_masks_match_matplotlibs_rasteriser_also_past_the_edge():
    rng = np.random.default_rng(1)
    for _ in range(20):
        angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
        radii = rng.uniform(5, 40, 9)
        centre = rng.uniform(-20, 80, 2)  # some polygons hang over the 64 px canvas
        polygon = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        theirs = _inside(polygon, 64)
        ours = polygon_mask(polygon, (64, 64))
        assert (ours != theirs).sum() <= 2  # pixel centres exactly on an edge may go either way


def test_68_landmarks_agree_with_the_5_point_model(astronaut):
    """Eye corners and nose base of the 68-point model land where the 5-point one puts them."""
    (face,) = detect_faces(astronaut)
    points = landmarks68(astronaut, face)
    assert points.shape == (68, 2)
    five = face.landmarks
    inter_ocular = np.linalg.norm(five[0] - five[2])
    for five_index, index68 in ((0, 45), (1, 42), (2, 36), (3, 39), (4, 33)):
        assert np.linalg.norm(points[index68] - five[five_index]) < 0.1 * inter_ocular


def test_the_regions_partition_the_chip_in_anatomical_order(face_chip):
    _, points, masks = face_chip
    assert tuple(masks) == REGIONS
    assert (sum(mask.astype(int) for mask in masks.values()) == 1).all()
    assert all(masks[region].sum() > 0 for region in REGIONS)
    row = {region: np.nonzero(masks[region])[0].mean() for region in ("forehead", "brows", "eyes", "nose", "mouth")}
    assert row["forehead"] < row["brows"] < row["eyes"] < row["nose"] < row["mouth"]
    pixel = lambda index: tuple(np.round(points[index][::-1]).astype(int))  # noqa: E731
    assert all(masks["eyes"][pixel(i)] for i in range(36, 48))
    assert masks["nose"][pixel(30)] and masks["mouth"][pixel(62)] and masks["mouth"][pixel(66)]
    cheek = tuple(np.round((points[3] + points[31])[::-1] / 2).astype(int))  # between jaw and nose wing
    assert masks["cheeks_jaw"][cheek] and masks["outside"][SIZE - 1, 0]


def test_a_heatmap_on_the_mouth_polygon_puts_its_share_in_the_mouth(face_chip):
    _, points, masks = face_chip
    heatmap = _inside(points[list(OUTER_LIPS)], SIZE).astype(float)
    shares = region_shares(heatmap, masks)
    assert shares["mouth"] >= 0.95
    assert sum(shares.values()) == pytest.approx(1.0)


def test_shares_sum_to_one_at_any_heatmap_size(face_chip):
    _, _, masks = face_chip
    rng = np.random.default_rng(0)
    for size in (7, 14, 56, SIZE, 300):
        shares = region_shares(rng.random((size, size)), masks)
        assert tuple(shares) == REGIONS
        assert sum(shares.values()) == pytest.approx(1.0)
    # At the masks' size (no resampling): each region's mean heat over the sum of the means.
    heatmap = rng.random((SIZE, SIZE))
    means = {region: heatmap[masks[region]].mean() for region in REGIONS}
    assert region_shares(heatmap, masks) == pytest.approx({r: m / sum(means.values()) for r, m in means.items()})


def test_shares_are_normalised_by_area(face_chip):
    _, _, masks = face_chip
    for constant in (np.ones((SIZE, SIZE)), np.zeros((SIZE, SIZE))):
        shares = region_shares(constant, masks)
        assert all(share == pytest.approx(1 / len(REGIONS)) for share in shares.values())
    # The cheeks cover 13x the eyes' pixels; the same heat on both is a 50/50 split.
    both = (masks["eyes"] | masks["cheeks_jaw"]).astype(float)
    shares = region_shares(both, masks)
    assert shares["eyes"] == pytest.approx(0.5) and shares["cheeks_jaw"] == pytest.approx(0.5)
    assert masks["cheeks_jaw"].sum() > 10 * masks["eyes"].sum()


def test_a_coarse_heatmap_reads_like_the_fine_one(face_chip):
    """Resampling: a smooth heatmap and its 4x block mean give nearly the same shares."""
    _, points, masks = face_chip
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    centre = points[list(OUTER_LIPS)].mean(axis=0)
    fine = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * 30.0**2))
    coarse = fine.reshape(56, 4, 56, 4).mean(axis=(1, 3))
    a, b = region_shares(fine, masks), region_shares(coarse, masks)
    assert max(abs(a[r] - b[r]) for r in REGIONS) < 0.02
    assert max(a, key=a.get) == "mouth"


def test_bad_inputs_are_refused_with_a_reason(face_chip):
    _, points, masks = face_chip
    with pytest.raises(ValueError, match="68"):
        region_masks(points[:5], SIZE)
    with pytest.raises(ValueError, match="NaN"):
        region_shares(np.full((7, 7), np.nan), masks)
    with pytest.raises(ValueError, match="2-D"):
        region_shares(np.ones((7, 7, 3)), masks)


def test_the_landmark_model_card_states_its_non_commercial_terms():
    from models.cards import face_recognition_models_cards
    from models.faces import face_recognition_models_file

    cards = face_recognition_models_cards()
    landmarks = cards["landmarks68"]
    assert "iBUG 300-W" in landmarks.training_data and "NOT FOR COMMERCIAL USE" in landmarks.terms
    assert "face_recognition_models 0.3.0" in landmarks.package
    for card in cards.values():  # each card names a file the installed package has
        assert face_recognition_models_file(card.file.rsplit("/", 1)[1]).is_file()


def test_occluded_copies_change_their_region_and_nothing_else(face_chip):
    chip, _, masks = face_chip
    batch = occluded(chip.pixels, masks)
    assert batch.shape == (len(REGIONS), SIZE, SIZE, 3) and batch.dtype == np.uint8
    mean = np.rint(chip.pixels.reshape(-1, 3).mean(0)).astype(np.uint8)
    for copy, region in zip(batch, REGIONS):
        changed = (copy != chip.pixels).any(axis=2)
        assert not changed[~masks[region]].any()
        assert (copy[masks[region]] == mean).all()
    assert (occluded(chip.pixels, masks, fill=(0, 0, 0))[REGIONS.index("mouth")][masks["mouth"]] == 0).all()
