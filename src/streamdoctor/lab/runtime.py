"""Runs a lab (simulated API + fault proxy) on its own event loop in a background thread.

Used in-process by `check --lab`, the GUI's `--lab` and the tests; `lab serve` runs the same thing in the
foreground. start() returns only when both listeners are bound, and raises PortInUseError if they cannot be.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import threading
from types import TracebackType

from ..errors import PortInUseError, UserError
from ..i18n import _
from .faultproxy import FaultProxy
from .profiles import LabProfile
from .server import LabAPIServer

log = logging.getLogger(__name__)


class LabRuntime:
    def __init__(
        self,
        profile: LabProfile,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        url_host: str = "",
    ) -> None:
        self.profile = profile
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.url_host = url_host  # the name clients use (e.g. "localhost" so TLS names match); default: host
        # The API always listens on loopback: only the fault proxy, which owns the public address, forwards
        # to it (binding the API to `host` left the proxy forwarding to a loopback port nobody listened on).
        self.api = LabAPIServer(profile.behaviour, host="127.0.0.1", ssl_context=ssl_context)
        self.proxy: FaultProxy | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        host = self.url_host or self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> LabRuntime:
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # reported to the starting thread below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._stop())
                # Connection handlers still running (a stream mid-answer, a black-holed socket) are cancelled
                # and awaited, so shutdown logs no "Task was destroyed but it is pending".
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=main, name="streamdoctor-lab", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            exc = failure[0]
            address = f"{self.host}:{self.port}"
            if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(_("cannot listen on {address} ({error}); choose another --port or stop the "
                                       "program using it", address=address,
                                       error=exc.strerror)) from exc
            if isinstance(exc, OSError):
                raise UserError(_("cannot start the lab on {address}: {error}", address=address,
                                  error=exc.strerror or str(exc))) from exc
            raise exc
        log.info("lab profile %s listening at %s", self.profile.name, self.url)
        return self

    async def _start(self) -> None:
        # The API listens on an ephemeral loopback port; clients reach it through the fault proxy, which
        # owns the public port, so every profile (even "clean") has the same shape.
        await self.api.start()
        self.proxy = FaultProxy("127.0.0.1", self.api.port, self.profile.fault, host=self.host, port=self.port)
        try:
            await self.proxy.start()
        except BaseException:
            await self.api.stop()
            raise
        self.port = self.proxy.port

    async def _stop(self) -> None:
        if self.proxy is not None:
            await self.proxy.stop()
        await self.api.stop()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)

    def __enter__(self) -> LabRuntime:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

