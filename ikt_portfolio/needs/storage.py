"""Where attachments on needs are kept: a private directory, never under MEDIA_ROOT or a URL the web server
serves. Files are read back only through the permission-checked download views (portal and API).

The directory is the setting `IKT_ATTACHMENT_ROOT`, read on every use (so tests can point it at a temporary
directory); a host site without it gets `private_media/` beside its MEDIA_ROOT.
"""

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def attachment_root() -> str:
    root = getattr(settings, "IKT_ATTACHMENT_ROOT", None)
    if not root:
        root = Path(settings.MEDIA_ROOT or ".").resolve().parent / "private_media"
    return str(root)


class PrivateAttachmentStorage(FileSystemStorage):
    """A file system storage with no public URL; its location follows the setting."""

    def __init__(self):
        super().__init__(base_url="/nowhere/")

    @property
    def base_location(self):
        return attachment_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Attachments have no public URL; link to the download view instead.")


_storage = PrivateAttachmentStorage()


def attachment_storage() -> PrivateAttachmentStorage:
    return _storage


def attachment_upload_to(instance, filename: str) -> str:
    """needs/<need id>/<random>.<extension>: the name given by the uploader is never used on disk."""
    extension = os.path.splitext(filename)[1].lower()
    return f"needs/{instance.need_id}/{uuid.uuid4().hex}{extension}"
