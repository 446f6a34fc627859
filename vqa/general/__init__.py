"""The general VQA model: any transformers visual question answering model,
asked beside the face models or, for questions no face model answers, alone.

One name in code, "general VQA model": this package, its answer
(`GeneralAnswer`), the model's hub id or folder (`general_vqa` in
vqa.pipeline.ask, vqa.AskOptions and vqa.Engine). The old spellings users
have stay as aliases: the flags `--vqa-model` and `--second-opinion`, the
JSON key `second_opinion`, `Engine(second_opinion=...)`,
`ask(second_opinion=..., vqa_ig_steps=...)` and `Result.second_opinion`.

    from vqa import general
    said = general.ask(photo, "Is he wearing glasses?", model="dandelin/vilt-b32-finetuned-vqa",
                       explain=True)   # a GeneralAnswer; its .error says why when it cannot answer
    said = general.explain(photo, question, said)   # its IG map added later, without asking again

adapters.py: one small adapter per kind of model (ViLT's classifier, BLIP's
generator), chosen from the loaded config. model.py: loading once per model,
asking, and where it looked (Integrated Gradients over the photo, computed
with captum). answer.py: the record of its answer, and its JSON.

Optional: it needs torch and captum (requirements-vqa.txt) and the weights, a
Hugging Face Hub id (downloaded once into the Hugging Face cache;
HF_HUB_OFFLINE is honoured) or a folder saved with save_pretrained. When any
is missing, the GeneralAnswer says why in one line and everything else keeps
working. Importing this package imports neither torch nor transformers.
"""
from __future__ import annotations

from vqa.general.adapters import ADAPTERS, IG_STEPS, MAX_ANSWER_TOKENS, Adapter, BlipAdapter, ViltAdapter
from vqa.general.answer import GeneralAnswer
from vqa.general.model import (
    DEFAULT_MODEL,
    INSTALL_HINT,
    TOP_K,
    GeneralVqaUnavailable,
    ask,
    explain,
    load,
    model_of,
    photo_heatmap,
)

__all__ = ["ADAPTERS", "Adapter", "BlipAdapter", "DEFAULT_MODEL", "GeneralAnswer", "GeneralVqaUnavailable",
           "IG_STEPS", "INSTALL_HINT", "MAX_ANSWER_TOKENS", "TOP_K", "ViltAdapter", "ask", "explain", "load",
           "model_of", "photo_heatmap"]
