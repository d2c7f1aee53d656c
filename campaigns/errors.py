"""Typed errors raised by the core; the command line turns each into one line and exit code 1."""


class GroundswellError(Exception):
    """Base of every error a user can cause and should be told about in one line."""


class CampaignFileError(GroundswellError):
    """A campaign file that cannot be read or does not follow the format."""


class UnknownCampaign(GroundswellError):
    """A campaign slug that is not in the database."""

    def __init__(self, slug: str):
        super().__init__(f"unknown campaign '{slug}' (see: groundswell campaign list)")
        self.slug = slug


class ValidationError(GroundswellError):
    """A value that does not fit its field: a bad date, time zone, slug or status."""


class StoreError(GroundswellError):
    """The database cannot be opened or written."""


class ImportFormatError(GroundswellError):
    """A file that is not in the format it was said to be."""
