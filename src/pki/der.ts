/**
 * A minimal DER reader: just enough ASN.1 to tell structures apart
 * (encrypted or plain PKCS#8, curve OIDs, signature algorithms) before
 * handing bytes to a real parser.
 *
 * @module
 */

/** One tag-length-value element. */
export interface DerElement {
  tag: number;
  /** Offset of the first content byte in the source. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
  /** Offset of the tag byte. */
  headerStart: number;
}

/** Reads the element at `offset`, or `undefined` when the bytes are not DER. */
export function readElement(bytes: Uint8Array, offset = 0): DerElement | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > bytes.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) return undefined;
  return { tag, start, end, headerStart: offset };
}

/** The elements directly inside a constructed element. */
export function children(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const child = readElement(bytes, offset);
    if (!child || child.end > parent.end) return out;
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** True when the whole input is exactly one DER SEQUENCE. */
export function isSingleSequence(bytes: Uint8Array): boolean {
  const top = readElement(bytes);
  return top !== undefined && top.tag === 0x30 && top.end === bytes.length;
}

/** Dotted form of an OBJECT IDENTIFIER element. */
export function readOid(bytes: Uint8Array, element: DerElement): string | undefined {
  if (element.tag !== 0x06 || element.end <= element.start) return undefined;
  const parts: number[] = [];
  let value = 0;
  for (let i = element.start; i < element.end; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

/** Every OBJECT IDENTIFIER below `element`, depth first, in order. */
export function oidsBelow(bytes: Uint8Array, element: DerElement, depth = 4): string[] {
  const found: string[] = [];
  for (const child of children(bytes, element)) {
    if (child.tag === 0x06) found.push(readOid(bytes, child) ?? "");
    else if (depth > 0 && child.tag & 0x20) found.push(...oidsBelow(bytes, child, depth - 1));
  }
  return found;
}
