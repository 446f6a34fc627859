"""One small adapter per kind of transformers VQA model, chosen from the
loaded config's model_type (ADAPTERS): ViLT's classifier
(ViltForQuestionAnswering: a softmax over a fixed answer vocabulary) and BLIP's
generator (BlipForQuestionAnswering: the answer is generated token by token).
A third kind is one more Adapter subclass here, and nothing else.

The base class owns the shared work (the processor's inputs, the black
baseline, captum's Integrated Gradients over the pixel values, its relative
completeness delta); each kind overrides two hooks: `reply` (its answer) and
`score` (F, the scalar IG explains: a classifier's answer logit, a generator's
log-probability of its answer tokens).
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

# captum's Gauss-Legendre quadrature with this many points: few, as each is a
# forward and backward pass of a transformer on the CPU.
IG_STEPS = 8
IG_BATCH_SIZE = 8  # captum's internal_batch_size: interpolation steps per pass
MAX_ANSWER_TOKENS = 10  # a generator's answer is a few words

# What each published model was trained on. A model not listed here (another
# hub id, a folder) is named with its family's usual training data, and said so.
KNOWN_TRAINING_DATA = {
    "dandelin/vilt-b32-finetuned-vqa": "VQAv2 (fine-tuned; pre-trained on GCC, SBU, COCO and Visual Genome captions)",
    "Salesforce/blip-vqa-base": ("VQAv2 with Visual Genome question-answer pairs (fine-tuned, per the BLIP paper, "
                                 "arXiv:2201.12086; pre-trained on web image-text pairs)"),
    "Salesforce/blip-vqa-capfilt-large": ("VQAv2 with Visual Genome question-answer pairs (fine-tuned, per the BLIP "
                                          "paper, arXiv:2201.12086; pre-trained on web image-text pairs)"),
}


@dataclasses.dataclass(frozen=True)
class Reply:
    """A model's answer before explanation: `target` is what IG explains (a
    classifier's answer index, a generator's token ids)."""

    answer: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    target: Any


class Adapter:
    """The shared work (inputs, the black baseline, captum's IG and its delta);
    each kind of model overrides `reply` and `score`."""

    family: ClassVar[str]  # "ViLT"
    kind: ClassVar[str]  # "classifier" | "generative"
    model_type: ClassVar[str]  # the config's model_type
    model_class: ClassVar[str]  # transformers class names
    processor_class: ClassVar[str]
    usual_training_data: ClassVar[str]
    explains: ClassVar[str]  # what F is, in words

    def __init__(self, name: str, processor, network):
        self.name, self.processor, self.network = name, processor, network

    @classmethod
    def load(cls, key: str, local_only: bool) -> Adapter:
        # lazy: keeps start-up free of transformers
        import transformers
        from transformers.utils import logging as transformers_logging

        # Loading is announced through `progress`; transformers' own bars would
        # only add noise to the CLI and the app's log.
        transformers_logging.disable_progress_bar()
        processor = getattr(transformers, cls.processor_class).from_pretrained(key, local_files_only=local_only)
        network = getattr(transformers, cls.model_class).from_pretrained(key, local_files_only=local_only)
        return cls(key, processor, network.eval())

    @property
    def training_data(self) -> str:
        known = KNOWN_TRAINING_DATA.get(self.name)
        if known:
            return known
        return f"not stated for this model ({self.family}'s published VQA models: {self.usual_training_data})"

    def inputs(self, image: np.ndarray, question: str) -> dict:
        from PIL import Image  # lazy: keeps `python -m vqa --help` free of PIL

        return dict(self.processor(images=Image.fromarray(np.asarray(image, dtype=np.uint8)), text=question,
                                   return_tensors="pt", truncation=True))

    def reply(self, inputs: dict, top_k: int) -> Reply:
        raise NotImplementedError

    def score(self, pixel_values, inputs: dict, target):
        """F: the explained scalar per image of a batch of pixel values (N,)."""
        raise NotImplementedError

    def baseline(self, pixel_values):
        """A black photo, normalised the way the processor normalises photos."""
        import torch  # lazy: optional (requirements-vqa.txt)

        processor = self.processor.image_processor
        mean = torch.tensor(processor.image_mean, dtype=pixel_values.dtype).view(1, -1, 1, 1)
        std = torch.tensor(processor.image_std, dtype=pixel_values.dtype).view(1, -1, 1, 1)
        return ((0.0 - mean) / std).expand_as(pixel_values).contiguous()

    def attribute(self, inputs: dict, target, steps: int = IG_STEPS) -> Attribution:
        """captum's IG of F over the pixel values, from the black photo."""
        # lazy: optional (requirements-vqa.txt)
        import torch
        from captum.attr import IntegratedGradients

        x = inputs["pixel_values"].float()
        base = self.baseline(x)
        ig = IntegratedGradients(lambda pv: self.score(pv, inputs, target))
        attributions, delta = ig.attribute(x, baselines=base, n_steps=steps, method="gausslegendre",
                                           internal_batch_size=IG_BATCH_SIZE, return_convergence_delta=True)
        with torch.no_grad():
            change = float(self.score(x, inputs, target)[0] - self.score(base, inputs, target)[0])
        relative = abs(float(delta[0])) / max(abs(change), 1e-12)
        return Attribution(attributions[0].detach().double().numpy(), relative, steps, change)


@dataclasses.dataclass(frozen=True)
class Attribution:
    values: np.ndarray  # (C, h, w) over the processor's pixel values
    delta: float  # relative completeness error
    steps: int
    change: float  # F(x) - F(x')


def _expand(tensor, n: int):
    return tensor.expand(n, *tensor.shape[1:])


class ViltAdapter(Adapter):
    family, kind, model_type = "ViLT", "classifier", "vilt"
    model_class, processor_class = "ViltForQuestionAnswering", "ViltProcessor"
    usual_training_data = "VQAv2"
    explains = "the logit of the top answer"

    def _logits(self, pixel_values, inputs):
        n = pixel_values.shape[0]
        text = {k: _expand(v, n) for k, v in inputs.items() if k not in ("pixel_values", "pixel_mask")}
        mask = inputs.get("pixel_mask")
        pixel_mask = None if mask is None else _expand(mask, n)
        return self.network(**text, pixel_values=pixel_values, pixel_mask=pixel_mask).logits

    def reply(self, inputs: dict, top_k: int) -> Reply:
        import torch  # lazy: optional (requirements-vqa.txt)

        with torch.no_grad():
            logits = self._logits(inputs["pixel_values"], inputs)[0].double()
        probs = torch.softmax(logits, -1).numpy()
        order = np.argsort(-probs)[:top_k]
        labels = self.network.config.id2label
        top = tuple((str(labels[int(i)]), float(probs[i])) for i in order)
        return Reply(top[0][0], top[0][1], top, int(order[0]))

    def score(self, pixel_values, inputs: dict, target):
        return self._logits(pixel_values, inputs)[:, target]


class BlipAdapter(Adapter):
    family, kind, model_type = "BLIP", "generative", "blip"
    model_class, processor_class = "BlipForQuestionAnswering", "BlipProcessor"
    usual_training_data = "VQAv2 with Visual Genome question-answer pairs"
    explains = "the log-probability of the generated answer's tokens"

    def reply(self, inputs: dict, top_k: int) -> Reply:
        import torch  # lazy: optional (requirements-vqa.txt)

        with torch.no_grad():
            ids = self.network.generate(**inputs, max_new_tokens=MAX_ANSWER_TOKENS)
            log_p = float(self.score(inputs["pixel_values"], inputs, ids)[0])
        answer = self.processor.decode(ids[0], skip_special_tokens=True).strip()
        # A generator has no answer vocabulary to rank: its one answer, with the
        # probability of exactly those tokens.
        return Reply(answer, float(np.exp(log_p)), ((answer, float(np.exp(log_p))),), ids)

    def score(self, pixel_values, inputs: dict, target):
        """log P(answer tokens | photo, question), teacher-forced the way
        BlipForQuestionAnswering.generate conditions its decoder."""
        import torch  # lazy: optional (requirements-vqa.txt)

        net, n = self.network, pixel_values.shape[0]
        image = net.vision_model(pixel_values=pixel_values).last_hidden_state
        question = net.text_encoder(
            input_ids=_expand(inputs["input_ids"], n), attention_mask=_expand(inputs["attention_mask"], n),
            encoder_hidden_states=image, encoder_attention_mask=torch.ones(image.shape[:-1], dtype=torch.long),
        ).last_hidden_state
        answer = _expand(target, n)
        logits = net.text_decoder(
            input_ids=answer, encoder_hidden_states=question,
            encoder_attention_mask=torch.ones(question.shape[:-1], dtype=torch.long),
        ).logits
        log_probs = torch.log_softmax(logits[:, :-1].double(), -1)
        return log_probs.gather(-1, answer[:, 1:, None]).squeeze(-1).sum(-1)


ADAPTERS: dict[str, type[Adapter]] = {a.model_type: a for a in (ViltAdapter, BlipAdapter)}
