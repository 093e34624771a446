"""Charm's model in PyTorch: Embedding -> LSTM or GRU x L -> Dense, with its parameters kept in Keras'
layout, names and gate order (src/model/charModel.ts, src/model/cells/*), so a checkpoint needs no
conversion and the logits equal Charm's. Each forward pass hands PyTorch's fused LSTM/GRU a view of
them in its own layout (kernels transposed, GRU gates reordered); gradients flow back through it.
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
            sequence = _lstm_sequence if cfg["cell"] == "lstm" else _gru_sequence
            x = sequence(x, kernel, recurrent, bias)
        steps, batch, units = x.shape
        return torch.addmm(self.weight("dense/bias"), x.reshape(steps * batch, units), self.weight("dense/kernel"))


def _lstm_sequence(x, kernel, recurrent, bias):
    """PyTorch's fused LSTM on Keras-layout weights: the kernels transposed, and Keras' one bias as
    b_ih with a zero b_hh. Keras' gates i, f, c, o are PyTorch's i, f, g, o."""
    batch, units = x.shape[1], recurrent.shape[0]
    zeros = x.new_zeros(1, batch, units)
    params = [kernel.t(), recurrent.t(), bias, torch.zeros_like(bias)]
    output, _, _ = torch.lstm(x, (zeros, zeros), params, True, 1, 0.0, torch.is_grad_enabled(), False, False)
    return output


def _keras_to_torch_gates(tensor, units):
    """Keras' GRU gates z, r, h (columns) -> PyTorch's r, z, n (rows of the transposed kernels)."""
    z, r, h = tensor.split(units, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _gru_sequence(x, kernel, recurrent, bias):
    """PyTorch's fused GRU on Keras-layout weights. Keras' reset_after GRU is PyTorch's GRU: n =
    tanh(x W_n + b_in + r * (h R_n + b_hn)), h' = (1 - z) n + z h; only the gate order differs."""
    batch, units = x.shape[1], recurrent.shape[0]
    params = [
        _keras_to_torch_gates(kernel, units).t(),
        _keras_to_torch_gates(recurrent, units).t(),
        _keras_to_torch_gates(bias[0], units),
        _keras_to_torch_gates(bias[1], units),
    ]
    output, _ = torch.gru(x, x.new_zeros(1, batch, units), params, True, 1, 0.0, torch.is_grad_enabled(), False, False)
    return output
