"""Reading uploads off the event loop, in a bounded pool of processes with limits.

A .docx is a zip and a PDF holds compressed streams: a few hundred kilobytes can stand for
gigabytes (a "bomb"), or for 50,000 pages. Reading one inside the request handler froze every
request and took gigabytes. Here each upload is read in one of a few worker processes, each
capped in memory (RLIMIT_AS) and in time (the process is killed and replaced when it runs
over), after cheap checks of what the file declares: the uncompressed size of a .docx's
parts, the number of pages of a PDF. Each limit, when hit, is named in a 413 or 422.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from foundation.errors import ClerkError


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may cost to read."""

    uncompressed_bytes: int = 50 * 1024 * 1024
    pages: int = 500
    seconds: float = 20.0
    memory_bytes: int = 1024 * 1024 * 1024
    workers: int = 2


def _limit_memory(memory_bytes: int) -> None:
    """Pool initializer: cap the worker's address space (a bomb raises MemoryError)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def read_upload(data: bytes, filename: str, limits: UploadLimits) -> tuple[str, str, int, str]:
    """In a worker: ("ok", text, 0, "") or ("error", code, status, message)."""
    from pypdf.errors import LimitReachedError

    from rules.sources import SourceError, file_kind, text_from_bytes

    try:
        kind = file_kind(data, filename)  # by content: a zip named .doc is checked as a zip
        if kind == "docx":
            _check_zip(data, filename, limits)
        elif kind == "pdf":
            _check_pages(data, filename, limits)
        return "ok", text_from_bytes(data, filename), 0, ""
    except _RefusedError as refused:
        return "error", refused.code, refused.status, str(refused)
    except LimitReachedError as error:
        return ("error", "too_large_uncompressed", 413,
                f"{filename}: a compressed part of the PDF is larger than pypdf reads ({error}).")
    except MemoryError:
        return ("error", "over_memory_limit", 413,
                f"{filename}: reading it needs more than {limits.memory_bytes // 2**20} MB of "
                "memory (the upload memory limit).")
    except SourceError as error:
        return "error", "unreadable_file", 422, str(error)
    except RecursionError:
        return "error", "unreadable_file", 422, f"{filename}: nested too deeply to read."


class _RefusedError(Exception):
    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def _check_zip(data: bytes, filename: str, limits: UploadLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return  # text_from_bytes says it is not a readable .docx
    if declared > limits.uncompressed_bytes:
        raise _RefusedError("too_large_uncompressed", 413,
                       f"{filename}: its parts unpack to {declared // 2**20} MB; the limit is "
                       f"{limits.uncompressed_bytes // 2**20} MB uncompressed.")


def _check_pages(data: bytes, filename: str, limits: UploadLimits) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, OSError):
        return  # text_from_bytes says it is not a readable .pdf
    if pages > limits.pages:
        raise _RefusedError("too_many_pages", 413,
                       f"{filename}: {pages} pages; the limit is {limits.pages} pages.")


class Extractor:
    """The pool; `text` reads one upload within the limits."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self._pool: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(limits.workers)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: forking a process that runs an event loop and threads is unsafe.
            self._pool = ProcessPoolExecutor(
                self.limits.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_memory, initargs=(self.limits.memory_bytes,),
            )
        return self._pool

    async def text(self, data: bytes, filename: str) -> str:
        """The upload's text, or a ClerkError naming the limit it went over."""
        from rules.sources import SourceError, file_kind

        try:
            kind = file_kind(data, filename)  # by content: a PDF named .txt goes to the pool
        except SourceError as error:
            raise ClerkError(422, "unreadable_file", str(error)) from error
        if kind == "txt":
            from docroute.intake import decode_text  # plain text: linear, read here

            return decode_text(data, filename)
        async with self._slots:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor(), read_upload, data, filename,
                                          self.limits)
            try:
                async with asyncio.timeout(self.limits.seconds):
                    outcome = await future
            except TimeoutError:
                self.close()  # the worker may be stuck in the file: replace the pool
                raise ClerkError(422, "too_slow_to_read",
                                 f"{filename}: reading it took longer than "
                                 f"{self.limits.seconds:g} seconds (the upload time limit)."
                                 ) from None
            except BrokenProcessPool:
                self.close()
                raise ClerkError(413, "over_memory_limit",
                                 f"{filename}: reading it needs more than "
                                 f"{self.limits.memory_bytes // 2**20} MB of memory (the "
                                 "upload memory limit).") from None
        kind, first, status, message = outcome
        if kind == "ok":
            return first
        raise ClerkError(status, first, message)

    def close(self) -> None:
        """Stop the workers (killing any still reading)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
