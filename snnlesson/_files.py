"""Every file snnlesson reads or writes goes through here: regular files only, sizes checked, writes atomic.

Reading (:func:`read_bytes`, :func:`read_text`, :func:`read_resource`)
    ``os.stat`` first, then open: a FIFO, a directory, a device (``/dev/zero``) or a socket
    in place of a file is refused with a :class:`FileProblem` (a ``ValueError``) naming the
    parameter and the path, without opening it (opening a FIFO for reading blocks until a
    writer comes, possibly forever; reading ``/dev/zero`` never ends). A file larger than what
    the caller expects is refused before a byte is read. The file is then opened with
    ``O_NONBLOCK`` and checked again on the open descriptor, so that a file swapped for a FIFO
    between the two looks cannot block either.

Writing (:func:`write_atomic`, :func:`check_destination`)
    The content goes to a hidden temporary file in the destination's folder, named
    ``.snnlesson-<host>-<pid>-<random>.tmp`` (``.checkpoint-...`` for checkpoints), which is
    flushed to disk and then renamed over the destination: a reader sees the old file or the
    new one, never half of one. The temporary file is removed when the write fails or is
    interrupted (``KeyboardInterrupt`` included). A process killed outright (``SIGKILL``,
    power loss) cannot clean up after itself, so every write first removes such leftovers
    from its folder: ours only (by that name pattern), and only when the process named in
    the file no longer runs on this machine, or when the file is more than a day old (a
    folder shared between machines).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import stat
import time
from contextlib import contextmanager
from pathlib import Path

__all__: list[str] = []  # private helpers of the package

#: A temporary file or folder whose writer cannot be checked (another machine) is stale after a day.
STALE_AFTER_S = 24 * 3600
#: Temporary files of older snnlesson versions (``tempfile.mkstemp`` names, no pid): stale after an hour.
LEGACY_STALE_AFTER_S = 3600

_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_TEMP_NAME = re.compile(r"^\.(?:snnlesson|checkpoint|snnlesson-download)-(?P<host>[0-9a-f]{8})-(?P<pid>\d{1,10})-"
                        r"[0-9a-f]{12}(?:\.tmp)?$")
_LEGACY_NAME = re.compile(r"^\.checkpoint-[A-Za-z0-9_]{8}\.tmp$")  # tempfile.mkstemp(prefix=".checkpoint-")


class FileProblem(ValueError):
    """A path that cannot be read or written as asked; ``str()`` names the parameter, the path and why.

    ``reason`` is one of ``"missing"``, ``"not-regular"``, ``"too-large"``, ``"unreadable"``,
    ``"no-folder"``, ``"unwritable"``.
    """

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def check_path(name: str, path, *, allow_none: bool = False):
    """``path`` as a ``str`` (``None`` passes when ``allow_none``): a ``str`` or ``os.PathLike``, non-empty."""
    if path is None and allow_none:
        return None
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file name (str or pathlib.Path){' or None' if allow_none else ''}, "
                        f"got {type(path).__name__}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        raise TypeError(f"{name} must be a file name as text (str or pathlib.Path), got bytes")
    if not text.strip():
        raise ValueError(f"{name} must be a non-empty file name, got {text!r}")
    if "\0" in text:
        raise ValueError(f"{name} must not contain a NUL character, got {text[:60]!r}")
    return text


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` is, in words (``"a FIFO (named pipe)"``, ``"a directory"``, ...)."""
    for test, words in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return words
    return "not a regular file"


def _size_text(nbytes: int) -> str:
    from snnlesson._validate import format_bytes

    return f"{nbytes:,} bytes" if nbytes < 10_000 else f"{format_bytes(nbytes)} ({nbytes:,} bytes)"


def _check_regular(name: str, path: str, st: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise FileProblem(f"{name} {path!r} is {kind_of(st.st_mode)}, not a regular file: "
                          f"it cannot be read as {what}", "not-regular")
    if st.st_size > limit:
        raise FileProblem(f"{name} {path!r} is {_size_text(st.st_size)}, larger than {what} can be "
                          f"(at most {_size_text(limit)}): not read", "too-large")


def stat_file(name: str, path, *, limit: int, what: str = "the file") -> os.stat_result:
    """``os.stat`` of ``path`` after checking that it is a regular file of at most ``limit`` bytes."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileProblem(f"{name} {path!r} does not exist", "missing") from None
    except OSError as err:
        raise FileProblem(f"{name} {path!r} cannot be looked at ({type(err).__name__}: "
                          f"{err.strerror or err})", "unreadable") from None
    _check_regular(name, path, st, limit, what)
    return st


def read_file(name: str, path, *, limit: int, what: str = "the file") -> tuple[bytearray, os.stat_result]:
    """The bytes of the regular file ``path`` (at most ``limit`` of them) and the ``os.stat`` of what was read.

    Raises :class:`FileProblem` for a missing path, a FIFO, directory, device or socket
    (never opened), a file larger than ``limit`` bytes and a read error. The bytes are a
    ``bytearray`` (writable: NumPy and torch can use them without a copy).
    """
    path = os.fspath(path)
    stat_file(name, path, limit=limit, what=what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise FileProblem(f"{name} {path!r} does not exist", "missing") from None
    except OSError as err:
        raise FileProblem(f"{name} {path!r} cannot be opened ({type(err).__name__}: {err.strerror or err})",
                          "unreadable") from None
    try:
        st = os.fstat(fd)  # what was opened: the path may have been replaced since the stat above
        _check_regular(name, path, st, limit, what)
        data = bytearray(st.st_size + 1)  # one byte more: a file that grew since is noticed
        view, filled = memoryview(data), 0
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
            while filled < len(data):
                count = f.readinto(view[filled:])
                if not count:
                    break
                filled += count
        view.release()
    except OSError as err:
        raise FileProblem(f"{name} {path!r} cannot be read ({type(err).__name__}: {err.strerror or err})",
                          "unreadable") from None
    finally:
        os.close(fd)
    if filled > st.st_size:
        raise FileProblem(f"{name} {path!r} grew while it was read (another program is writing it)", "unreadable")
    del data[filled:]
    return data, st


def read_bytes(name: str, path, *, limit: int, what: str = "the file") -> bytearray:
    """The bytes of the regular file ``path``; see :func:`read_file`."""
    return read_file(name, path, limit=limit, what=what)[0]


def read_text(name: str, path, *, limit: int, what: str = "the file") -> str:
    """The UTF-8 text of the regular file ``path``; undecodable bytes are a :class:`FileProblem`."""
    raw = read_bytes(name, path, limit=limit, what=what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FileProblem(f"{name} {os.fspath(path)!r} is not UTF-8 text ({err.reason} at byte {err.start}): "
                          f"it is not {what}", "unreadable") from None


def read_resource(filename: str, *, limit: int, package: str = "snnlesson._data") -> bytes:
    """The bytes of a data file shipped inside the package (through the same checks where it is a real file)."""
    from importlib import resources

    resource = resources.files(package).joinpath(filename)
    if isinstance(resource, Path):
        return read_bytes(f"the package's data file {filename}", resource, limit=limit, what=filename)
    data = resource.read_bytes()  # pragma: no cover (an installation inside a zip file: no FIFOs there)
    if len(data) > limit:  # pragma: no cover
        raise FileProblem(f"the package's data file {filename} is {_size_text(len(data))}, more than "
                          f"{_size_text(limit)}", "too-large")
    return data  # pragma: no cover


def data_path(name: str, path, filename: str) -> Path:
    """``path`` (a ``str`` or ``os.PathLike``, checked by :func:`check_path`), or the data file ``filename``
    shipped in ``snnlesson/_data`` when ``path`` is None: where a lesson reads or writes its saved results."""
    from importlib import resources

    path = check_path(name, path, allow_none=True)
    return Path(str(resources.files("snnlesson") / "_data" / filename)) if path is None else Path(path)


# ------------------------------------------------------------------------------------------ writing


def _process_running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (``True`` when that cannot be told)."""
    if os.name != "posix" or pid <= 0:
        return True  # (on Windows, os.kill(pid, 0) would terminate the process: never try)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def _is_stale(name: str, mtime: float, now: float) -> bool:
    found = _TEMP_NAME.match(name)
    if found:
        if now - mtime > STALE_AFTER_S:
            return True
        return found["host"] == _HOST and int(found["pid"]) != os.getpid() and not _process_running(int(found["pid"]))
    return bool(_LEGACY_NAME.match(name)) and now - mtime > LEGACY_STALE_AFTER_S


def remove_stale_temporaries(folder) -> list[str]:
    """Remove the temporary files and folders that a killed snnlesson process left in ``folder``.

    Only names this module makes (``.snnlesson-*``, ``.checkpoint-*``, ``.snnlesson-download-*``
    with this machine's tag and the writer's process id), and only when that process is gone or
    the leftover is more than :data:`STALE_AFTER_S` old. Returns the names removed; errors
    (a folder that cannot be listed, a file removed meanwhile) are ignored.
    """
    removed, now = [], time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((".snnlesson-", ".checkpoint-")):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not _is_stale(entry.name, st.st_mtime, now):
                continue
            if stat.S_ISREG(st.st_mode):
                os.remove(entry.path)
            elif stat.S_ISDIR(st.st_mode) and entry.name.startswith(".snnlesson-download-"):
                shutil.rmtree(entry.path)
            else:
                continue
            removed.append(entry.name)
        except OSError:
            continue
    return removed


def temporary_name(folder, prefix: str = "snnlesson", suffix: str = ".tmp") -> str:
    """A fresh hidden name in ``folder`` that :func:`remove_stale_temporaries` recognises."""
    return os.path.join(folder, f".{prefix}-{_HOST}-{os.getpid()}-{secrets.token_hex(6)}{suffix}")


def check_destination(name: str, path, *, what: str = "the file") -> str:
    """``path`` (absolute) if a file can be written there: its folder exists and is a folder, and the
    path is not a directory, FIFO, device or socket. Checked before any long work starts."""
    path = os.path.abspath(check_path(name, path))
    folder = os.path.dirname(path)
    try:
        folder_stat = os.stat(folder)
    except (FileNotFoundError, NotADirectoryError):
        raise FileProblem(f"{name} {path!r}: the folder {folder!r} does not exist (create it first)",
                          "no-folder") from None
    except OSError as err:
        raise FileProblem(f"{name} {path!r}: the folder {folder!r} cannot be looked at "
                          f"({type(err).__name__}: {err.strerror or err})", "no-folder") from None
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise FileProblem(f"{name} {path!r}: {folder!r} is {kind_of(folder_stat.st_mode)}, not a folder",
                          "no-folder")
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as err:
        raise FileProblem(f"{name} {path!r} cannot be looked at ({type(err).__name__}: {err.strerror or err})",
                          "unwritable") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileProblem(f"{name} {path!r} is {kind_of(st.st_mode)}: {what} can only replace a regular "
                          "file (or be a new one)", "not-regular")
    if not os.access(folder, os.W_OK):
        raise FileProblem(f"{name} {path!r}: the folder {folder!r} is not writable", "unwritable")
    return path


def write_atomic(name: str, path, write, *, prefix: str = "snnlesson", what: str = "the file") -> str:
    """Write a file all at once: ``write(f)`` fills a binary file object; returns the absolute path.

    The bytes go to a hidden temporary file beside ``path`` (:func:`temporary_name`), are
    flushed to disk (``fsync``) and the temporary file is renamed over ``path``
    (``os.replace``, atomic). On any error or interruption the temporary file is removed and
    ``path`` is untouched; leftovers of killed processes are removed first
    (:func:`remove_stale_temporaries`).
    """
    path = check_destination(name, path, what=what)
    folder = os.path.dirname(path)
    remove_stale_temporaries(folder)
    tmp = temporary_name(folder, prefix)
    created = False
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except OSError as err:
            raise FileProblem(f"{name} {path!r}: cannot create a file in {folder!r} ({type(err).__name__}: "
                              f"{err.strerror or err})", "unwritable") from None
        created = True
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        created = False
    except BaseException:
        if created:
            try:
                os.remove(tmp)
            except OSError:
                pass
        raise
    return path


def write_text_atomic(name: str, path, text: str, *, what: str = "the file") -> str:
    """:func:`write_atomic` for UTF-8 text."""
    data = text.encode("utf-8")
    return write_atomic(name, path, lambda f: f.write(data), what=what)


@contextmanager
def temporary_folder(parent):
    """A hidden folder inside ``parent`` (created if needed) for a download, removed afterwards,
    even on an interruption; one left by a killed process is removed by the next use."""
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent)
    folder = temporary_name(parent, "snnlesson-download", suffix="")
    os.mkdir(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
