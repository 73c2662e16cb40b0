/**
 * A tar archive written as it streams (POSIX ustar), for the bulk export: every platform
 * opens one (tar, Windows' tar.exe, macOS Archive Utility), each entry needs only its size up
 * front, which an export knows, and no index at the end has to be held back.
 */
const BLOCK = 512;
/** The largest size the ustar field holds in octal; beyond it the GNU base-256 form is used. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

function writeText(header: Buffer, offset: number, length: number, text: string): void {
  header.write(text.slice(0, length), offset, length, 'utf8');
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeText(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** The 512-byte header of a regular file `name` (at most 100 bytes) of `size` bytes. */
export function tarHeader(name: string, size: number, mtimeMs: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  writeText(header, 0, 100, name);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  if (size <= MAX_OCTAL_SIZE) writeOctal(header, 124, 12, size);
  else {
    header[124] = 0x80;
    header.writeBigUInt64BE(BigInt(size), 124 + 4);
  }
  writeOctal(header, 136, 12, Math.floor(mtimeMs / 1_000));
  header.fill(0x20, 148, 156);
  header[156] = 0x30; // '0': a regular file
  writeText(header, 257, 6, 'ustar\0');
  writeText(header, 263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  writeText(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** The zeros that take an entry of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two empty blocks end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);
