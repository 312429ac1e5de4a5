"""数字化转型知识助手: retrieval-augmented answers over the digital-transformation corpus."""

__version__ = "0.1.0"
