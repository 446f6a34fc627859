"""Numbers as people read and type them: percentages, and face numbers.

Faces are ordered largest first everywhere. The engine counts them from 0
(`face_index`, None for every face). People meet two numberings, kept because
people rely on both, and defined here once:

- the command line's `--face N` counts from 0, like the engine (0 is the
  largest face); leaving it out answers every face (CLI_FACES);
- the page's and the `/ask` API's `face_number` counts from 1 (1 is the
  largest face, as the boxes on the photo are numbered), and 0 means every
  face (PAGE_FACES).
"""
from __future__ import annotations

import dataclasses


def percent(value: float | None, digits: int = 0, missing: str = "n/a") -> str:
    """0.873 -> "87%" (digits=1: "87.3%"); None -> `missing`."""
    return missing if value is None else f"{float(value):.{digits}%}"


class FaceIndexError(ValueError):
    """A face number or index that names no face: below the first, or past the faces found."""


@dataclasses.dataclass(frozen=True)
class FaceNumbering:
    """How one place of the product numbers the faces of a photo, largest first."""

    name: str  # what people type it into, for messages
    first: int  # the number of the largest face
    every: int | None  # the number that means every face; None: leave the number out instead

    def index(self, number) -> int | None:
        """The engine's face_index (0: the largest; None: every face) of a face number."""
        if number is None or number == "":
            return None
        number = int(number)
        if self.every is not None and number == self.every:
            return None
        if number < self.first:
            raise FaceIndexError(self.rule)
        return number - self.first

    def number(self, index: int) -> int:
        """The face number people see for the engine's face_index."""
        return int(index) + self.first

    @property
    def rule(self) -> str:
        """The numbering in one sentence."""
        every = (f"{self.every} means every face" if self.every is not None
                 else f"without {self.name}, every face is answered")
        return f"Face numbers start at {self.first} (the largest face); {every}."

    @property
    def help(self) -> str:
        """The numbering as a form's or a flag's hint."""
        numbers = f"{self.first}: the largest only, {self.first + 1}: the next..."
        return f"{self.every}: every face; {numbers}" if self.every is not None else \
            f"{numbers} (leave it out for every face)"


CLI_FACES = FaceNumbering(name="--face", first=0, every=None)
PAGE_FACES = FaceNumbering(name="face_number", first=1, every=0)
