"""app.a11y without a browser: the theme's colours meet WCAG AA by the WCAG formula, and the
alt texts say the method, the model, its answer and the map's top face regions."""
from __future__ import annotations

import re
import types

import pytest

from app import a11y, trust_view

AA = 4.5  # WCAG 2.x AA, normal text


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def resolve(theme, name: str, dark: bool = False) -> str:
    """A theme variable as #rrggbb, following its *references as Gradio's CSS does (a dark
    page reads each variable's _dark value where it has one)."""
    value = getattr(theme, f"{name}_dark", None) if dark else None
    value = value or getattr(theme, name)
    if value.startswith("*"):
        return resolve(theme, value[1:], dark)
    return {"white": "#ffffff", "black": "#000000"}.get(value, value)


def blend(colour: str, background: str, alpha: float) -> str:
    mixed = [round(alpha * int(colour[i:i + 2], 16) + (1 - alpha) * int(background[i:i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def test_the_wcag_formula_here_gives_its_known_values():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ea580c") == pytest.approx(3.55, abs=0.01)  # axe's number for the old Ask button
    assert contrast("#ffffff", "#f97316") == pytest.approx(2.80, abs=0.01)


@pytest.mark.parametrize("dark", [False, True])
def test_the_primary_buttons_and_the_subdued_text_meet_aa(dark):
    theme = a11y.theme()
    for fill in ("button_primary_background_fill", "button_primary_background_fill_hover"):
        assert contrast(resolve(theme, "button_primary_text_color", dark), resolve(theme, fill, dark)) >= AA
    for background in ("body_background_fill", "block_background_fill"):
        assert contrast(resolve(theme, "body_text_color_subdued", dark), resolve(theme, background, dark)) >= AA


def test_gradios_default_colours_failed_where_the_theme_replaces_them():
    """The replaced values are the ones that failed: the fix is not a no-op."""
    import gradio as gr

    default = gr.themes.Default()
    assert contrast("#ffffff", resolve(default, "button_primary_background_fill")) < AA
    assert contrast(resolve(default, "body_text_color_subdued"), "#ffffff") < AA


@pytest.mark.parametrize("dark", [False, True])
def test_a_pending_markdown_fades_but_keeps_aa(dark):
    theme = a11y.theme()
    opacity = float(re.search(r'markdown-wrapper"\]\.pending \{ opacity: ([0-9.]+); \}', a11y.CSS).group(1))
    background = resolve(theme, "block_background_fill", dark)
    faded = blend(resolve(theme, "body_text_color", dark), background, opacity)
    assert contrast(faded, background) >= AA
    assert contrast(blend(resolve(theme, "body_text_color"), "#ffffff", 0.2), "#ffffff") < AA  # Gradio's 0.2 did not


def test_the_top_regions_are_the_three_with_the_most_weight_most_first():
    shares = {"eyes": 0.12, "brows": 0.05, "nose": 0.3, "mouth": 0.2, "cheeks_jaw": 0.25, "outside": 0.08}
    assert a11y.top_regions(shares) == [("nose", 0.3), ("cheeks_jaw", 0.25), ("mouth", 0.2)]
    assert (a11y.regions_sentence(shares)
            == "Most weight per pixel on the nose (30%), the cheeks and jaw (25%) and the mouth (20%).")
    assert a11y.regions_sentence({"outside": 1.0}) == "Most weight per pixel on the area outside the face (100%)."
    assert a11y.regions_sentence({}) is None and a11y.regions_sentence(None) is None


def test_the_answer_says_the_class_the_map_explains_only_where_it_differs():
    assert a11y.answer_phrase("yes", 0.871, "Female") == "yes (87%), explaining the class Female"
    assert a11y.answer_phrase("Female", 0.871, "Female") == "Female (87%)"
    assert a11y.answer_phrase("cannot answer") == "cannot answer"


def test_a_heatmaps_alt_names_method_model_answer_and_regions_or_why_there_are_none():
    said = a11y.answer_phrase("yes", 0.87, "Female")
    alt = a11y.heatmap_alt("Grad-CAM", "dlib-gender", said, {"eyes": 0.5, "nose": 0.3, "mouth": 0.2})
    assert alt == ("Grad-CAM map of dlib-gender's answer yes (87%), explaining the class Female, on the face. "
                   "Most weight per pixel on the eyes (50%), the nose (30%) and the mouth (20%).")
    missing = a11y.heatmap_alt("Integrated Gradients", "m", "White (90%)", None, where="over the whole photo",
                               regions_missing="no 68 landmarks were found.")
    assert missing == ("Integrated Gradients map of m's answer White (90%), over the whole photo. "
                       "Face regions: no 68 landmarks were found.")


def _face(regions=None, regions_note=None, stability=None, maps=("gradcam",)):
    """A real FaceResult with one record of model m (answer White, 90%), its maps, and
    region shares when given (as the regions check leaves them, beside an occlusion check)."""
    import numpy as np

    from tests.app.helpers import answer_of, face_of, info, record_of
    from vqa.result import ExplainedMap

    answer = answer_of("m", "White", 0.9, labels=("White", "Black"), probs=(0.9, 0.1), attribute="race",
                       stability=stability)
    explained = {method: ExplainedMap(np.zeros((8, 8), np.float32), info(), regions=(regions or {}).get(method))
                 for method in maps}
    occlusion = object() if regions else None  # the regions check ran
    return face_of(record_of(answer, explained, occlusion=occlusion), regions_note=regions_note)


def test_views_give_each_made_map_its_alt_and_say_why_regions_are_missing():
    from tests.app.helpers import result_of

    result = result_of(faces=[_face({"gradcam": {"eyes": 0.6, "nose": 0.4}})])
    alts = trust_view.heatmap_alts(result, 0, "m")
    assert alts == {"gradcam": "Grad-CAM map of m's answer White (90%), on the face. "
                               "Most weight per pixel on the eyes (60%) and the nose (40%).",
                    "guided": None, "ig": None}
    pending = trust_view.heatmap_alts(result_of(faces=[_face()]), 0, "m", whole_photo=True)["gradcam"]
    assert pending.endswith("over the whole photo. Face regions: still being measured.")
    checked = _face(stability=types.SimpleNamespace(stable=True))  # the slow stage ran with the regions check off
    assert trust_view.heatmap_alts(result_of(faces=[checked]), 0, "m")["gradcam"].endswith(
        "Face regions: not measured.")
    note = "no 68 landmarks on this face"
    assert trust_view.heatmap_alts(result_of(faces=[_face(regions_note=note)]), 0, "m")["gradcam"].endswith(
        f"Face regions: {note}.")


def test_the_face_pickers_alt_says_which_face_is_answered_and_the_keyboard_way_to_another():
    assert "one face" in a11y.faces_alt(1, 0)
    many = a11y.faces_alt(3, 1)
    assert "3 faces" in many and "face 2, in gold, is the one answered" in many and "Face number" in many
