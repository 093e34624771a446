/**
 * The counts of a character n-gram model as a trie in typed arrays: one node per distinct n-gram
 * (node "h c" is the child of node "h" by symbol c, the root is the empty string), so the children
 * of a node are at once the longer n-grams and the symbols seen after it as a context. No strings,
 * no Maps: about 20 bytes per node plus 5-11 bytes of hash slots, and nothing for the GC to walk.
 *
 * Children are found through an open-addressing hash of (parent, symbol) and listed through a
 * linked list (first child, next sibling). Arrays grow by doubling up to `maxNodes`; after that no
 * node is created, but existing counts keep growing.
 */

/** Largest node bound accepted: indices stay well inside Int32 and the slots under 2^30. */
export const MAX_TRIE_NODES = 2 ** 28;
const INITIAL_NODES = 1024;
/** Hash slots are at most this full (linear probing stays short). */
const MAX_LOAD = 0.75;

export class NgramTrie {
  static readonly ROOT = 0;
  readonly maxNodes: number;
  /** Per node: how often its n-gram was counted; its symbol and parent; first child, next sibling (0 = none). */
  count: Int32Array;
  symbol: Int32Array;
  parent: Int32Array;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  private slots: Int32Array;
  private mask: number;
  private size = 1;

  constructor(maxNodes: number) {
    if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_TRIE_NODES) {
      throw new RangeError(`maxNodes must be an integer from 1 to ${MAX_TRIE_NODES}, got ${maxNodes}`);
    }
    this.maxNodes = maxNodes;
    const capacity = Math.min(maxNodes, INITIAL_NODES);
    this.count = new Int32Array(capacity);
    this.symbol = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.firstChild = new Int32Array(capacity);
    this.nextSibling = new Int32Array(capacity);
    // Slot value 0 means empty: the root is never anyone's child.
    this.slots = new Int32Array(slotsFor(capacity));
    this.mask = this.slots.length - 1;
  }

  /** Nodes in use, the root included. */
  get nodeCount(): number {
    return this.size;
  }

  /** True once `maxNodes` nodes exist: new n-grams are no longer stored. */
  get full(): boolean {
    return this.size >= this.maxNodes;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.count.byteLength * 5 + this.slots.byteLength;
  }

  /** The child of `parent` by `symbol`, or -1. */
  child(parent: number, symbol: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = slotOf(parent, symbol, mask); ; i = (i + 1) & mask) {
      const node = slots[i];
      if (node === 0) return -1;
      if (this.symbol[node] === symbol && this.parent[node] === parent) return node;
    }
  }

  /** The child of `parent` by `symbol`, created (with count 0) if missing; -1 when full. */
  childOrCreate(parent: number, symbol: number): number {
    const mask = this.mask;
    let i = slotOf(parent, symbol, mask);
    for (; ; i = (i + 1) & mask) {
      const node = this.slots[i];
      if (node === 0) break;
      if (this.symbol[node] === symbol && this.parent[node] === parent) return node;
    }
    if (this.size >= this.maxNodes) return -1;
    if (this.size === this.count.length) this.growNodes();
    const node = this.size++;
    this.symbol[node] = symbol;
    this.parent[node] = parent;
    this.nextSibling[node] = this.firstChild[parent];
    this.firstChild[parent] = node;
    if (this.size > this.slots.length * MAX_LOAD) this.rehash(this.slots.length * 2);
    else this.slots[i] = node;
    return node;
  }

  private growNodes(): void {
    const capacity = Math.min(this.maxNodes, this.count.length * 2);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.count = grow(this.count);
    this.symbol = grow(this.symbol);
    this.parent = grow(this.parent);
    this.firstChild = grow(this.firstChild);
    this.nextSibling = grow(this.nextSibling);
  }

  private rehash(slotCount: number): void {
    const slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    for (let node = 1; node < this.size; node++) {
      let i = slotOf(this.parent[node], this.symbol[node], mask);
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = node;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** A power of two that keeps `nodes` under the load limit. */
function slotsFor(nodes: number): number {
  let slots = 16;
  while (nodes > slots * MAX_LOAD) slots *= 2;
  return slots;
}

function slotOf(parent: number, symbol: number, mask: number): number {
  let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(symbol + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return h & mask;
}
