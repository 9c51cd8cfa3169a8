// Reads tcp_socks through the slot index its programs keep beside it (bpf/README.md):
// `live_slots` has one bit per slot in use (u64 words, the last word counts entries that
// found no slot) and `slot_keys` the key in each slot (struct ss_slot). A batch read of the hash map visits
// every one of its 262,144 buckets however few hold an entry, about as much kernel time per
// interval as the snapshot's own walk was; with a few hundred entries (connection churn, a
// quiet host) one lookup per entry costs a fraction of it. Many entries, or any without a
// slot, and the map is read in batches as before. live_slots itself is read through its
// mapping (mapped-array.ts) when the object made it mmapable, else in one batch read.
// Asked for changes only, it reads the entries whose bit the snapshot set in
// `changed_slots` (state or counters changed, or not reported yet) and clears the bits:
// an idle host's flows cost no read at all (with 100,000 held connections the batch read
// took about 40 ms of each interval).
import type { BpfMap } from './bpf-map';
import { MappedArray } from './mapped-array';

type EntryFn = (keys: Buffer, keyOffset: number, values: Buffer, valueOffset: number) => void;

/** Entries up to which one lookup each beats a batch read of every bucket. */
export const MAX_LOOKED_UP = 2048;

export class SlotIndexedMap {
  private readonly key = Buffer.alloc(8);
  /** A slot_keys value: the key first (struct ss_slot, 32 bytes; 8 in older objects). */
  private readonly slotKey: Buffer;
  private readonly index = Buffer.alloc(4);
  private readonly value: Buffer;
  /** Slots in use, gathered from live_slots each read (reused). */
  private slots = new Uint32Array(MAX_LOOKED_UP);
  /** live_slots' values in memory, or null: read in batches. */
  private mapped: MappedArray | null;
  /** changed_slots' values in memory (written: its bits are cleared here), or null. */
  private changed: MappedArray | null;

  /** `slotOffset`: where a value holds its slot (u32), so that a key read from a slot being
   * reused is skipped rather than visited twice. */
  constructor(
    readonly map: BpfMap,
    private readonly liveSlots: BpfMap,
    private readonly slotKeys: BpfMap,
    private readonly slotOffset: number,
    changedSlots: BpfMap | null = null,
  ) {
    this.value = Buffer.alloc(map.userValueSize);
    this.slotKey = Buffer.alloc(slotKeys.valueSize);
    this.mapped = liveSlots.valueSize === 8 ? MappedArray.open(liveSlots) : null;
    this.changed = this.mapped !== null && changedSlots?.valueSize === 8 ? MappedArray.open(changedSlots, true) : null;
  }

  /** How live_slots is read: 'mapped' or 'batch' (tests, diagnostics). */
  get slotsRead(): 'mapped' | 'batch' {
    return this.mapped === null ? 'batch' : 'mapped';
  }

  /** Whether forEachEntryAt can read changes only (changed_slots is mapped). */
  get readsChanges(): boolean {
    return this.changed !== null;
  }

  /** Unmaps live_slots and changed_slots (before the object is closed, or after: the
   * mapping holds the map). */
  close(): void {
    this.mapped?.close();
    this.mapped = null;
    this.changed?.close();
    this.changed = null;
  }

  /** How the last forEachEntryAt() read the map (tests, diagnostics): only the changed
   * entries, every entry through the index, or every entry in a batch read. */
  lastRead: 'changed' | 'index' | 'batch' | null = null;

  /** map.forEachEntryAt(), through the index when it is complete and small. With
   * `changedOnly`, the entries the snapshot marked since the last call (all of them when
   * the marks cannot tell: entries without a slot, or more marked than MAX_LOOKED_UP). */
  forEachEntryAt(fn: EntryFn, changedOnly = false): void {
    const changed = changedOnly && this.changed !== null ? this.gatherMapped(this.mapped!.words, this.changed.words) : -1;
    const n = changed >= 0 ? changed : this.gatherSlots();
    this.lastRead = changed >= 0 ? 'changed' : n < 0 ? 'batch' : 'index';
    // Every entry marked is visited below, whichever way: the marks start again from none.
    this.changed?.words.fill(0);
    if (n < 0) {
      this.map.forEachEntryAt(fn);
      return;
    }
    for (let i = 0; i < n; i++) {
      const slot = this.slots[i];
      this.index.writeUInt32LE(slot, 0);
      if (!this.slotKeys.lookupInto(this.index, this.slotKey)) continue;
      this.slotKey.copy(this.key, 0, 0, 8);
      if (!this.map.lookupInto(this.key, this.value)) continue; // deleted since
      if (this.value.readUInt32LE(this.slotOffset) !== slot) continue; // visited from its own slot
      fn(this.key, 0, this.value, 0);
    }
  }

  /** The slots in use into this.slots; -1 when the index cannot serve this read (entries
   * without a slot, or more than MAX_LOOKED_UP). */
  private gatherSlots(): number {
    if (this.mapped !== null) return this.gatherMapped(this.mapped.words);
    const words = this.liveSlots.maxEntries - 1;
    let n = 0;
    let complete = true;
    this.liveSlots.forEachEntryAt((k, ko, v, vo) => {
      if (!complete) return;
      const word = k.readUInt32LE(ko);
      const lo = v.readUInt32LE(vo);
      const hi = v.readUInt32LE(vo + 4);
      if (word === words) {
        if (lo !== 0 || hi !== 0) complete = false; // slotless entries
        return;
      }
      if (lo === 0 && hi === 0) return;
      n = this.collect(lo, word * 64, n);
      if (n >= 0) n = this.collect(hi, word * 64 + 32, n);
      if (n < 0) complete = false;
    });
    return complete ? n : -1;
  }

  /** gatherSlots() from the mapping: u64 words as pairs of u32 (little-endian); with
   * `marks` (changed_slots' words), only the slots marked there too. A word being changed
   * by a program as it is read gives a slot too many or too few, as in a batch read: the
   * lookups skip an entry that is gone, and the next interval sees one that came. */
  private gatherMapped(w: Uint32Array, marks: Uint32Array | null = null): number {
    const words = this.liveSlots.maxEntries - 1;
    if (w[2 * words] !== 0 || w[2 * words + 1] !== 0) return -1; // slotless entries
    let n = 0;
    for (let i = 0; i < 2 * words; i++) {
      const bits = marks === null ? w[i] : marks[i] & w[i];
      if (bits === 0) continue;
      n = this.collect(bits, i * 32, n);
      if (n < 0) return -1;
    }
    return n;
  }

  /** Appends the slots of the set bits of `bits` (slot `base` + bit); -1 when full. */
  private collect(bits: number, base: number, n: number): number {
    while (bits !== 0) {
      if (n === MAX_LOOKED_UP) return -1;
      const low = bits & -bits;
      this.slots[n++] = base + 31 - Math.clz32(low);
      bits ^= low;
    }
    return n;
  }
}
