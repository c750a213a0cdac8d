"""The output contract (docs/contracts.md, "Outputs"): `Output` and `OutputFolder` on every kind
of path a user can name, real ones wherever this machine has them.

Each table is a kind: a file (new, existing, linked), a stream (a device, a FIFO, a descriptor
such as /dev/stdout), a path to refuse (a folder, a missing folder, an input, a folder that
cannot be written), a failure during the work (an exception, Ctrl-C, a full disk). Real cases
only: a read-only or full file system is a tmpfs mounted for the test (root), a folder not
yours is tried by a forked child that became `nobody` (root) or directly (not root), a full
disk is also RLIMIT_FSIZE in a child process; where none is possible the test says why it
skips.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

from attention_ts.core.io import (
    Output,
    OutputFolder,
    atomic_output,
    check_outputs,
    replaces,
    safe_name,
)
from attention_ts.core.stage import Interrupted, PipelineError
from tests.conftest import REPO

TEXT = "id,p_normal,p_anomalous,prediction\ns0,0.25,0.75,anomalous\n"
OLD = "what was there before\n"
NOBODY = 65534


def temporaries(*folders: Path) -> list[Path]:
    """Temporary files or folders (`.<name>.tmp-<pid>`) left in `folders`, at any depth."""
    return [
        Path(root) / name
        for folder in folders
        for root, dirs, files in os.walk(folder)
        for name in [*dirs, *files]
        if ".tmp-" in name
    ]


def snapshot(folder: Path, staged: bool = True) -> dict[str, tuple]:
    """Everything under `folder`, links not followed: kind, bytes or link target, inode (with
    `staged` false, temporary files and folders and what they hold left out)."""
    found: dict[str, tuple] = {}
    for root, dirs, files in os.walk(folder):
        if not staged:
            dirs[:] = [name for name in dirs if ".tmp-" not in name]
        for name in [*dirs, *files]:
            if not staged and ".tmp-" in name:
                continue
            path = Path(root) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                found[str(path)] = ("file", path.read_bytes(), info.st_ino)
            else:
                found[str(path)] = (stat.S_IFMT(info.st_mode), info.st_ino)
    return found


def write(out: Output, text: str = TEXT) -> None:
    """The work: `text` written through the output's stream."""
    with out.open(newline="") as stream:
        stream.write(text)


class Reader:
    """A thread reading a FIFO or a pipe's read end to its end, as a consumer of a stream does."""

    def __init__(self, path: Path | None = None, fd: int | None = None) -> None:
        self.text = ""
        self.thread = threading.Thread(target=self.read, args=(path, fd), daemon=True)
        self.thread.start()

    def read(self, path: Path | None, fd: int | None) -> None:
        with open(path if path is not None else fd, encoding="utf-8") as stream:
            self.text = stream.read()

    def result(self) -> str:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the stream's writer never closed it"
        return self.text


# --- where the output goes: each kind of path, and what it must be afterwards


class Written(NamedTuple):
    """A path to name as the output, and what must hold after the text was written to it."""

    given: Path
    check: Callable[[], None]  # asserts, after the `with` block
    during: Callable[[], None] = lambda: None  # asserts, inside the `with` block (the work)


def new_file(tmp: Path) -> Written:
    path = tmp / "out.csv"

    def check() -> None:
        assert path.is_file() and not path.is_symlink() and path.read_text() == TEXT

    def during() -> None:
        assert not path.exists()

    return Written(path, check, during)


def existing_file(tmp: Path) -> Written:
    path = tmp / "out.csv"
    path.write_text(OLD)
    inode = path.stat().st_ino

    def during() -> None:  # still the old file, whole, while the work runs
        assert path.read_text() == OLD and path.stat().st_ino == inode

    def check() -> None:  # a new file renamed onto it: never rewritten in place
        assert path.read_text() == TEXT and path.stat().st_ino != inode

    return Written(path, check, during)


def symlink_to_file(tmp: Path, relative: bool = False, chain: int = 1) -> Written:
    (tmp / "data").mkdir()
    target = tmp / "data" / "target.csv"
    target.write_text(OLD)
    (tmp / "links").mkdir()
    link = previous = target
    for k in range(chain):
        link = tmp / "links" / f"link{k}.csv"
        link.symlink_to(os.path.relpath(previous, link.parent) if relative else previous)
        previous = link
    links = {p: os.readlink(p) for p in (tmp / "links").iterdir()}

    def during() -> None:
        assert target.read_text() == OLD

    def check() -> None:  # the target gets the output; every link stays the link it was
        assert target.read_text() == TEXT and not target.is_symlink()
        assert {p: os.readlink(p) for p in (tmp / "links").iterdir()} == links

    return Written(link, check, during)


def dangling_symlink(tmp: Path) -> Written:
    (tmp / "data").mkdir()
    target = tmp / "data" / "new.csv"
    link = tmp / "link.csv"
    link.symlink_to(target)

    def check() -> None:
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_text() == TEXT

    return Written(link, check)


def device(path: Path) -> Callable[[], None]:
    """A check that `path` is still the character device it is now (never replaced)."""
    info = path.stat()

    def check() -> None:
        after = path.stat()
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == info.st_rdev
        assert after.st_ino == info.st_ino

    return check


def dev_null(tmp: Path) -> Written:
    return Written(Path("/dev/null"), device(Path("/dev/null")))  # written to, never replaced


def link_to_dev_null(tmp: Path) -> Written:
    link = tmp / "null"
    link.symlink_to("/dev/null")
    still = device(Path("/dev/null"))

    def check() -> None:
        still()
        assert link.is_symlink() and os.readlink(link) == "/dev/null"

    return Written(link, check)


def own_device(tmp: Path) -> Written:
    """A character device of our own (the same as /dev/null), as root may make one."""
    if os.geteuid() != 0:
        pytest.skip("mknod of a character device needs root; /dev/null is the case for others")
    path = tmp / "fakenull"
    os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    return Written(path, device(path))


def fifo(tmp: Path, linked: bool = False) -> Written:
    path = tmp / "pipe"
    os.mkfifo(path)
    given = path
    if linked:
        given = tmp / "link-to-pipe"
        given.symlink_to(path)
    reader = Reader(path)

    def check() -> None:
        assert reader.result() == TEXT
        assert stat.S_ISFIFO(path.lstat().st_mode)
        assert not linked or given.is_symlink()

    return Written(given, check)


def descriptor_of_a_pipe(tmp: Path) -> Written:
    """/dev/fd/N of a pipe: what /dev/stdout is under `| consumer`."""
    read_end, write_end = os.pipe()
    reader = Reader(fd=read_end)

    def check() -> None:
        os.close(write_end)  # the last writer: the reader sees the end
        assert reader.result() == TEXT

    return Written(Path(f"/dev/fd/{write_end}"), check)


def descriptor_appending_to_a_file(tmp: Path) -> Written:
    """/proc/self/fd/N open on a regular file for appending: `predict ... /dev/stdout >> log`."""
    log = tmp / "log.csv"
    log.write_text(OLD)
    inode = log.stat().st_ino
    stream = open(log, "a")  # noqa: SIM115 (open through the work, as a shell holds it)
    link = tmp / "stdout"  # as /dev/stdout links to /proc/self/fd/1
    link.symlink_to(f"/proc/self/fd/{stream.fileno()}")

    def check() -> None:
        stream.close()
        assert log.read_text() == OLD + TEXT  # appended, not truncated nor replaced
        assert log.stat().st_ino == inode and link.is_symlink()
        assert os.readlink(link).startswith("/proc/self/fd/")

    return Written(link, check)


def descriptor_sharing_an_offset(tmp: Path) -> Written:
    """/dev/fd/N of a file a shell opened with `> file 2>&1`: what the output and a later line
    on the other descriptor write both stay, one after the other."""
    path = tmp / "both.txt"
    stream = open(path, "w")  # noqa: SIM115 (open through the work, as a shell holds it)
    other = os.dup(stream.fileno())  # the 2>&1: one open file, two descriptors

    def check() -> None:
        os.write(other, b"summary\n")
        os.close(other)
        stream.close()
        assert path.read_text() == TEXT + "summary\n"

    return Written(Path(f"/dev/fd/{stream.fileno()}"), check)


WRITTEN = {
    "a new file": new_file,
    "an existing file": existing_file,
    "a symlink to a file": symlink_to_file,
    "a relative symlink into another folder": lambda tmp: symlink_to_file(tmp, relative=True),
    "a chain of three symlinks": lambda tmp: symlink_to_file(tmp, chain=3),
    "a dangling symlink": dangling_symlink,
    "/dev/null": dev_null,
    "a symlink to /dev/null": link_to_dev_null,
    "a character device of our own": own_device,
    "a FIFO": fifo,
    "a symlink to a FIFO": lambda tmp: fifo(tmp, linked=True),
    "/dev/fd/N of a pipe": descriptor_of_a_pipe,
    "a link to /proc/self/fd/N appending to a file": descriptor_appending_to_a_file,
    "/dev/fd/N sharing its offset with another descriptor": descriptor_sharing_an_offset,
}


@pytest.mark.parametrize("case", WRITTEN)
def test_each_kind_of_output_path_gets_the_output_and_stays_what_it_was(tmp_path, case):
    written = WRITTEN[case](tmp_path)
    with Output(written.given, "output", {}) as out:
        written.during()
        write(out)
        written.during()
    written.check()
    assert temporaries(tmp_path) == []


def test_a_regular_file_is_written_to_a_temporary_file_in_its_targets_folder_at_once(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "out.csv"
    (tmp_path / "link.csv").symlink_to(target)
    with Output(tmp_path / "link.csv", "output", {}) as out:
        assert out.path.parent == target.parent and out.path.exists()  # created before the work
        assert temporaries(tmp_path) == [out.path] and not target.exists()
        write(out)
    assert target.read_text() == TEXT and temporaries(tmp_path) == []


# --- a failure during the work: what was there stays, no temporary file


FAILURES = {  # raised in the work -> what the caller sees
    "an error": (ValueError("bad series"), ValueError),
    "Ctrl-C": (KeyboardInterrupt(), KeyboardInterrupt),
    "SIGTERM": (Interrupted(signal.SIGTERM), Interrupted),
    "a full disk": (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), PipelineError),
    "a quota": (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), PipelineError),
    "a disk error": (OSError(errno.EIO, os.strerror(errno.EIO)), PipelineError),
    "another OSError": (FileNotFoundError(errno.ENOENT, "gone", "x"), FileNotFoundError),
}
BEFORE = {  # what the output path is before the failed run
    "nothing": lambda tmp: tmp / "out.csv",
    "a file": existing_file,
    "a symlink to a file": symlink_to_file,
}


@pytest.mark.parametrize("before", BEFORE)
@pytest.mark.parametrize("failure", FAILURES)
def test_a_failure_mid_write_leaves_what_was_there_and_no_temporary_file(tmp_path, failure, before):
    made = BEFORE[before](tmp_path)
    given = made if isinstance(made, Path) else made.given
    was = snapshot(tmp_path)
    error, seen = FAILURES[failure]
    with pytest.raises(seen) as raised, Output(given, "output", {}) as out:
        with out.open() as stream:
            stream.write(TEXT[:10])  # half written
            stream.flush()
        raise error
    assert snapshot(tmp_path) == was
    if seen is PipelineError:
        message = str(raised.value)
        assert message.startswith(f"output {given}: cannot write in ") and "\n" not in message
        assert f"({error.strerror})" in message


def test_a_full_disk_is_one_line_and_the_old_file_is_kept(full_disk):
    old = full_disk / "old.csv"
    free = os.statvfs(full_disk).f_bfree
    with pytest.raises(PipelineError) as raised, Output(old, "output", {}) as out:
        write(out, TEXT * 10_000)  # 600 kB on a 64 kB file system
    assert str(raised.value).startswith(f"output {old}: cannot write in {full_disk} (No space ")
    assert old.read_text() == OLD and temporaries(full_disk) == []
    assert os.statvfs(full_disk).f_bfree == free  # the temporary file's blocks given back


FSIZE_CHILD = """
import sys
from pathlib import Path
from attention_ts.core.io import Output
from attention_ts.core.stage import PipelineError
try:
    with Output(Path(sys.argv[1]), "output", {}) as out:
        with out.open() as stream:
            stream.write("x" * 100_000)
except PipelineError as error:
    print(error)
"""


def test_a_file_size_limit_is_one_line_and_the_old_file_is_kept(tmp_path):
    """RLIMIT_FSIZE, as ulimit -f sets it: a write past it fails with EFBIG (Python ignores
    SIGXFSZ), which Output reports like a full disk."""
    old = tmp_path / "out.csv"
    old.write_text(OLD)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))

    done = subprocess.run(
        [sys.executable, "-c", FSIZE_CHILD, str(old)],
        cwd=REPO,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"output {old}: cannot write in {tmp_path} (File too large); allowed: a path in an "
        "existing folder you can write, on a disk with room\n"
    )
    assert old.read_text() == OLD and temporaries(tmp_path) == []


STREAM_FAILURES = {  # a stream that cannot take the output -> the reason in the one line
    "/dev/full": (lambda: (Path("/dev/full"), lambda: None), "No space left on device"),
    "a pipe whose reader is gone": (lambda: closed_pipe(), "Broken pipe"),
}


def closed_pipe() -> tuple[Path, Callable[[], None]]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    return Path(f"/dev/fd/{write_end}"), lambda: os.close(write_end)


@pytest.mark.parametrize("case", STREAM_FAILURES)
def test_a_stream_that_cannot_take_the_output_is_one_line(case):
    make, reason = STREAM_FAILURES[case]
    given, close = make()
    try:
        message = rf"^output {given}: .*\({reason}\); allowed: "
        with pytest.raises(PipelineError, match=message), Output(given, "output", {}) as out:
            write(out, TEXT * 10_000)  # more than a pipe's buffer
    finally:
        close()


# --- refused before any work: nothing made, nothing changed


class Refused(NamedTuple):
    given: Path
    inputs: dict[str, Path]
    message: str  # a regular expression the one line matches


def inputs_in(tmp: Path) -> dict[str, Path]:
    """An input file and a model next to it, as a command reads them."""
    (tmp / "in.csv").write_text("id,v0,v1\na,1,2\n")
    (tmp / "model.pt").write_bytes(b"weights")
    return {"input": tmp / "in.csv", "--model": tmp / "model.pt"}


def refused_folder(tmp: Path) -> Refused:
    (tmp / "folder").mkdir()
    return Refused(tmp / "folder", inputs_in(tmp), "is a folder; allowed: a file name")


def refused_link_to_folder(tmp: Path) -> Refused:
    (tmp / "folder").mkdir()
    (tmp / "link").symlink_to(tmp / "folder")
    return Refused(tmp / "link", inputs_in(tmp), "is a folder; allowed: a file name")


def refused_missing_parent(tmp: Path) -> Refused:
    return Refused(
        tmp / "missing" / "out.csv", inputs_in(tmp), r"its folder .*missing does not exist"
    )


def refused_link_into_missing_folder(tmp: Path) -> Refused:
    (tmp / "link").symlink_to(tmp / "missing" / "out.csv")
    return Refused(tmp / "link", inputs_in(tmp), r"its folder .*missing does not exist")


def refused_file_as_folder(tmp: Path) -> Refused:
    inputs = inputs_in(tmp)
    return Refused(tmp / "in.csv" / "out.csv", inputs, r"its folder .*in\.csv does not exist")


def refused_loop(tmp: Path) -> Refused:
    (tmp / "loop").symlink_to(tmp / "loop")
    return Refused(tmp / "loop", inputs_in(tmp), "is a symlink that loops")


def refused_socket(tmp: Path) -> Refused:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp / "sock"))
    server.close()
    return Refused(tmp / "sock", inputs_in(tmp), "is a socket, which cannot be opened as a file")


def refused_input(tmp: Path, how: str) -> Refused:
    inputs = inputs_in(tmp)
    given = {
        "the input": lambda: inputs["input"],
        "the input by another path": lambda: tmp / "sub" / ".." / "in.csv",
        "a symlink to the input": lambda: link(tmp / "link.csv", inputs["input"]),
        "a hard link to the input": lambda: hard_link(tmp / "hard.csv", inputs["input"]),
        "the model": lambda: inputs["--model"],
        "a symlink to the model": lambda: link(tmp / "m.pt", inputs["--model"]),
        "a folder holding the input": lambda: tmp,
    }[how]()
    (tmp / "sub").mkdir(exist_ok=True)
    return Refused(given, inputs, r"would write over (input|--model) .*; allowed: an output path")


def link(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def hard_link(path: Path, target: Path) -> Path:
    path.hardlink_to(target)
    return path


def refused_in(folder: str) -> Callable[[Path], Refused]:
    """A file in a folder of the system that no one may create files in, root included."""

    def make(tmp: Path) -> Refused:
        if not Path(folder).is_dir():
            pytest.skip(f"no {folder} on this system")
        return Refused(Path(folder) / "out.csv", inputs_in(tmp), rf"cannot write in {folder} \(")

    return make


REFUSED = {
    "a folder": refused_folder,
    "a symlink to a folder": refused_link_to_folder,
    "a missing parent folder": refused_missing_parent,
    "a dangling symlink into a missing folder": refused_link_into_missing_folder,
    "a file's name used as a folder": refused_file_as_folder,
    "a symlink that loops": refused_loop,
    "a socket": refused_socket,
    **{
        how: functools.partial(refused_input, how=how)
        for how in (
            "the input",
            "the input by another path",
            "a symlink to the input",
            "a hard link to the input",
            "the model",
            "a symlink to the model",
            "a folder holding the input",
        )
    },
    "a file in /proc": refused_in("/proc"),
    "a file in /sys": refused_in("/sys"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_outputs_that_cannot_or_must_not_be_written_are_refused_before_the_work(tmp_path, case):
    refused = REFUSED[case](tmp_path)
    was = snapshot(tmp_path)
    with pytest.raises(PipelineError) as raised:
        Output(refused.given, "output", refused.inputs)
    message = str(raised.value)
    assert message.startswith(f"output {refused.given}") and "\n" not in message
    assert "allowed: " in message and re.search(refused.message, message), message
    assert snapshot(tmp_path) == was  # nothing made, nothing changed


@contextmanager
def mounted(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `folder` for the block (root only: the test skips otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only or full file system is a tmpfs mounted for the test: needs root")
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only_folder(tmp_path) -> Iterator[Path]:
    """A read-only mount (a tmpfs remounted ro) holding old.csv, a folder `old` and a link."""
    with mounted(tmp_path / "ro", "size=64k,mode=755") as folder:
        (folder / "old.csv").write_text(OLD)
        (folder / "old").mkdir()
        (folder / "link.csv").symlink_to(folder / "old.csv")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A 64 kB tmpfs holding old.csv."""
    with mounted(tmp_path / "small", "size=64k,mode=755") as folder:
        (folder / "old.csv").write_text(OLD)
        yield folder


@pytest.mark.parametrize("name", ["new.csv", "old.csv", "link.csv"])
def test_a_read_only_mount_is_refused_before_the_work(read_only_folder, name):
    given = read_only_folder / name
    was = snapshot(read_only_folder)
    message = (
        f"output {given}: cannot write in {read_only_folder} (Read-only file system); allowed: "
        "a path in an existing folder you can write, on a disk with room"
    )
    with pytest.raises(PipelineError) as raised:
        Output(given, "output", {})
    assert str(raised.value) == message
    assert snapshot(read_only_folder) == was


@pytest.mark.parametrize("name", ["new", "old"])
def test_a_read_only_mount_as_output_folder_is_refused_before_the_work(read_only_folder, name):
    given = read_only_folder / name
    was = snapshot(read_only_folder)
    with pytest.raises(PipelineError, match=r"\(Read-only file system\); allowed: "):
        OutputFolder(given, "--plots", {})
    assert snapshot(read_only_folder) == was


def as_another_user(work: Callable[[], str]) -> str:
    """`work()` run as a user who owns nothing here: in a forked child that became `nobody`
    when this is root (whom permissions do not stop), else right here."""
    if os.geteuid() != 0:
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        result = "child failed"
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = work()
        except BaseException as error:
            result = f"{type(error).__name__}: {error}"
        finally:
            os.write(write_end, result.encode())
            os._exit(0)
    os.close(write_end)
    with open(read_end, encoding="utf-8") as stream:
        result = stream.read()
    os.waitpid(pid, 0)
    return result


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder others may enter (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="attention-ts-io-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


UNWRITABLE = {  # a folder the user may not write in: how it is made, and its mode
    "read-only (chmod 555)": 0o555,
    "not yours (root's, 755)": 0o755,
}


@pytest.mark.parametrize("case", UNWRITABLE)
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_folder_the_user_may_not_write_is_refused_before_the_work(shared_folder, case, kind):
    if os.geteuid() != 0 and case.startswith("not yours"):
        pytest.skip("a folder of another user needs root to make")
    folder = shared_folder / "locked"
    folder.mkdir()
    (folder / "old.csv").write_text(OLD)
    folder.chmod(UNWRITABLE[case])
    given = folder / ("out.csv" if kind == "file" else "plots")
    name = "output" if kind == "file" else "--plots"

    def work() -> str:
        try:
            (Output if kind == "file" else OutputFolder)(given, name, {})
        except PipelineError as error:
            return str(error)
        return "accepted"

    was = snapshot(shared_folder)
    assert as_another_user(work) == (
        f"{name} {given}: cannot write in {folder} (Permission denied); allowed: a path in an "
        "existing folder you can write, on a disk with room"
    )
    assert snapshot(shared_folder) == was


def test_a_device_the_user_may_not_write_is_refused_before_the_work(shared_folder):
    if os.geteuid() != 0:
        pytest.skip("a device node of our own needs root (mknod)")
    path = shared_folder / "fakenull"
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # root's alone

    def work() -> str:
        try:
            Output(path, "output", {})
        except PipelineError as error:
            return str(error)
        return "accepted"

    assert as_another_user(work).startswith(f"output {path}: cannot write in {shared_folder} (")
    assert stat.S_ISCHR(path.lstat().st_mode)


# --- check_outputs: no output is, links to or holds an input or another output


def relations(tmp: Path) -> dict[str, tuple[dict, dict, str | None]]:
    """name -> (outputs, inputs, the output refused, or None when all may be written)."""
    data = tmp / "data"
    data.mkdir()
    (data / "in.csv").write_text("x")
    (tmp / "plots").mkdir()
    (tmp / "to-data").symlink_to(data)
    (tmp / "hard.csv").hardlink_to(data / "in.csv")
    read = {"input": data / "in.csv", "params.yaml": tmp / "params.yaml"}  # absent: no harm
    inside = {"output": tmp / "plots" / "o.csv", "--plots": tmp / "plots"}
    return {
        "apart": ({"output": tmp / "out.csv", "--plots": tmp / "plots"}, read, None),
        "output is the input": ({"output": data / "in.csv"}, read, "output"),
        "output hard-links the input": ({"output": tmp / "hard.csv"}, read, "output"),
        "output through a linked folder": ({"output": tmp / "to-data" / "in.csv"}, read, "output"),
        "--plots holds the input": ({"--plots": data}, read, "--plots"),
        "--plots links to the input's folder": ({"--plots": tmp / "to-data"}, read, "--plots"),
        "--plots holds the output": (inside, read, "--plots"),
        "--plots is the output": ({"output": tmp / "x", "--plots": tmp / "x"}, read, "output"),
        "a missing params.yaml is no input to harm": ({"output": tmp / "out.csv"}, read, None),
        "an output where params.yaml would be": ({"output": tmp / "params.yaml"}, read, "output"),
        "an output not written (None)": ({"output": tmp / "o.csv", "--plots": None}, read, None),
    }


RELATIONS = [
    "apart",
    "output is the input",
    "output hard-links the input",
    "output through a linked folder",
    "--plots holds the input",
    "--plots links to the input's folder",
    "--plots holds the output",
    "--plots is the output",
    "a missing params.yaml is no input to harm",
    "an output where params.yaml would be",
    "an output not written (None)",
]


@pytest.mark.parametrize("case", RELATIONS)
def test_check_outputs_refuses_an_output_over_an_input_or_another_output(tmp_path, case):
    table = relations(tmp_path)
    assert sorted(table) == sorted(RELATIONS)
    outputs, inputs, refused = table[case]
    if refused is None:
        check_outputs(outputs, inputs)
        return
    with pytest.raises(PipelineError) as raised:
        check_outputs(outputs, inputs)
    message = str(raised.value)
    assert message.startswith(f"{refused} {outputs[refused]} would write over ")
    assert "\n" not in message


def test_replaces_is_about_the_same_file_or_a_folder_holding_it(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("x")
    (tmp_path / "ab").write_text("y")
    assert replaces(tmp_path / "a", tmp_path / "a" / "f")
    assert not replaces(tmp_path / "a", tmp_path / "ab")  # a prefix of the name is not a folder
    assert not replaces(tmp_path / "a" / "f", tmp_path / "a")


# --- OutputFolder: written into, never emptied


def run_folder(folder: Path, files: dict[str, str], inputs: dict | None = None) -> list[Path]:
    """One run writing `files` (stem -> text) as .png files; the staged paths."""
    staged = []
    was = snapshot(folder.parent, staged=False)
    with OutputFolder(folder, "--plots", inputs or {}) as plots:
        for k, (stem, text) in enumerate(files.items()):
            path = plots.name(stem, f"row{k + 2}", ".png")
            path.write_text(text)
            staged.append(path)
        assert snapshot(folder.parent, staged=False) == was  # nothing in place before the end
    return staged


EARLIER = {"a.png": "old a", "b.png": "old b"}
MANIFEST = OutputFolder.MANIFEST


def earlier_run(folder: Path) -> None:
    """What an earlier run left: its files and its manifest."""
    folder.mkdir()
    for name, text in EARLIER.items():
        (folder / name).write_text(text)
    (folder / MANIFEST).write_text("".join(f"{name}\n" for name in EARLIER))


FOLDERS = {  # how --plots is before the run -> the files the folder holds after it
    "new": (lambda f: None, {"a.png": "new a", "c.png": "new c"}),
    "empty": (lambda f: f.mkdir(), {"a.png": "new a", "c.png": "new c"}),
    "written by an earlier run": (
        earlier_run,
        {"a.png": "new a", "b.png": "old b", "c.png": "new c"},
    ),
    "a symlink to an earlier run's folder": (
        lambda f: (earlier_run(f.with_name("real")), f.symlink_to(f.with_name("real"))),
        {"a.png": "new a", "b.png": "old b", "c.png": "new c"},
    ),
    "a dangling symlink": (
        lambda f: f.symlink_to(f.with_name("made")),
        {"a.png": "new a", "c.png": "new c"},
    ),
}


@pytest.mark.parametrize("case", FOLDERS)
def test_output_folder_adds_its_files_and_replaces_only_its_own(tmp_path, case):
    make, expected = FOLDERS[case]
    folder = tmp_path / "plots"
    make(folder)
    run_folder(folder, {"a": "new a", "c": "new c"})
    held = {p.name: p.read_text() for p in folder.iterdir() if p.name != MANIFEST}
    assert held == expected
    assert (folder / MANIFEST).read_text().splitlines() == sorted(expected)
    assert temporaries(tmp_path) == []
    if case == "a dangling symlink":
        assert folder.is_symlink() and (tmp_path / "made").is_dir()


def test_a_second_run_extends_the_manifest_and_a_third_replaces_again(tmp_path):
    folder = tmp_path / "plots"
    run_folder(folder, {"a": "1"})
    run_folder(folder, {"b": "2"})
    run_folder(folder, {"a": "3"})
    assert {p.name: p.read_text() for p in folder.iterdir() if p.name != MANIFEST} == {
        "a.png": "3",
        "b.png": "2",
    }
    assert (folder / MANIFEST).read_text() == "a.png\nb.png\n"


def pipeline_plots(folder: Path) -> None:
    """What the pipeline's plots/attention holds: its own PNGs, no manifest."""
    folder.mkdir()
    for name in ("anomalous_1.png", "grid.png", "normal_1.png"):
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())


FOREIGN = {  # a folder holding what the command did not write -> the names the message shows
    "a file of the user": (lambda f: (f.mkdir(), (f / "notes.txt").write_text("mine")), "notes"),
    "the pipeline's plots/attention": (pipeline_plots, "anomalous_1.png, grid.png, normal_1.png"),
    "a folder of the user's figures": (
        lambda f: (f.mkdir(), (f / "my_paper_fig1.png").write_bytes(b"\x89PNG")),
        "my_paper_fig1.png",
    ),
    "a hidden file": (lambda f: (f.mkdir(), (f / ".DS_Store").write_text("")), ".DS_Store"),
    "a subfolder": (lambda f: (f.mkdir(), (f / "sub").mkdir()), "sub"),
    "an earlier run's files and one of the user": (
        lambda f: (earlier_run(f), (f / "z.png").write_text("mine")),
        "z.png",
    ),
    "a manifest that is a folder": (lambda f: (f.mkdir(), (f / MANIFEST).mkdir()), MANIFEST),
    "a manifest that is a symlink": (
        lambda f: (
            earlier_run(f.with_name("real")),
            f.mkdir(),
            link(f / MANIFEST, f.with_name("real") / MANIFEST),
        ),
        MANIFEST,
    ),
    "a file it wrote, now a folder": (
        lambda f: (earlier_run(f), (f / "a.png").unlink(), (f / "a.png").mkdir()),
        "a.png",
    ),
    "a file it wrote, now a symlink": (
        lambda f: (earlier_run(f), (f / "a.png").unlink(), link(f / "a.png", f / "b.png")),
        "a.png",
    ),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_output_folder_holding_anything_else_is_refused_and_left_as_it_was(tmp_path, case):
    make, shown = FOREIGN[case]
    folder = tmp_path / "plots"
    make(folder)
    was = snapshot(tmp_path)
    with pytest.raises(PipelineError) as raised:
        run_folder(folder, {"a": "new"})
    message = str(raised.value)
    assert message.startswith(f"--plots {folder}") and "\n" not in message
    if shown is not None:
        assert f"holds files this command did not write ({shown}" in message
    assert snapshot(tmp_path) == was


FOLDER_REFUSED = {
    "a file": lambda tmp: ((tmp / "f").write_text("x"), tmp / "f")[1],
    "a missing parent": lambda tmp: tmp / "missing" / "plots",
    "a symlink that loops": lambda tmp: link(tmp / "loop", tmp / "loop"),
    "a folder in /proc": lambda tmp: Path("/proc/plots"),
}


@pytest.mark.parametrize("case", FOLDER_REFUSED)
def test_output_folders_that_cannot_be_made_are_refused(tmp_path, case):
    given = FOLDER_REFUSED[case](tmp_path)
    was = snapshot(tmp_path)
    with pytest.raises(PipelineError) as raised:
        OutputFolder(given, "--plots", {})
    assert str(raised.value).startswith(f"--plots {given}") and "\n" not in str(raised.value)
    assert snapshot(tmp_path) == was


@pytest.mark.parametrize("case", ["new", "written by an earlier run"])
@pytest.mark.parametrize("failure", ["an error", "Ctrl-C", "SIGTERM", "a full disk"])
def test_a_failed_run_changes_nothing_in_the_output_folder(tmp_path, case, failure):
    folder = tmp_path / "plots"
    FOLDERS[case][0](folder)
    was = snapshot(tmp_path)
    error, seen = FAILURES[failure]
    with pytest.raises(seen), OutputFolder(folder, "--plots", {}) as plots:
        plots.name("a", "row2", ".png").write_text("new a")
        plots.name("c", "row3", ".png").write_text("new c")
        raise error
    assert snapshot(tmp_path) == was


def test_a_full_disk_while_filling_the_output_folder_changes_nothing(full_disk):
    folder = full_disk / "plots"
    earlier_run(folder)
    was = snapshot(full_disk)
    full = pytest.raises(PipelineError, match=r"\(No space left on device\)")
    with full, OutputFolder(folder, "--plots", {}) as plots:
        for k in range(20):
            plots.name(f"s{k}", f"row{k}", ".png").write_text(TEXT * 200)
    assert snapshot(full_disk) == was


NFC, NFD = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
NAMES = {  # ids in file order -> the files one run writes (row k + 2 each, as in a wide CSV)
    "distinct ids": (["a", "b"], ["a.png", "b.png"]),
    "the same after sanitizing": (
        ["a/b", "a_b", "a b"],
        ["a_b.png", "a_b-row3.png", "a_b-row4.png"],
    ),
    "differing only in case": (
        ["Pump", "pump", "PUMP"],
        ["Pump.png", "pump-row3.png", "PUMP-row4.png"],
    ),
    "NFC and NFD of one text": ([NFC, NFD], [f"{NFC}.png", f"{NFC}-row3.png"]),
    "a tagged name taken by an id": (
        ["x", "X", "x-row3"],
        ["x.png", "X-row3.png", "x-row3-row4.png"],
    ),
    "Greek and CJK kept": (["αβγ", "数据", "Ωμέγα"], ["αβγ.png", "数据.png", "Ωμέγα.png"]),
    "emoji are not letters": (["🙂", "🙃"], ["_.png", "_-row3.png"]),
    "path separators": (["../etc/passwd", "a\\b"], ["_._etc_passwd.png", "a_b.png"]),
    "leading dots": ([".hidden", "..", "."], ["_hidden.png", "_..png", "_.png"]),
    "control characters": (["a\nb", "a\x00b"], ["a_b.png", "a_b-row3.png"]),
}


@pytest.mark.parametrize("case", NAMES)
def test_ids_become_distinct_file_names_whatever_their_case_form_or_script(tmp_path, case):
    ids, expected = NAMES[case]
    folder = tmp_path / "plots"
    staged = run_folder(folder, {series_id: series_id for series_id in ids})
    assert [path.name for path in staged] == expected
    for series_id, name in zip(ids, expected):  # each file holds its own series
        assert (folder / name).read_text() == series_id
    folded = {unicodedata.normalize("NFC", name).casefold() for name in expected}
    assert len(folded) == len(ids)  # distinct where case and form are ignored (macOS, Windows)


LONG = {  # an id of 300 bytes and more -> the file name's stem: at most 200 bytes, whole characters
    "ASCII": ("x" * 300, "x" * 200),
    "2-byte letters": ("é" * 150, "é" * 100),
    "a 2-byte letter across the cut": ("x" * 199 + "é" * 60, "x" * 199),
    "3-byte CJK": ("数" * 100, "数" * 66),
    "4-byte letters across the cut": ("x" + "𐐀" * 80, "x" + "𐐀" * 49),
}


@pytest.mark.parametrize("case", LONG)
def test_long_ids_are_cut_at_200_bytes_on_a_character_boundary(tmp_path, case):
    series_id, stem = LONG[case]
    assert len(series_id.encode()) >= 300
    assert safe_name(series_id) == stem and len(stem.encode()) <= 200
    folder = tmp_path / "plots"
    staged = run_folder(folder, {series_id: "1", series_id + "!": "2"})  # the same first 200 bytes
    assert [p.name for p in staged] == [f"{stem}.png", f"{stem}-row3.png"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST, *(p.name for p in staged)])


SAFE = {
    "": "_",
    "a.b-c_d": "a.b-c_d",
    "x y": "x_y",
    "a:b*c?d": "a_b_c_d",
    "..": "_.",
    "/": "_",
    "Ελληνικά": "Ελληνικά",
    "日本語": "日本語",
    "١٢٣": "١٢٣",  # Arabic-Indic digits are digits
    NFD: NFC,
}


@pytest.mark.parametrize("text", SAFE)
def test_safe_name_keeps_letters_digits_and_marks_of_any_script(text):
    assert safe_name(text) == SAFE[text]


def test_safe_name_falls_back_to_ascii_where_the_file_system_encoding_cannot_hold_a_letter(
    monkeypatch,
):
    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "ascii")
    assert safe_name("αβγ-1") == "___-1"
    assert safe_name("日本") == "__"


# --- atomic_output, the pipeline's own paths


@pytest.mark.parametrize("failure", [None, "an error", "Ctrl-C", "SIGTERM"])
@pytest.mark.parametrize("before", ["nothing", "a file", "a folder"])
def test_atomic_output_replaces_only_on_success(tmp_path, failure, before):
    path = tmp_path / "out"
    if before == "a file":
        path.write_text(OLD)
    elif before == "a folder":
        path.mkdir()
        (path / "f").write_text(OLD)
    was = snapshot(tmp_path)
    if failure is None:
        with atomic_output(path) as tmp:
            tmp.write_text(TEXT)
        assert path.read_text() == TEXT
    else:
        error, seen = FAILURES[failure]
        with pytest.raises(seen), atomic_output(path) as tmp:
            tmp.write_text(TEXT)
            raise error
        assert snapshot(tmp_path) == was
    assert temporaries(tmp_path) == []
