"""Bot and dispatcher factories."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot.handlers import build_root_router
from bot.metrics import UpdateMetricsMiddleware
from bot.middlewares import OnceDispatcher, TelegramUserMiddleware, UserLocaleMiddleware
from bot.prompts import AnsweredPromptMiddleware
from bot.session import AnswerPressInWebhookReply, BotSession
from locales import DOMAIN, LOCALES_DIR, ensure_compiled, translations

SANDBOX_TOKEN = "1000000001:sandbox-token-not-secret"


def create_bot(token: str, api_url: str | None = None) -> Bot:
    session = BotSession(api=TelegramAPIServer.from_base(api_url)) if api_url else BotSession()
    session.middleware(AnswerPressInWebhookReply())  # does nothing unless serving a webhook
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_i18n(default_locale: str) -> I18n:
    ensure_compiled()
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def create_storage(redis_url: str | None, *, key_prefix: str = "xianfeng") -> BaseStorage:
    """Redis when configured (conversations survive restarts and are shared by workers),
    else memory. ``key_prefix`` separates deployments (and tests) sharing one Redis."""
    if redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(prefix=key_prefix))
    return MemoryStorage()


def create_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """One user's updates are handled one at a time (polling runs updates concurrently): a
    quick second tap or message then sees the state the first one left, not the one before.
    With Redis the lock is in Redis, so it holds across bot workers too."""
    create = getattr(storage, "create_isolation", None)
    return create() if create is not None else SimpleEventIsolation()


def create_dispatcher(
    *, default_locale: str, storage: BaseStorage | None = None, redeliver_transient: bool = False
) -> Dispatcher:
    """The bot's dispatcher. ``redeliver_transient`` (webhook mode): a transient failure
    (database, Redis or Telegram unreachable) is raised to the webhook, which answers 500
    so Telegram delivers the update again, instead of apologising to the user."""
    storage = storage or MemoryStorage()
    dispatcher = OnceDispatcher(
        storage=storage, events_isolation=create_isolation(storage), default_locale=default_locale,
        redeliver_transient=redeliver_transient,
    )
    dispatcher.update.outer_middleware(UpdateMetricsMiddleware())  # first: counts and times all
    dispatcher.update.outer_middleware(TelegramUserMiddleware())
    UserLocaleMiddleware(create_i18n(default_locale)).setup(dispatcher)
    dispatcher.message.middleware(AnsweredPromptMiddleware())
    dispatcher.include_router(build_root_router())
    dispatcher.startup.register(set_commands)
    return dispatcher


async def set_commands(bot: Bot, default_locale: str) -> None:
    """The command list per language; Telegram matches two-letter codes, so Traditional
    Chinese users see the ``zh`` list and everyone else the default locale's."""
    for language_code, locale in ((None, default_locale), ("zh", "zh_Hans"), ("en", "en")):
        gettext = translations(locale).gettext
        commands = [
            BotCommand(command="menu", description=gettext("Main menu")),
            BotCommand(command="cancel", description=gettext("Stop what you are doing")),
            BotCommand(command="language", description=gettext("Choose your language")),
            BotCommand(command="help", description=gettext("Help")),
        ]
        await bot.set_my_commands(commands, language_code=language_code)
