"""chromactl: production-grade self-hosted ChromaDB on AWS."""

__version__ = "0.1.0"

# The Chroma release every env runs (AWS image tag and the local `chroma run`).
CHROMA_VERSION = "1.5.9"
