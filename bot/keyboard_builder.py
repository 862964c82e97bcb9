"""aiogram's inline keyboard builder without its deep copies.

``aiogram.utils.keyboard.KeyboardBuilder.add`` deep-copies the whole markup built so far
for every button it adds (``export()`` is ``deepcopy(self._markup)``), and ``adjust`` and
``as_markup`` copy it again: a ten-button menu costs a few hundred pydantic deep copies,
a noticeable part of handling an update. Buttons are frozen pydantic models, so sharing
them is safe; this builder copies only the lists. Everything else is aiogram's.
"""

from __future__ import annotations

from collections.abc import Generator
from itertools import chain

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramBuilder


class InlineKeyboardBuilder(_AiogramBuilder):
    @property
    def buttons(self) -> Generator[InlineKeyboardButton, None, None]:
        yield from chain.from_iterable(self._markup)

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]

    def add(self, *buttons: InlineKeyboardButton) -> InlineKeyboardBuilder:
        self._validate_buttons(*buttons)
        markup = self._markup
        # As aiogram does: fill the last row up to the maximum width, then start new rows.
        if markup and len(markup[-1]) < self.max_width:
            pos = self.max_width - len(markup[-1])
            head, buttons = buttons[:pos], buttons[pos:]
            markup[-1] = [*markup[-1], *head]
        while buttons:
            row, buttons = buttons[: self.max_width], buttons[self.max_width :]
            markup.append(list(row))
        return self
