// qcow2 on-disk header and header extensions (docs/interop/qcow2.txt), parsed with strict
// checks so a damaged image gives one clear error instead of a wild read.
import { QemuError } from '../qemu/error.js';

export const QCOW_MAGIC = 0x514649fb;
export const QCOW2_EXT_END = 0;
export const QCOW2_EXT_BACKING_FORMAT = 0xe2792aca;
export const QCOW2_EXT_FEATURE_TABLE = 0x6803f857;
export const QCOW2_EXT_CRYPTO_HEADER = 0x0537be77;
export const QCOW2_EXT_BITMAPS = 0x23852875;
export const QCOW2_EXT_DATA_FILE = 0x44415441;

export const INCOMPAT_DIRTY = 1n;
export const INCOMPAT_CORRUPT = 2n;
export const INCOMPAT_DATA_FILE = 4n;
export const INCOMPAT_COMPRESSION = 8n;
export const INCOMPAT_EXTL2 = 16n;
export const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
export const COMPAT_LAZY_REFCOUNTS = 1n;

export const QCOW_CRYPT_NONE = 0;
export const QCOW_CRYPT_AES = 1;
export const QCOW_CRYPT_LUKS = 2;

export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** QEMU's limits on table sizes (bytes), to refuse images that would force huge allocations. */
export const QCOW_MAX_L1_SIZE = 0x2000000;
export const QCOW_MAX_REFTABLE_SIZE = 0x800000;
export const QCOW_MAX_SNAPSHOTS = 65536;
/** Largest virtual size QEMU accepts (2^61 - 1 rounded down to what a 64 bit offset allows). */
export const QCOW_MAX_SIZE = 2 ** 53;

export interface QCowHeader {
  version: number;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
}

export interface QCowExtension { type: number; data: Uint8Array; }

export interface QCowHeaderInfo {
  header: QCowHeader;
  backingFile: string;
  backingFormat: string;
  cryptoHeader: { offset: number; length: number } | null;
  /** Extensions we do not interpret, kept so rewriting the header preserves them. */
  unknown: QCowExtension[];
}

export function be64(dv: DataView, off: number): number {
  const hi = dv.getUint32(off), lo = dv.getUint32(off + 4);
  if (hi >= 0x200000) return Number.POSITIVE_INFINITY; // >= 2^53: no safe offset
  return hi * 0x100000000 + lo;
}

export function setBe64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, Math.floor(v / 0x100000000));
  dv.setUint32(off + 4, v >>> 0);
}

const dec = new TextDecoder();
const enc = new TextEncoder();

function corrupt(msg: string): QemuError { return new QemuError(msg); }

/** Parse and validate the header cluster. `fileLength` bounds every table offset. */
export function parseHeader(buf: Uint8Array, fileLength: number): QCowHeaderInfo {
  if (buf.length < 72) throw corrupt('Image is not in qcow2 format');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0) !== QCOW_MAGIC) throw corrupt('Image is not in qcow2 format');
  const version = dv.getUint32(4);
  if (version < 2 || version > 3) throw corrupt(`Unsupported qcow2 version ${version}`);
  const h: QCowHeader = {
    version,
    backingFileOffset: be64(dv, 8),
    backingFileSize: dv.getUint32(16),
    clusterBits: dv.getUint32(20),
    size: be64(dv, 24),
    cryptMethod: dv.getUint32(32),
    l1Size: dv.getUint32(36),
    l1TableOffset: be64(dv, 40),
    refcountTableOffset: be64(dv, 48),
    refcountTableClusters: dv.getUint32(56),
    nbSnapshots: dv.getUint32(60),
    snapshotsOffset: be64(dv, 64),
    incompatibleFeatures: 0n, compatibleFeatures: 0n, autoclearFeatures: 0n,
    refcountOrder: 4, headerLength: 72, compressionType: 0,
  };
  if (version === 3) {
    if (buf.length < 104) throw corrupt('qcow2 header exceeds cluster size');
    h.incompatibleFeatures = dv.getBigUint64(72);
    h.compatibleFeatures = dv.getBigUint64(80);
    h.autoclearFeatures = dv.getBigUint64(88);
    h.refcountOrder = dv.getUint32(96);
    h.headerLength = dv.getUint32(100);
    if (h.headerLength < 104) throw corrupt('qcow2 header too short');
    if (h.headerLength > 104) h.compressionType = buf[104];
  }
  if (h.clusterBits < MIN_CLUSTER_BITS || h.clusterBits > MAX_CLUSTER_BITS) throw corrupt(`Unsupported cluster size: 2^${h.clusterBits}`);
  const cs = 2 ** h.clusterBits;
  if ((h.incompatibleFeatures & INCOMPAT_EXTL2) && h.clusterBits - 5 < MIN_CLUSTER_BITS) throw corrupt(`Unsupported subcluster size: ${cs / 32}`);
  if (h.headerLength > cs || h.headerLength > buf.length) throw corrupt('qcow2 header exceeds cluster size');
  const unknownIncompat = h.incompatibleFeatures & ~INCOMPAT_KNOWN;
  if (unknownIncompat) throw corrupt(`Unsupported qcow2 feature(s): ${featureNames(unknownIncompat, featureTableNames(buf, dv, h))}`);
  if (h.refcountOrder > 6) throw corrupt('Reference count entry width too large; may not exceed 64 bits');
  if (h.compressionType > 1) throw corrupt(`Unknown compression type ${h.compressionType}`);
  if (h.compressionType !== 0 && !(h.incompatibleFeatures & INCOMPAT_COMPRESSION)) {
    throw corrupt('Invalid compression type: compression type is set but the incompatible feature bit is not');
  }
  // QEMU's limit: the L1 index of the end of the disk fits an int (qemu-iotests 054).
  // Extended L2 entries (16 bytes) halve the entries per table.
  const l2Bits = h.clusterBits - ((h.incompatibleFeatures & INCOMPAT_EXTL2) ? 4 : 3);
  if ((dv.getBigUint64(24) + (1n << BigInt(h.clusterBits + l2Bits)) - 1n) >> BigInt(h.clusterBits + l2Bits) > 0x7fffffffn) throw corrupt('Image is too big');
  if (!Number.isFinite(h.size) || h.size > QCOW_MAX_SIZE) throw corrupt('Image size too large');
  checkTable(h.l1TableOffset, h.l1Size * 8, QCOW_MAX_L1_SIZE, cs, fileLength, 'Active L1 table');
  const needL1 = Math.ceil(h.size / 2 ** (l2Bits + h.clusterBits));
  if (h.l1Size < needL1) throw corrupt('L1 table is too small');
  if (h.refcountTableClusters === 0) throw corrupt('Image does not contain a reference count table');
  checkTable(h.refcountTableOffset, h.refcountTableClusters * cs, QCOW_MAX_REFTABLE_SIZE, cs, fileLength, 'Reference count table');
  if (h.nbSnapshots > QCOW_MAX_SNAPSHOTS) throw corrupt('Too many snapshots');
  if (h.nbSnapshots > 0) checkTable(h.snapshotsOffset, 1, Number.MAX_SAFE_INTEGER, cs, fileLength, 'Snapshot table');
  if (h.cryptMethod > QCOW_CRYPT_LUKS) throw corrupt(`Unsupported encryption method: ${h.cryptMethod}`);

  const info: QCowHeaderInfo = { header: h, backingFile: '', backingFormat: '', cryptoHeader: null, unknown: [] };
  parseExtensions(buf, dv, h, info);
  if (h.backingFileOffset) {
    if (h.backingFileSize > 1023 || h.backingFileOffset + h.backingFileSize > Math.min(cs, buf.length)) {
      throw corrupt('Backing file name too long');
    }
    info.backingFile = dec.decode(buf.subarray(h.backingFileOffset, h.backingFileOffset + h.backingFileSize));
  }
  return info;
}

function checkTable(offset: number, bytes: number, max: number, cs: number, fileLength: number, what: string): void {
  if (bytes > max) throw corrupt(`${what} too large`);
  if (!Number.isFinite(offset) || offset % cs !== 0) throw corrupt(`${what} offset invalid`);
  if (bytes > 0 && offset + bytes > fileLength) throw corrupt(`${what} offset invalid: the table lies past the end of the image file`);
}

/** The incompatible feature bits' names in the image's feature name table (bit -> name), read
 * leniently: QEMU reads it only to name unsupported bits, ignoring errors in other extensions. */
function featureTableNames(buf: Uint8Array, dv: DataView, h: QCowHeader): Map<number, string> {
  const names = new Map<number, string>();
  const end = Math.min(h.backingFileOffset ? h.backingFileOffset : buf.length, buf.length);
  for (let off = h.headerLength; off + 8 <= end;) {
    const type = dv.getUint32(off), len = dv.getUint32(off + 4);
    off += 8;
    if (type === QCOW2_EXT_END || len > end - off) break;
    if (type === QCOW2_EXT_FEATURE_TABLE) {
      // 48-byte entries (type, bit, 46-byte name), up to the first with an empty name; the last
      // may be cut short by the extension's length (zero-filled, as QEMU reads it: iotests 036).
      const t = new Uint8Array(Math.ceil(len / 48) * 48);
      t.set(buf.subarray(off, off + len));
      for (let e = 0; e < t.length && t[e + 2] !== 0; e += 48) {
        if (t[e] !== 0 || names.has(t[e + 1])) continue;
        const name = t.subarray(e + 2, e + 48);
        const nul = name.indexOf(0);
        names.set(t[e + 1], dec.decode(nul < 0 ? name : name.subarray(0, nul)));
      }
    }
    off += (len + 7) & ~7;
  }
  return names;
}

/** As QEMU's report_unsupported_feature: named bits (the image's table first), then the other
 * bits as one mask. */
function featureNames(bits: bigint, table: Map<number, string>): string {
  const names: string[] = [];
  const known = new Map([[2, 'External data file'], [4, 'Extended L2 entries']]);
  for (const t of [table, known]) {
    for (const [bit, name] of t) {
      if (bit < 64 && bits & (1n << BigInt(bit))) { names.push(name); bits &= ~(1n << BigInt(bit)); }
    }
  }
  if (bits) names.push(`Unknown incompatible feature: ${bits.toString(16)}`);
  return names.join(', ');
}

function parseExtensions(buf: Uint8Array, dv: DataView, h: QCowHeader, info: QCowHeaderInfo): void {
  let off = h.headerLength;
  const end = h.backingFileOffset ? Math.min(h.backingFileOffset, buf.length) : buf.length;
  while (off + 8 <= end) {
    const type = dv.getUint32(off);
    const len = dv.getUint32(off + 4);
    off += 8;
    if (type === QCOW2_EXT_END) return;
    if (len > end - off) throw corrupt('Invalid extension length: header extension exceeds cluster');
    const data = buf.slice(off, off + len);
    if (type === QCOW2_EXT_BACKING_FORMAT) info.backingFormat = dec.decode(data);
    else if (type === QCOW2_EXT_CRYPTO_HEADER) {
      if (len !== 16) throw corrupt('Invalid crypto header extension length');
      const d = new DataView(data.buffer);
      info.cryptoHeader = { offset: be64(d, 0), length: be64(d, 8) };
    } else if (type !== QCOW2_EXT_FEATURE_TABLE) info.unknown.push({ type, data });
    off += (len + 7) & ~7;
  }
}

/** Serialise the header cluster (header, extensions, backing file name). */
export function buildHeader(info: QCowHeaderInfo, clusterSize: number): Uint8Array {
  const h = info.header;
  const buf = new Uint8Array(clusterSize);
  const dv = new DataView(buf.buffer);
  const v3 = h.version === 3;
  const headerLength = v3 ? 112 : 72;
  let off = headerLength;
  const putExt = (type: number, data: Uint8Array): void => {
    if (off + 8 + data.length + 8 > clusterSize) throw new QemuError('Header extensions do not fit in the first cluster');
    dv.setUint32(off, type); dv.setUint32(off + 4, data.length);
    buf.set(data, off + 8);
    off += 8 + ((data.length + 7) & ~7);
  };
  if (info.backingFormat) putExt(QCOW2_EXT_BACKING_FORMAT, enc.encode(info.backingFormat));
  if (info.cryptoHeader) {
    const d = new Uint8Array(16); const ddv = new DataView(d.buffer);
    setBe64(ddv, 0, info.cryptoHeader.offset); setBe64(ddv, 8, info.cryptoHeader.length);
    putExt(QCOW2_EXT_CRYPTO_HEADER, d);
  }
  if (v3) putExt(QCOW2_EXT_FEATURE_TABLE, featureTable());
  for (const e of info.unknown) putExt(e.type, e.data);
  off += 8; // end-of-extensions marker (zeroes)
  const name = enc.encode(info.backingFile);
  if (name.length > 1023 || off + name.length > clusterSize) throw new QemuError('Backing file name too long');
  dv.setUint32(0, QCOW_MAGIC);
  dv.setUint32(4, h.version);
  setBe64(dv, 8, name.length ? off : 0);
  dv.setUint32(16, name.length);
  dv.setUint32(20, h.clusterBits);
  setBe64(dv, 24, h.size);
  dv.setUint32(32, h.cryptMethod);
  dv.setUint32(36, h.l1Size);
  setBe64(dv, 40, h.l1TableOffset);
  setBe64(dv, 48, h.refcountTableOffset);
  dv.setUint32(56, h.refcountTableClusters);
  dv.setUint32(60, h.nbSnapshots);
  setBe64(dv, 64, h.snapshotsOffset);
  if (v3) {
    dv.setBigUint64(72, h.incompatibleFeatures);
    dv.setBigUint64(80, h.compatibleFeatures);
    dv.setBigUint64(88, h.autoclearFeatures);
    dv.setUint32(96, h.refcountOrder);
    dv.setUint32(100, headerLength);
    buf[104] = h.compressionType;
  }
  buf.set(name, off);
  h.headerLength = headerLength;
  h.backingFileOffset = name.length ? off : 0;
  h.backingFileSize = name.length;
  return buf;
}

/** The feature name table QEMU writes, so other tools can name our feature bits. */
function featureTable(): Uint8Array {
  const rows: [number, number, string][] = [
    [0, 0, 'dirty bit'], [0, 1, 'corrupt bit'], [0, 2, 'external data file'], [0, 3, 'compression type'],
    [0, 4, 'extended L2 entries'], [1, 0, 'lazy refcounts'], [2, 0, 'bitmaps'], [2, 1, 'raw external data'],
  ];
  const t = new Uint8Array(rows.length * 48);
  rows.forEach(([type, bit, name], i) => {
    t[i * 48] = type; t[i * 48 + 1] = bit;
    t.set(enc.encode(name), i * 48 + 2);
  });
  return t;
}
