/**
 * The counts of a character n-gram model as a trie in typed arrays: one node per distinct n-gram
 * (node "h c" is the child of node "h" by symbol c, the root is the empty string), so the children
 * of a node are at once the longer n-grams and the symbols seen after it as a context. No strings,
 * no Maps: 20 bytes per node plus 5-11 bytes of hash slots, and nothing for the GC to walk.
 *
 * A node's fields sit side by side (one cache line) in `nodes`, NODE_STRIDE ints per node.
 * Children are found through an open-addressing hash of (parent, symbol) and listed through a
 * linked list (first child, next sibling); `compact` renumbers the nodes so that siblings are
 * contiguous, which makes listing them several times faster. Arrays grow by doubling up to
 * `maxNodes`; after that no node is created, but existing counts keep growing.
 */

/** Field offsets inside a node. FIRST_CHILD and NEXT_SIBLING are 0 for none (the root is no one's child). */
export const COUNT = 0;
export const SYMBOL = 1;
const PARENT = 2;
export const FIRST_CHILD = 3;
export const NEXT_SIBLING = 4;
export const NODE_STRIDE = 5;

/** Largest node bound accepted: field indices stay inside Int32 and the slots under 2^30. */
const MAX_TRIE_NODES = 2 ** 28;
const INITIAL_NODES = 1024;
/** Hash slots are at most this full (linear probing stays short). */
const MAX_LOAD = 0.75;

export class NgramTrie {
  static readonly ROOT = 0;
  readonly maxNodes: number;
  /** Node i's fields are nodes[i * NODE_STRIDE + field]. Replaced when it grows: read it after creating nodes. */
  nodes: Int32Array;
  /** Node index per hash slot, 0 = empty. */
  private slots: Int32Array;
  private mask: number;
  private size = 1;

  constructor(maxNodes: number) {
    if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_TRIE_NODES) {
      throw new RangeError(`maxNodes must be an integer from 1 to ${MAX_TRIE_NODES}, got ${maxNodes}`);
    }
    this.maxNodes = maxNodes;
    this.nodes = new Int32Array(Math.min(maxNodes, INITIAL_NODES) * NODE_STRIDE);
    this.slots = new Int32Array(16);
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
    return this.nodes.byteLength + this.slots.byteLength;
  }

  /** The child of `parent` by `symbol`, or -1. */
  child(parent: number, symbol: number): number {
    const { slots, mask, nodes } = this;
    for (let i = slotOf(parent, symbol, mask); ; i = (i + 1) & mask) {
      const node = slots[i];
      if (node === 0) return -1;
      const at = node * NODE_STRIDE;
      if (nodes[at + SYMBOL] === symbol && nodes[at + PARENT] === parent) return node;
    }
  }

  /** The child of `parent` by `symbol`, created (with count 0) if missing; -1 when full. */
  childOrCreate(parent: number, symbol: number): number {
    const mask = this.mask;
    let i = slotOf(parent, symbol, mask);
    for (; ; i = (i + 1) & mask) {
      const node = this.slots[i];
      if (node === 0) break;
      const at = node * NODE_STRIDE;
      if (this.nodes[at + SYMBOL] === symbol && this.nodes[at + PARENT] === parent) return node;
    }
    if (this.size >= this.maxNodes) return -1;
    if (this.size * NODE_STRIDE === this.nodes.length) this.growNodes();
    const node = this.size++;
    const nodes = this.nodes;
    const at = node * NODE_STRIDE;
    nodes[at + SYMBOL] = symbol;
    nodes[at + PARENT] = parent;
    nodes[at + NEXT_SIBLING] = nodes[parent * NODE_STRIDE + FIRST_CHILD];
    nodes[parent * NODE_STRIDE + FIRST_CHILD] = node;
    if (this.size > this.slots.length * MAX_LOAD) this.rehash(this.slots.length * 2);
    else this.slots[i] = node;
    return node;
  }

  /**
   * Renumbers the nodes breadth first, so that every node's children are contiguous (and in the
   * order they were listed). Node indices held by callers become invalid. O(nodes), about 2x the
   * node memory for a moment.
   */
  compact(): void {
    const size = this.size;
    const old = this.nodes;
    const order = new Int32Array(size);
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      for (let c = old[order[head] * NODE_STRIDE + FIRST_CHILD]; c !== 0; c = old[c * NODE_STRIDE + NEXT_SIBLING]) order[tail++] = c;
    }
    const renamed = new Int32Array(size);
    for (let i = 0; i < size; i++) renamed[order[i]] = i;
    const nodes = new Int32Array(old.length);
    for (let i = 0; i < size; i++) {
      const from = order[i] * NODE_STRIDE;
      const to = i * NODE_STRIDE;
      nodes[to + COUNT] = old[from + COUNT];
      nodes[to + SYMBOL] = old[from + SYMBOL];
      nodes[to + PARENT] = renamed[old[from + PARENT]];
      nodes[to + FIRST_CHILD] = renamed[old[from + FIRST_CHILD]];
      nodes[to + NEXT_SIBLING] = renamed[old[from + NEXT_SIBLING]];
    }
    this.nodes = nodes;
    this.rehash(this.slots.length);
  }

  private growNodes(): void {
    const grown = new Int32Array(Math.min(this.maxNodes, this.size * 2) * NODE_STRIDE);
    grown.set(this.nodes);
    this.nodes = grown;
  }

  private rehash(slotCount: number): void {
    const slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    const nodes = this.nodes;
    for (let node = 1; node < this.size; node++) {
      const at = node * NODE_STRIDE;
      let i = slotOf(nodes[at + PARENT], nodes[at + SYMBOL], mask);
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = node;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function slotOf(parent: number, symbol: number, mask: number): number {
  let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(symbol + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return h & mask;
}
