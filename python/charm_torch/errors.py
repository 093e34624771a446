"""Bad input or a state the trainer cannot go on from: printed as one line, exit code 1, no traceback."""


class CharmTorchError(Exception):
    pass
