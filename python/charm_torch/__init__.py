"""Charm's PyTorch trainer: the same model, defaults and checkpoints as `charm train`, under DDP."""
