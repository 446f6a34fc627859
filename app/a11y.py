"""Accessibility: the page's theme, CSS and script, and the alt texts of its pictures.

What axe-core (tests/app/test_accessibility.py) found on the page, and where each is fixed:

- Contrast. Gradio's default theme draws white text on orange-500/600 buttons
  (2.8:1 and 3.55:1) and its "subdued" grey (the upload box's "- or -", the footer's
  "Use via API") at 1.9:1; WCAG AA asks 4.5:1 for text. Fixed in the theme (THEME_VARS):
  the primary buttons a shade darker, the subdued grey darker.
- While an answer streams in. Gradio fades a Markdown output to opacity 0.2 while
  its event is pending, so the previous answer, still on screen while a new one is
  asked, fell to 1.5:1 (axe caught it at 2.87:1 on the way); and its progress
  overlay, taller than an empty output, made that output a scrollable region no key
  can reach. Fixed in CSS: a lighter fade that keeps 4.5:1, and Markdown outputs
  that do not scroll down (they grow).
- Gradio's own markup (HEAD's script, where no keyword argument reaches it):
  an empty output's placeholder is a <div aria-label="Empty value"> without a role
  (aria-prohibited-attr); the example photos are <button>s holding only an <img alt="">
  (button-name); a gallery thumbnail's aria-label "Thumbnail 1 of 6" hides its
  visible caption, and the upload box's "Drop an image file here to upload" its
  visible words (label-content-name-mismatch). Upstream: gradio-app/gradio#1178
  (accessibility, open) and #5554 (its audit); the output image's empty alt was
  #13731, fixed by gr.Image(alt_text=...), which the Ask tab's pictures use.

The alt texts (heatmap_alt, faces_alt) are plain functions of plain values, so
that app/views.py, which knows the Result, stays free of Gradio.
"""
from __future__ import annotations

from collections.abc import Mapping

TOP_REGIONS = 3  # the regions an alt text names, most weight first
# models.regions.REGIONS as a person says them.
REGION_WORDS = {"cheeks_jaw": "the cheeks and jaw", "outside": "the area outside the face"}

# Gradio's Default theme with the colours that failed WCAG AA replaced (ratios on white,
# or of white text on the fill). Orange 700/800: 5.2:1 and 7.3:1; neutral 600: 7.7:1.
THEME_VARS = {
    "button_primary_background_fill": "*primary_700",
    "button_primary_background_fill_hover": "*primary_800",
    "button_primary_background_fill_dark": "*primary_700",
    "button_primary_background_fill_hover_dark": "*primary_800",
    "button_primary_text_color": "white",
    "button_primary_text_color_dark": "white",
    "body_text_color_subdued": "*neutral_600",
    "body_text_color_subdued_dark": "*neutral_400",
}

CSS = """
/* Gradio fades a pending Markdown output to opacity 0.2 (1.5:1 for its text); 0.8 keeps the
   cue that it is about to change, and 7.8:1. */
[data-testid="markdown-wrapper"].pending { opacity: 0.8; }
/* A Markdown output grows with its text, so it never needs to scroll down; but Gradio's progress
   overlay, taller than an empty output, made it a scrollable region that no key can reach (axe
   scrollable-region-focusable) while an answer streamed in. Wide tables still scroll sideways. */
.block:has(> [data-testid="markdown-wrapper"]) { overflow-y: hidden !important; }
"""

# Runs in the page: names and roles that Gradio's markup leaves out, re-applied as
# Gradio redraws (a MutationObserver), each only where it is still missing.
HEAD = """
<script>
(() => {
  const fix = (root) => {
    // An empty output's placeholder: aria-label needs a role (axe aria-prohibited-attr).
    root.querySelectorAll('div.empty[aria-label]:not([role])').forEach((el) => el.setAttribute('role', 'img'));
    // Example photos: a button holding only an <img alt="">; named after its file.
    root.querySelectorAll('button.gallery-item:not([aria-label])').forEach((button) => {
      const img = button.querySelector('img');
      if (!img || button.innerText.trim()) return;
      const file = decodeURIComponent(img.src.split('/').pop().split('?')[0]).replace(/\\.[a-z0-9]+$/i, '');
      const block = button.closest('.block');
      const title = block && block.querySelector('.label') ? block.querySelector('.label').innerText.trim() : '';
      button.setAttribute('aria-label', (title ? title + ': ' : '') + file.replace(/[_-]+/g, ' '));
    });
    // A gallery thumbnail's name must hold its visible caption (label-content-name-mismatch).
    root.querySelectorAll('button.thumbnail-item[aria-label]').forEach((button) => {
      const caption = button.querySelector('.caption-label');
      const label = button.getAttribute('aria-label');
      if (caption && caption.innerText.trim() && !label.includes(caption.innerText.trim())) {
        button.setAttribute('aria-label', caption.innerText.trim() + ' (' + label.toLowerCase() + ')');
      }
    });
    // The upload box: its visible words are a better name than a label that leaves them out.
    root.querySelectorAll('button.upload-container[aria-label]').forEach((button) => {
      const words = button.innerText.replace(/\\s+/g, ' ').trim();
      if (words && !button.getAttribute('aria-label').includes(words)) button.removeAttribute('aria-label');
    });
  };
  const start = () => {
    fix(document);
    new MutationObserver(() => fix(document)).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'src', 'class'],
    });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
</script>
"""


def theme():
    """Gradio's Default theme with WCAG AA contrast (THEME_VARS)."""
    import gradio as gr  # lazy: keeps start-up free of Gradio (the alt-text functions below need none)

    return gr.themes.Default().set(**THEME_VARS)


def launch_options() -> dict:
    """What Blocks.launch takes to draw the page accessibly (Gradio 6 takes theme, css and head there)."""
    return {"theme": theme(), "css": CSS, "head": HEAD}


def region_word(region: str) -> str:
    return REGION_WORDS.get(region, f"the {region}")


def top_regions(shares: Mapping[str, float] | None, n: int = TOP_REGIONS) -> list[tuple[str, float]]:
    """The `n` regions with the most weight, most first (ties in REGIONS order, as given)."""
    ranked = sorted((shares or {}).items(), key=lambda item: -float(item[1]))
    return [(region, float(share)) for region, share in ranked[:n]]


def regions_sentence(shares: Mapping[str, float] | None) -> str | None:
    """"Most weight per pixel on the eyes (34%), the nose (21%) and the mouth (15%)." or None."""
    top = [f"{region_word(region)} ({share:.0%})" for region, share in top_regions(shares)]
    if not top:
        return None
    listed = top[0] if len(top) == 1 else ", ".join(top[:-1]) + " and " + top[-1]
    return f"Most weight per pixel on {listed}."


def answer_phrase(answer: str, confidence: float | None = None, evidence: str | None = None) -> str:
    """"yes (87%), explaining the class Female": the answer, its confidence, and the class
    the map explains where that is not the answer itself (yes/no questions, age bands)."""
    said = str(answer) if confidence is None else f"{answer} ({float(confidence):.0%})"
    if evidence and str(evidence).lower() != str(answer).lower():
        said += f", explaining the class {evidence}"
    return said


def heatmap_alt(method_title: str, model: str, answer: str, regions: Mapping[str, float] | None = None,
                where: str = "on the face", regions_missing: str | None = None) -> str:
    """The alt text of one heatmap: what map, of which model's which answer, where it rests.

    answer: answer_phrase(...); regions: {region: share} (FaceResult.regions[model][method]);
    regions_missing: why there are none, said instead."""
    said = regions_sentence(regions) or (f"Face regions: {regions_missing.rstrip('.')}." if regions_missing else "")
    return f"{method_title} map of {model}'s answer {answer}, {where}. {said}".strip()


def faces_alt(count: int, chosen: int) -> str:
    """The face picker's alt text: how many faces, which one is answered, and how to pick another without a mouse."""
    if count == 1:
        return "The photo with the one face found boxed in gold: the face answered."
    return (f"The photo with {count} faces found, boxed and numbered from the largest; face {chosen + 1}, in gold, "
            "is the one answered. Click another box, or set Face number in Method settings, to ask about it.")
