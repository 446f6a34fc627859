"""The words around the tabs: the introduction above them and the privacy
note below them (each tab's own words are in its module; the teaching text is
app/how_tab.py)."""
from __future__ import annotations

INTRO = """\
# Face XAI: ask a face model a question, and see why it answers

Upload a photo, ask a question such as *"How old is this person?"* or *"Is she
East Asian?"*. The app finds the face, sends the question to the model trained
for it (race, gender or age), answers with a confidence, and shows **where the
model looked** with three heatmaps. Every answer names the data its model was
trained on. These models guess from pixels; they do not know who anyone is.
"""

SHARE_RELAY = ("With `--share`, Gradio's share relay (a server run by Gradio, reached over the internet) "
               "forwards everything between your browser and this app: the photos you upload, your questions, "
               "the answers and the heatmap images.")


def privacy(retention_s: float, cache_sweep: tuple[int, int], share: bool = False) -> str:
    """What happens to a photo, said exactly as the app is configured."""
    every, older_than = cache_sweep
    text = (
        "### Privacy\n\n"
        f"Your photo and everything made from it (the faces found, the answers, the heatmaps) are kept in "
        f"this server's memory for **{_duration(retention_s)} from the moment you ask**, so that you can "
        "switch faces, models and opacity without asking again; then they are deleted. Clicking does not "
        "extend that time, and closing the page deletes them at once. Gradio also writes the upload and the "
        "images it sends to your browser as files in the app's private temporary folder; those are deleted "
        f"once they are {_duration(older_than)} old (checked every {_duration(every)}) and when the app stops. "
        "Nothing is flagged or sent anywhere else, and Gradio's analytics are off. When something goes wrong, "
        "the app's log gets one line naming the kind of error and where in the code it happened: never your "
        "photo or your question."
    )
    if share:
        text += "\n\n**This app runs with a public share link.** " + SHARE_RELAY
    return text


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"
