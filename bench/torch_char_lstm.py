"""The same char-LSTM in PyTorch, for side-by-side throughput figures (run by bench/run.ts).

Embedding(V, E) -> LSTM(U) -> Linear(U, V), Adam, gradient clipping 5, random batches from the
same text. Prints one JSON line: training chars/s (median after warm-up), sampling ms/char with
batch 1 and carried state, priming ms for 256 characters, peak RSS.
"""
import argparse, json, resource, statistics, time
import torch

p = argparse.ArgumentParser()
p.add_argument('--text', required=True)
p.add_argument('--embedding', type=int, required=True)
p.add_argument('--units', type=int, required=True)
p.add_argument('--batch-size', type=int, required=True)
p.add_argument('--seq-length', type=int, required=True)
p.add_argument('--steps', type=int, default=20)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--sample-chars', type=int, default=300)
p.add_argument('--preset', default='')
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)

text = open(a.text, encoding='utf-8').read().replace('\r\n', '\n')
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
data = torch.tensor([index[c] for c in text], dtype=torch.long)
V = len(chars)

class CharLstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, a.embedding)
        self.lstm = torch.nn.LSTM(a.embedding, a.units, batch_first=True)
        self.out = torch.nn.Linear(a.units, V)
    def forward(self, x, state=None):
        y, state = self.lstm(self.emb(x), state)
        return self.out(y), state

model = CharLstm()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
loss_fn = torch.nn.CrossEntropyLoss()
B, T = a.batch_size, a.seq_length
times = []
for step in range(a.steps):
    starts = torch.randint(0, len(data) - T - 1, (B,))
    x = torch.stack([data[s:s + T] for s in starts])
    y = torch.stack([data[s + 1:s + T + 1] for s in starts])
    t0 = time.perf_counter()
    logits, _ = model(x)
    loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    times.append(time.perf_counter() - t0)
warm = min(3, a.steps // 3)
rate = statistics.median(B * T / t for t in times[warm:])
train_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

with torch.no_grad():
    prime = data[1000:1256].unsqueeze(0)
    model(prime[:, :16])
    t0 = time.perf_counter()
    logits, state = model(prime)
    prime_ms = (time.perf_counter() - t0) * 1000
    nxt = prime[:, -1:]
    t0 = time.perf_counter()
    for _ in range(a.sample_chars):
        logits, state = model(nxt, state)
        probs = torch.softmax(logits[0, -1], dim=-1)
        nxt = torch.multinomial(probs, 1).view(1, 1)
    ms_per_char = (time.perf_counter() - t0) * 1000 / a.sample_chars

print(json.dumps({
    'impl': 'pytorch', 'preset': a.preset, 'backend': f'torch {torch.__version__}, {torch.get_num_threads()} threads',
    'embedding': a.embedding, 'units': a.units, 'batchSize': B, 'seqLength': T,
    'trainCharsPerSec': round(rate), 'stepsMeasured': a.steps - warm,
    'sampleMsPerChar': round(ms_per_char, 4), 'primeMs': round(prime_ms, 1),
    'trainPeakRssMB': train_peak_mb, 'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
