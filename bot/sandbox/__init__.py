"""A Bot API server that behaves like Telegram's, for tests, benchmarks and first runs.

See ``/work/shared/DESIGN.md`` section 3. Modules:

- :mod:`.state`    the in-memory world (users, chats, messages, updates, files, send log)
- :mod:`.limits`   Telegram's flood limits (429 ``retry_after``)
- :mod:`.entities` HTML parse mode and message entities, as strict as Telegram's
- :mod:`.markup`   reply_markup validation
- :mod:`.params`   reading method parameters (form, multipart, JSON)
- :mod:`.api`      the bot side, ``/bot<token>/<method>``
- :mod:`.actions`  what users do (write, press, block, groups)
- :mod:`.userside` the user-side JSON API under ``/sandbox/api/``
- :mod:`.webhook`  webhook delivery (loopback targets only)
- :mod:`.server`   ``create_sandbox_app`` and ``SandboxServer``
- :mod:`.client`   ``SandboxClient``, an async client of the user side
- :mod:`.testing`  ``sandbox_bot()``: an aiogram Bot wired to a sandbox
"""

from .actions import SandboxError, UserActions
from .client import SandboxClient, SandboxClientError, SandboxTimeout
from .server import SandboxServer, create_sandbox_app
from .state import SandboxState

__all__ = [
    "SandboxClient",
    "SandboxClientError",
    "SandboxError",
    "SandboxServer",
    "SandboxState",
    "SandboxTimeout",
    "UserActions",
    "create_sandbox_app",
]
