"""Adam as src/training/adam.ts computes it (Keras' form: epsilon outside the bias correction), and its
moments kept in Charm's layout (m then v per weight, and the step) so either trainer resumes the other's."""

import math

import torch

from .presets import ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON


class KerasAdam:
    def __init__(self, params):
        self.params = list(params)
        self.step = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def apply(self, grads, learning_rate):
        self.step += 1
        t = self.step
        rate = learning_rate * math.sqrt(1 - ADAM_BETA2**t) / (1 - ADAM_BETA1**t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.mul_(ADAM_BETA1).add_(g, alpha=1 - ADAM_BETA1)
            v.mul_(ADAM_BETA2).addcmul_(g, g, value=1 - ADAM_BETA2)
            p.sub_(rate * m / (v.sqrt() + ADAM_EPSILON))

    def state(self):
        """(step, m, v): copies, for a checkpoint or a snapshot."""
        return (self.step, [x.clone() for x in self.m], [x.clone() for x in self.v])

    @torch.no_grad()
    def set_state(self, state):
        step, m, v = state
        self.step = step
        for dst, src in zip(self.m + self.v, list(m) + list(v)):
            dst.copy_(src)


@torch.no_grad()
def clip_by_global_norm(grads, max_norm):
    """Scales gradients in place so their global norm is at most max_norm; returns the norm before."""
    norm = torch.sqrt(sum(torch.sum(g * g) for g in grads))
    scale = max_norm / torch.clamp(norm, min=max_norm)
    for g in grads:
        g.mul_(scale)
    return float(norm)
