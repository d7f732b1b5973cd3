"""Source connectors: configuration in, pages of contract records (docs/contract.md) out."""

from etl.sources.base import SourceError
from etl.sources.inspections import DropFileError

__all__ = ["DropFileError", "SourceError"]
