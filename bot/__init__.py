"""The Telegram bot (aiogram 3): routers per programme, middlewares, and the sandbox Bot API server."""
