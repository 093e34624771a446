"""Charm's model in PyTorch: Embedding -> LSTM or GRU x L -> Dense, with its weights kept in Keras'
layout, names and gate order (src/model/charModel.ts, src/model/cells/*), so a checkpoint needs no
conversion and the logits equal Charm's. The cells are written out (matmuls and gates) rather than
nn.LSTM/nn.GRU: PyTorch's GRU orders its gates r, z, n and both transpose the kernels.
"""

import math

import torch
import torch.nn.functional as F

CELLS = {
    # Keras name, gates per unit, bias rows (GRU reset_after: input bias, then recurrent bias)
    "lstm": {"keras": "lstm", "gates": 4, "bias_rows": 1},
    "gru": {"keras": "gru", "gates": 3, "bias_rows": 2},
}


def layer_name(cell, layer):
    base = CELLS[cell]["keras"]
    return base if layer == 0 else f"{base}_{layer}"


def weight_specs(config):
    """(name, shape) in the fixed order of Charm's weights file (weightSpecs in charModel.ts)."""
    cell = CELLS[config["cell"]]
    units = config["units"]
    width = cell["gates"] * units
    specs = [("embedding/embeddings", [config["vocabSize"], config["embedding"]])]
    for layer in range(config["layers"]):
        name = layer_name(config["cell"], layer)
        inputs = config["embedding"] if layer == 0 else units
        specs.append((f"{name}/kernel", [inputs, width]))
        specs.append((f"{name}/recurrent_kernel", [units, width]))
        specs.append((f"{name}/bias", [width] if cell["bias_rows"] == 1 else [cell["bias_rows"], width]))
    specs.append(("dense/kernel", [units, config["vocabSize"]]))
    specs.append(("dense/bias", [config["vocabSize"]]))
    return specs


def _initial_value(name, shape, config):
    """Charm's initialisation (CharModel.create): N(0, 1) embeddings, N(0, 1/U) recurrent kernels,
    Glorot-uniform kernels, the forget gate's bias at 1 (LSTM), zeros elsewhere."""
    if name.endswith("/embeddings"):
        return torch.randn(shape)
    if name.endswith("/recurrent_kernel"):
        return torch.randn(shape) / math.sqrt(config["units"])
    if name.endswith("/bias"):
        bias = torch.zeros(shape)
        if config["cell"] == "lstm" and name != "dense/bias":
            units = config["units"]
            bias[units : 2 * units] = 1.0
        return bias
    limit = math.sqrt(6.0 / (shape[0] + shape[-1]))
    return torch.empty(shape).uniform_(-limit, limit)


class CharModel(torch.nn.Module):
    def __init__(self, config, seed=1):
        super().__init__()
        self.config = dict(config)
        self.names = [name for name, _ in weight_specs(config)]
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        values = [_initial_value(name, shape, config) for name, shape in weight_specs(config)]
        torch.random.set_rng_state(generator_state)
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(v) for v in values])

    def weight(self, name):
        return self.weights[self.names.index(name)]

    def load_named(self, tensors):
        """Copies checkpoint weights in (name -> tensor); names and shapes must match weight_specs."""
        with torch.no_grad():
            for name, param in zip(self.names, self.weights):
                value = tensors[name]
                if list(value.shape) != list(param.shape):
                    raise ValueError(f"weight {name} has shape {list(value.shape)}, expected {list(param.shape)}")
                param.copy_(value)

    def forward(self, ids):
        """ids [B, T] int64 -> logits [T * B, V], time-major like CharModel.logits (row t * B + b)."""
        cfg = self.config
        x = F.embedding(ids.t(), self.weight("embedding/embeddings"))  # [T, B, E]
        for layer in range(cfg["layers"]):
            name = layer_name(cfg["cell"], layer)
            kernel = self.weight(f"{name}/kernel")
            recurrent = self.weight(f"{name}/recurrent_kernel")
            bias = self.weight(f"{name}/bias")
            if cfg["cell"] == "lstm":
                x = _lstm_sequence(torch.matmul(x, kernel) + bias, recurrent)
            else:
                x = _gru_sequence(torch.matmul(x, kernel) + bias[0], recurrent, bias[1])
        steps, batch, units = x.shape
        return torch.addmm(self.weight("dense/bias"), x.reshape(steps * batch, units), self.weight("dense/kernel"))


def _lstm_sequence(x_proj, recurrent):
    """x_proj = x W + b [T, B, 4U]; Keras gates i, f, c, o (PyTorch's i, f, g, o)."""
    steps, batch, width = x_proj.shape
    units = width // 4
    h = x_proj.new_zeros(batch, units)
    c = x_proj.new_zeros(batch, units)
    outputs = []
    for t in range(steps):
        z = torch.addmm(x_proj[t], h, recurrent)
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs)


def _gru_sequence(x_proj, recurrent, recurrent_bias):
    """x_proj = x W + b_in [T, B, 3U]; Keras' reset_after GRU, gates z, r, h (as cells/gru.ts)."""
    steps, batch, width = x_proj.shape
    units = width // 3
    h = x_proj.new_zeros(batch, units)
    outputs = []
    for t in range(steps):
        h_proj = torch.addmm(recurrent_bias, h, recurrent)
        xz, xr, xh = x_proj[t].chunk(3, dim=1)
        hz, hr, hh = h_proj.chunk(3, dim=1)
        z = torch.sigmoid(xz + hz)
        r = torch.sigmoid(xr + hr)
        candidate = torch.tanh(xh + r * hh)
        h = candidate + z * (h - candidate)
        outputs.append(h)
    return torch.stack(outputs)
