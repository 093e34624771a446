/**
 * The character n-gram anchor in its best form: CharNgram (order 8) over the training files and the
 * files saved since, that also learns the file as it is typed (a cache: every typed or accepted
 * chunk is added). Greedy
 * decoding; shows the longest prefix whose joint probability stays >= minJoint, one line, at most
 * maxLength characters.
 *
 * Each file starts again from the training and saved files alone: the model is rebuilt from them
 * when a document opens (CharNgram has no copy or removal, and one model that holds training
 * text plus the typed text is the faithful form of a cache n-gram; a second per-file model would
 * need a mixture, which is a different suggester).
 */
import { CharNgram } from '../../../src/model/ngram';
import { BENCH_INLINE, fitGhostText } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';

export interface NgramSuggesterOptions {
  order: number;
  /** Keep extending while the joint probability of the suggestion stays at least this. */
  minJoint: number;
}

const NGRAM_ANCHOR: NgramSuggesterOptions = { order: 8, minJoint: 0.5 };

export class NgramSuggester implements Suggester {
  readonly name: string;
  private model: CharNgram | undefined;
  private readonly savedTexts: string[] = [];
  /** Milliseconds spent building models (not part of the per-keystroke latency). */
  buildMs = 0;

  constructor(
    private readonly trainingText: string,
    private readonly options: NgramSuggesterOptions = NGRAM_ANCHOR,
    name = `char ${options.order}-gram`,
  ) {
    this.name = name;
  }

  open(): void {
    const started = performance.now();
    this.model = new CharNgram({ order: this.options.order });
    this.model.add(this.trainingText);
    for (const text of this.savedTexts) this.model.add(text, '\n\n');
    this.buildMs += performance.now() - started;
  }

  async suggest(at: Cursor): Promise<Suggestion | undefined> {
    const model = this.model;
    if (!model) return undefined;
    const history = Array.from(at.before.slice(-2 * this.options.order), (c) => c.codePointAt(0) as number).slice(-(this.options.order - 1));
    let out = '';
    let joint = 1;
    /** Joint probability of each prefix of `out`, by its length in code units. */
    const jointAt: number[] = [1];
    while (out.length < BENCH_INLINE.maxLength) {
      const p = model.predict(history);
      let best = -1;
      for (let k = 0; k < p.probs.length; k++) if (best < 0 || p.probs[k] > p.probs[best]) best = k;
      if (best < 0 || joint * p.probs[best] < this.options.minJoint) break;
      const cp = p.symbols[best];
      if (cp === 10) break;
      joint *= p.probs[best];
      out += String.fromCodePoint(cp);
      jointAt[out.length] = joint;
      history.push(cp);
      if (history.length > this.options.order - 1) history.shift();
    }
    const text = fitGhostText(out, at.before);
    return text === '' ? undefined : { text, probability: jointAt[text.length] ?? joint };
  }

  entered(_doc: string, before: string, text: string): void {
    this.model?.add(text, before.slice(-2 * this.options.order));
  }

  close(): void {
    this.model = undefined;
  }

  saved(file: { text: string }): void {
    this.savedTexts.push(file.text);
  }

  startSession(): void {
    this.savedTexts.length = 0;
  }
}
