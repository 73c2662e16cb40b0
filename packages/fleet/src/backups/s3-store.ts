import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '../optional/aws-s3';
import type { S3Location } from './backup-config';
import { describeLocation } from './backup-config';
import type { BackupStore, StoredObject } from './store';

const DELETE_BATCH = 1_000;
const PUT_CONCURRENCY = 8;

/**
 * An S3-compatible bucket through the AWS SDK. S3 writes single objects atomically, so
 * "all-or-nothing" needs no temp names: a point becomes visible when its manifest (written
 * last, by the caller) exists.
 */
export class S3Store implements BackupStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(location: S3Location) {
    this.description = describeLocation(location);
    this.#bucket = location.bucket;
    this.#prefix = location.prefix ? `${location.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.#client = new S3Client({
      region: location.region,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      forcePathStyle: location.forcePathStyle,
      ...(location.accessKeyId && location.secretAccessKey
        ? { credentials: { accessKeyId: location.accessKeyId, secretAccessKey: location.secretAccessKey } }
        : {}),
      // Checksums only where the API requires them: many S3-compatible stores reject the
      // newer default trailers. Every object carries our own SHA-256 anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async putAll(entries: readonly { key: string; data: Uint8Array }[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++];
        if (!entry) return;
        await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(entry.key), Body: entry.data }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, entries.length) }, worker));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const output = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
      if (!output.Body) return Buffer.alloc(0);
      return Buffer.from(await output.Body.transformToByteArray());
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for await (const page of this.#pages(prefix)) {
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        objects.push({ key: item.Key.slice(this.#prefix.length), size: item.Size ?? 0, modifiedAt: item.LastModified?.getTime() ?? 0 });
      }
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async children(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const page of this.#pages(prefix, '/')) {
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix) names.push(common.Prefix.slice(this.#key(prefix).length).replace(/\/$/, ''));
      }
      for (const item of page.Contents ?? []) {
        if (item.Key) names.push(item.Key.slice(this.#key(prefix).length));
      }
    }
    return names.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const output = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.#key(key) })), Quiet: true },
        }),
      );
      const failed = output.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`S3 refused to delete ${failed.length} object(s), e.g. ${failed[0]?.Key ?? '?'}: ${failed[0]?.Message ?? failed[0]?.Code ?? 'unknown error'}`);
      }
    }
  }

  /** S3 has no temp objects: an interrupted upload never becomes visible. */
  async sweepLeftovers(): Promise<number> {
    return 0;
  }

  async *#pages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#key(prefix),
          ...(delimiter ? { Delimiter: delimiter } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }
}
