"""The web panel for secretaries (aiohttp + aiohttp-jinja2); see ``admin.app.create_admin_app``."""
