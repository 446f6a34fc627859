"""The How it works tab: Grad-CAM and Integrated Gradients in plain words with
their formulas, how each map is checked, what bias is, and the limits.

Kept as text so it can be read and reviewed as text. Formulas follow the study
(../shared/paper.md, section 3.2) and use Gradio's KaTeX delimiters ($...$
inline, $$...$$ display).
"""
from __future__ import annotations

import gradio as gr

GRADCAM = r"""
### Grad-CAM: which regions pushed the answer up

A convolutional network turns the photo into a stack of *feature maps* $A^k$ in
its last convolutional layer: coarse grids (7×7 for ResNet-50) that each light
up for some pattern (an eye corner, hair texture, a jaw line). Grad-CAM asks:
*if this feature map grew a little, how much would the score $y^c$ of the
answer $c$ grow?* That is a gradient. Averaging it over the grid gives one
importance weight per feature map:

$$\alpha_k^c = \frac{1}{Z}\sum_i\sum_j \frac{\partial y^c}{\partial A_{ij}^k}$$

The heatmap is the feature maps added up with those weights, keeping only the
parts that speak *for* the answer (ReLU):

$$L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big)$$

It is then stretched from the coarse grid to the photo's size, which is why it
looks blurry: Grad-CAM says *which region*, not *which pixel*.

**Guided Grad-CAM** multiplies that region map with *guided backpropagation*
(the gradient of the score with respect to each pixel, keeping only positive
signals on the way back). The result is sharp like an edge map but still
specific to the answer: fine detail *inside* the regions Grad-CAM picked.
"""

INTEGRATED_GRADIENTS = r"""
### Integrated Gradients: how much each pixel contributed

Integrated Gradients (IG) compares the photo $x$ with a *baseline* $x'$ that
carries no information. It fades the photo in from the baseline, measures at
points along the way how sensitive the score $F$ is to every pixel, and adds
those sensitivities up:

$$\mathrm{IG}_i(x) = (x_i - x'_i)\int_0^1
\frac{\partial F\big(x' + \alpha(x - x')\big)}{\partial x_i}\,d\alpha$$

Unlike Grad-CAM it looks through the *whole* network down to single pixels.
Its attributions should add up to the change in score from baseline to photo,
$\sum_i \mathrm{IG}_i(x) = F(x) - F(x')$; how far the computed sum is from that
is its *completeness error* delta. With *Integrated Gradients steps* at 0 the
app places the points adaptively: it adds points where the path is hardest
until delta is at most 1% (or a budget of model evaluations runs out, which it
then says). A number $m > 0$ uses the fixed sum over $m$ evenly spaced points,
which on these networks can miss by far more than 1%.

**The baseline matters.** A pixel is credited in proportion to how much it
differs from the baseline ($x_i - x'_i$). Against a *black* baseline, pixels that
are already dark (darker skin, shadows, dark hair) differ little and get almost
no credit, however much the model relies on them. A *blurred* copy of the face
keeps its colours and removes only the detail, so every pixel can be credited
for the detail it adds; what it cannot show is the effect of colour alone.
"""

TRUST = r"""
### Can you trust a map?

A heatmap is a claim about the model, so each one comes with two checks,
shown under the maps:

- **Exactness** (Integrated Gradients): the completeness error delta above, and
  how many evaluations of the model it took.
- **Faithfulness against a random map**: remove the pixels the map marks
  first, a few steps at a time (they are blurred, so the picture stays a
  picture), and follow the score of the answer: if the map found what the
  model uses, the score falls faster than when a random map's pixels are
  removed (a lower area under the *deletion* curve). Restoring them first
  should bring it back faster (a higher area under the *insertion* curve).
  A map no better than random is said to be so. Where the score hardly moves
  whatever is removed, the test cannot tell, and says that too.
"""

BIAS = """\
### What bias is, and why the census-biased model behaves as it does

A model learns from examples. **FairFace** has about the same number of faces
for each of seven race groups. The **biased** race model was trained on a
subset drawn to match the 2019 US census instead: White 60%, Latino_Hispanic
18.5%, Black 13%, Middle Eastern 2.4%, East Asian 2.2%, Southeast Asian 2.2%,
Indian 1.2%.

Such a model sees fifty White faces for every Indian face. Guessing *White*
is right most of the time during training, so the model learns that default
and learns few features that tell the small groups apart. In the study this
shows up twice: the biased model is much less accurate on the small groups
(38% overall against 66% for the fair model), and its heatmaps are weaker or
spread out on faces from those groups: it is not looking at anything in
particular, because it never needed to. On the **Compare** tab the two race
models answer side by side; the **Audit** tab shows accuracy per group.

Two models can give the same answer for different reasons; the heatmaps are a
way to see that. They are not proof of fairness: a model can look at the eyes
and still be wrong more often for one group.
"""

LIMITS = """\
### Limits: what these models cannot tell you

- **Race, gender and age are not visible facts.** The labels are what human
  annotators guessed from a photo. A model learns to repeat those guesses,
  including their stereotypes; it cannot know how someone identifies.
- **Gender is two labels here** because the training data has two. That is a
  limit of the data, not of people.
- **Age is an estimate** with an error of years; the confidence is the model's
  probability for its answer, which can be high and wrong.
- **Photos outside the training data** (side views, masks, low light, children
  for some models, drawings) give unreliable answers with confident numbers.
- **Heatmaps are approximations**: Grad-CAM is coarse, IG depends on its
  baseline, and both explain *this* model on *this* photo, not faces in general.
- Do not use these models to make decisions about people.
"""

HOW_IT_WORKS = "\n".join((GRADCAM, INTEGRATED_GRADIENTS, TRUST, BIAS, LIMITS))

KATEX_DELIMITERS = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]


def build() -> gr.Markdown:
    """The tab's one component (inside a gr.Tab)."""
    return gr.Markdown(HOW_IT_WORKS, latex_delimiters=KATEX_DELIMITERS)
