"""Our inline keyboard builder builds exactly what aiogram's does, without the copies."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as AiogramBuilder

from bot.callbacks import MenuAction, MenuCallback
from bot.keyboard_builder import InlineKeyboardBuilder


def build(builder_class, count: int, *, sizes: tuple[int, ...] = (), repeat: bool = False, row: int = 0):
    builder = builder_class()
    for i in range(count):
        builder.button(text=f"b{i}", callback_data=MenuCallback(action=MenuAction.HOME) if i % 2 else f"d{i}")
    if row:
        builder.row(*(InlineKeyboardButton(text=f"r{i}", callback_data=f"r{i}") for i in range(row)))
        builder.button(text="after", callback_data="after")
    if sizes:
        builder.adjust(*sizes, repeat=repeat)
    return builder.as_markup()


@pytest.mark.parametrize(
    ("count", "sizes", "repeat", "row"),
    [(0, (), False, 0), (1, (), False, 0), (10, (), False, 0), (10, (1,), False, 0), (7, (2, 3), False, 0),
     (7, (2, 1), True, 0), (3, (), False, 10), (9, (3,), False, 2)],
)
def test_same_markup_as_aiogram(count, sizes, repeat, row) -> None:
    ours = build(InlineKeyboardBuilder, count, sizes=sizes, repeat=repeat, row=row)
    theirs = build(AiogramBuilder, count, sizes=sizes, repeat=repeat, row=row)
    assert ours.model_dump() == theirs.model_dump()


def test_markup_does_not_change_with_the_builder() -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text="a", callback_data="a")
    first = builder.as_markup()
    builder.button(text="b", callback_data="b")
    assert [[b.text for b in row] for row in first.inline_keyboard] == [["a"]]
    assert [[b.text for b in row] for row in builder.as_markup().inline_keyboard] == [["a", "b"]]
    assert [b.text for b in builder.buttons] == ["a", "b"]
