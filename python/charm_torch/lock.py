"""The checkpoint folder's writer lock, compatible with src/training/checkpointLock.ts (proper-lockfile):
a `.charm-lock` folder whose mtime the holder refreshes every 10 s, and `.charm-lock-owner.json` naming it. So
`charm train` and this trainer never write into the same folder at once."""

import json
import os
import shutil
import socket
import threading
import time

from .errors import CharmTorchError

LOCK_NAME = ".charm-lock"
OWNER_NAME = ".charm-lock-owner.json"
UPDATE_SECONDS = 10
OWNERLESS_STALE_SECONDS = 30
STALE_SECONDS = 120


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FolderLock:
    def __init__(self, root, command):
        self.root = root
        self.lock_dir = os.path.join(root, LOCK_NAME)
        self.owner_file = os.path.join(root, OWNER_NAME)
        self.command = command
        self._stop = threading.Event()
        self._thread = None

    def _owner(self):
        try:
            with open(self.owner_file, encoding="utf-8") as f:
                owner = json.load(f)
            return owner if isinstance(owner.get("pid"), int) and isinstance(owner.get("host"), str) else None
        except (OSError, ValueError, AttributeError):
            return None

    def _abandoned(self, owner):
        try:
            age = time.time() - os.stat(self.lock_dir).st_mtime
        except OSError:
            return True
        if owner is None:
            return age > OWNERLESS_STALE_SECONDS
        if owner["host"] != socket.gethostname():
            return age > STALE_SECONDS
        return not _alive(owner["pid"])

    def acquire(self):
        for attempt in range(2):
            try:
                os.mkdir(self.lock_dir)
                break
            except FileExistsError:
                owner = self._owner()
                if attempt == 0 and self._abandoned(owner):
                    shutil.rmtree(self.lock_dir, ignore_errors=True)
                    continue
                who = f"pid {owner['pid']} on {owner['host']}, {owner.get('command', 'unknown command')}" if owner else "a process that did not say who it is"
                raise CharmTorchError(f"{self.root} is being written by another training ({who}); wait for it or stop it") from None
        owner = {"pid": os.getpid(), "command": self.command, "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": socket.gethostname()}
        with open(self.owner_file, "w", encoding="utf-8") as f:
            json.dump(owner, f)
        self._stop.clear()
        self._thread = threading.Thread(target=self._keep_fresh, name="charm-lock", daemon=True)
        self._thread.start()

    def _keep_fresh(self):
        # A thread, not the training loop: one step or evaluation of a big model may outlast STALE_SECONDS.
        while not self._stop.wait(UPDATE_SECONDS):
            try:
                os.utime(self.lock_dir)
            except OSError:
                pass

    def release(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
        owner = self._owner()
        if owner and owner["pid"] == os.getpid():
            try:
                os.remove(self.owner_file)
            except OSError:
                pass
        shutil.rmtree(self.lock_dir, ignore_errors=True)
