# PyInstaller runtime hook, in every Stream Doctor build (the app and the bench's bare wizard alike).
# Inert unless STREAMDOCTOR_PAINT_PROBE names a file: then it records the wall-clock time (time.time()) at which the
# first window finished its first paint, writes it to that file and ends the process. bench/bench_package.py uses
# it to measure "start to first page painted" the same way for both binaries, without code in the app for it.
import os

_probe_file = os.environ.get("STREAMDOCTOR_PAINT_PROBE")


def _install_paint_probe(target: str) -> None:
    import time

    from PySide6 import QtCore, QtWidgets

    class _FirstPaint(QtCore.QObject):
        def __init__(self, app: QtWidgets.QApplication) -> None:
            super().__init__(app)
            self._app = app
            self._seen = False

        def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt's name)
            if not self._seen and event.type() == QtCore.QEvent.Type.Paint and isinstance(obj, QtWidgets.QWidget):
                self._seen = True
                # The rest of this paint pass (the page's child widgets, the flush) runs before a 0 ms timer.
                QtCore.QTimer.singleShot(0, self._record)
            return False

        def _record(self) -> None:
            painted = time.time()
            with open(target, "w", encoding="ascii") as fh:
                fh.write(f"{painted:.6f}\n")
            os._exit(0)

    base = QtWidgets.QApplication

    class _ProbedApplication(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._paint_probe = _FirstPaint(self)
            self.installEventFilter(self._paint_probe)

    QtWidgets.QApplication = _ProbedApplication  # type: ignore[misc]


if _probe_file:
    _install_paint_probe(_probe_file)
