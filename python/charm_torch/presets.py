"""The model presets and training defaults of src/model/config.ts and src/training/hyperparameters.ts.

A copy (the TypeScript table is the source); test/unit/torch/presets.test.ts checks they agree.
"""

PRESETS = {
    "tiny": {"embedding": 32, "units": 128, "layers": 1, "seqLength": 64, "batchSize": 32, "learningRate": 3e-3},
    "small": {"embedding": 64, "units": 256, "layers": 1, "seqLength": 64, "batchSize": 32, "learningRate": 1e-2},
    "medium": {"embedding": 128, "units": 512, "layers": 1, "seqLength": 100, "batchSize": 32, "learningRate": 2e-3},
    "seed": {"embedding": 256, "units": 1024, "layers": 1, "seqLength": 100, "batchSize": 64, "learningRate": 2e-3},
}

DEFAULT_PRESET = "small"

DEFAULT_HYPERPARAMETERS = {
    "schedule": "cosine",
    "clipNorm": 5,
    "valFraction": 0.1,
    "evalEvery": 200,
    "patience": 5,
    "maxEvalChars": 131072,
    "seed": 1,
}

# With no budget at all, a run stops after this many epochs.
DEFAULT_EPOCHS = 10

# Keras' Adam, as src/training/adam.ts.
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-7
