"""robustmed: measure how multimodal medical AI models hold up when inputs get worse."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("robustmed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
